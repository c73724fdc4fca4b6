"""Rows of the journal and queue tables as MessageRecords."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from .codec import IdentityCodec, PayloadCodec
from .errors import StoreError
from .model import MessageRecord, QueueState

RECORD_COLUMNS = (
    "m.id, m.received_at, m.updated_at, m.standard, m.message_type, m.direction, m.tenant, m.partner, m.status, "
    "m.idempotency_key, m.bericht_identificatie, m.dagtekening, m.correlation_id, m.retourcodes, m.meta, "
    "q.queue, q.state, q.visible_at, q.lease_token, q.attempts"
)
PAYLOAD_COLUMNS = "m.payload_codec, m.payload"
FROM_MESSAGES = "FROM messages m LEFT JOIN queue_items q ON q.message_id = m.id"


def to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def to_seconds(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone: pass an aware datetime (e.g. with tzinfo=UTC)")
    return moment.timestamp()


# As json.dumps(sort_keys=True, default=str) wrote the rows before: dates and dataclasses as str() gives them, keys
# that are no strings as strings. orjson takes a tenth of the time (0.3 against 3.3 µs for an event's detail).
_ORJSON_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_NON_STR_KEYS)


def to_json(value: Mapping[str, Any] | list[Any]) -> str:
    return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode() if value else (
        "{}" if isinstance(value, Mapping) else "[]")


def queue_state(row: Mapping[str, Any], now: float) -> QueueState | None:
    if row["queue"] is None:
        return None
    if row["state"] == "dead":
        return "dead"
    if row["visible_at"] <= now:
        return "ready"
    return "leased" if row["lease_token"] is not None else "delayed"


def decode_payload(row: Mapping[str, Any], codec: PayloadCodec) -> bytes | None:
    """None when the payload was purged."""
    stored, written_by = row["payload"], row["payload_codec"]
    if stored is None:
        return None
    if written_by == IdentityCodec.name:
        return bytes(stored)
    if written_by != codec.name:
        raise StoreError(
            f"message {row['id']} was stored with payload codec {written_by!r}, "
            f"but this store is configured with {codec.name!r}"
        )
    return codec.decode(bytes(stored), row["id"])


def message_record(row: Mapping[str, Any], now: float, codec: PayloadCodec | None = None) -> MessageRecord:
    """`codec` given: the row has PAYLOAD_COLUMNS and the record carries the decoded payload (None if purged)."""
    return MessageRecord(
        id=row["id"],
        received_at=to_datetime(row["received_at"]),
        updated_at=to_datetime(row["updated_at"]),
        standard=row["standard"],
        message_type=row["message_type"],
        direction=row["direction"],
        tenant=row["tenant"],
        partner=row["partner"],
        status=row["status"],
        idempotency_key=row["idempotency_key"],
        bericht_identificatie=row["bericht_identificatie"],
        dagtekening=row["dagtekening"],
        correlation_id=row["correlation_id"],
        retourcodes=tuple(json.loads(row["retourcodes"])),
        meta=json.loads(row["meta"]),
        queue=row["queue"],
        queue_state=queue_state(row, now),
        attempts=row["attempts"] or 0,
        payload=decode_payload(row, codec) if codec is not None else None,
    )
