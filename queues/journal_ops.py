"""Journal operations: append, events, status, get and timeline. Each is one transaction (see sql.py)."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from .codec import PayloadCodec
from .errors import MessageNotFound
from .model import AppendResult, MessageEntry, MessageRecord, TimelineEvent, new_message_id
from .records import FROM_MESSAGES, PAYLOAD_COLUMNS, RECORD_COLUMNS, message_record, to_datetime, to_json
from .sql import Dialect, Operation, Query, Wake

INSERT_MESSAGE = (
    "INSERT INTO messages (id, received_at, updated_at, standard, message_type, direction, tenant, partner, status, "
    "idempotency_key, bericht_identificatie, dagtekening, correlation_id, retourcodes, meta, payload_codec, payload) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)
INSERT_QUEUE_ITEM = (
    "INSERT INTO queue_items (message_id, queue, state, visible_at, attempts, enqueued_at) "
    "VALUES (?, ?, 'ready', ?, 0, ?)"
)


# PostgreSQL: the message and the rows that belong to it in one statement (one round trip instead of four or more).
# The other statements see the message row only through the WITH; a duplicate (ON CONFLICT) writes none of them.
def insert_message_at_once(parts: Sequence[Query] = ()) -> str:
    """`parts`: more `name AS (statement)` of the WITH (their params follow the queue item's), e.g. the register's
    rows of the message (`register_ops.with_parts`), which write only when the message is written."""
    more = "".join(f", {part.sql}" for part in parts)
    return (
        f"WITH message AS ({INSERT_MESSAGE}), "
        "codes AS (INSERT INTO message_retourcodes (message_id, code) "
        "SELECT message.id, code FROM message, unnest(?::text[]) AS code), "
        "queued AS (INSERT INTO queue_items (message_id, queue, state, visible_at, attempts, enqueued_at) "
        f"SELECT message.id, ?, 'ready', ?, 0, ? FROM message WHERE ?::text IS NOT NULL){more} "
        "INSERT INTO message_events (message_id, at, event, detail) "
        "SELECT message.id, ?, event.name, event.detail "
        "FROM message, unnest(?::text[], ?::text[]) WITH ORDINALITY AS event (name, detail, position) "
        "ORDER BY event.position RETURNING message_id AS id"
    )


def insert_events(now: float, events: Sequence[tuple[str, str, Mapping[str, Any] | None]]) -> Query:
    """One INSERT for (message id, event, detail) triples, recorded in their order."""
    rows = ", ".join(["(?, ?, ?, ?)"] * len(events))
    params = [
        value for message_id, event, detail in events for value in (message_id, now, event, to_json(dict(detail or {})))
    ]
    return Query(f"INSERT INTO message_events (message_id, at, event, detail) VALUES {rows}", params)


def insert_event(message_id: str, now: float, event: str, detail: Mapping[str, Any] | None = None) -> Query:
    return insert_events(now, [(message_id, event, detail)])


def touch(message_id: str, now: float, status: str | None = None) -> Operation[None]:
    """Set updated_at (and status); MessageNotFound when there is no such message."""
    if status is None:
        rows = yield Query("UPDATE messages SET updated_at = ? WHERE id = ? RETURNING id", (now, message_id))
    else:
        rows = yield Query(
            "UPDATE messages SET updated_at = ?, status = ? WHERE id = ? RETURNING id", (now, status, message_id)
        )
    if not rows:
        raise MessageNotFound(message_id)


def insert_retourcodes(message_id: str, codes: Sequence[str]) -> Operation[None]:
    unique = sorted(set(codes))
    if unique:
        rows = ", ".join(["(?, ?)"] * len(unique))
        params = [value for code in unique for value in (message_id, code)]
        yield Query(f"INSERT INTO message_retourcodes (message_id, code) VALUES {rows}", params)


def _insert(dialect: Dialect, entry: MessageEntry, now: float, codec: PayloadCodec,
            parts: Sequence[Query] = ()) -> Operation[tuple[str, bool]]:
    """The message, its retourcodes, queue item and events (and `parts`: see `insert_message_at_once`); (its id,
    created) or, for a known idempotency key, (the first message's id, False) with nothing written."""
    message_id = new_message_id()
    message = (
        message_id, now, now, entry.standard, entry.message_type, entry.direction, entry.tenant, entry.partner,
        entry.status, entry.idempotency_key, entry.bericht_identificatie, entry.dagtekening, entry.correlation_id,
        to_json(list(entry.retourcodes)), to_json(dict(entry.meta)), codec.name,
        codec.encode(entry.payload, message_id),
    )
    events = list(entry.events or ((entry.status, {}),))
    if entry.queue is not None:
        events.append(("queued", {"queue": entry.queue}))
    if dialect.writes_in_with:
        rows = yield Query(insert_message_at_once(parts), (
            *message, sorted(set(entry.retourcodes)), entry.queue, now, now, entry.queue,
            *(param for part in parts for param in part.params), now,
            [event for event, _ in events], [to_json(dict(detail or {})) for _, detail in events]))
        created = bool(rows)
    else:
        rows = yield Query(INSERT_MESSAGE, message)
        created = bool(rows)
        if created:
            yield from insert_retourcodes(message_id, entry.retourcodes)
            if entry.queue is not None:
                yield Query(INSERT_QUEUE_ITEM, (message_id, entry.queue, now, now))
            yield insert_events(now, [(message_id, event, detail) for event, detail in events])
    if not created:
        rows = yield Query("SELECT id FROM messages WHERE idempotency_key = ?", (entry.idempotency_key,))
        return rows[0]["id"], False
    if entry.queue is not None:
        yield Wake(entry.queue)
    return message_id, True


def append(
    dialect: Dialect, entry: MessageEntry, with_entries: Sequence[MessageEntry], now: float, codec: PayloadCodec,
    parts: Sequence[Query] = (),
) -> Operation[AppendResult]:
    """`parts` go into the statement of `entry`: only where the dialect `writes_in_with` (`insert_message_at_once`)."""
    message_id, created = yield from _insert(dialect, entry, now, codec, parts)
    if not created:
        return AppendResult(message_id, False)
    related = []
    for related_entry in with_entries:
        if related_entry.correlation_id is None:
            related_entry = dataclasses.replace(related_entry, correlation_id=message_id)
        related_id, _ = yield from _insert(dialect, related_entry, now, codec)
        related.append(related_id)
    return AppendResult(message_id, True, tuple(related))


def record_event(message_id: str, event: str, detail: Mapping[str, Any] | None, now: float) -> Operation[None]:
    yield from touch(message_id, now)
    yield insert_event(message_id, now, event, detail)


def update_status(
    message_id: str,
    status: str,
    detail: Mapping[str, Any] | None,
    retourcodes: Sequence[str] | None,
    now: float,
) -> Operation[None]:
    yield from touch(message_id, now, status)
    if retourcodes is not None:
        yield Query("UPDATE messages SET retourcodes = ? WHERE id = ?", (to_json(list(retourcodes)), message_id))
        yield Query("DELETE FROM message_retourcodes WHERE message_id = ?", (message_id,))
        yield from insert_retourcodes(message_id, retourcodes)
    yield insert_event(message_id, now, status, detail)


def get(message_id: str, now: float, codec: PayloadCodec | None) -> Operation[MessageRecord]:
    """The record, with its payload decoded by `codec` (None: without the payload)."""
    columns = RECORD_COLUMNS if codec is None else f"{RECORD_COLUMNS}, {PAYLOAD_COLUMNS}"
    rows = yield Query(f"SELECT {columns} {FROM_MESSAGES} WHERE m.id = ?", (message_id,))
    if not rows:
        raise MessageNotFound(message_id)
    return message_record(rows[0], now, codec)


def get_many(
    dialect: Dialect, message_ids: Sequence[str], now: float, codec: PayloadCodec
) -> Operation[list[MessageRecord]]:
    """The records in the order of `message_ids` (all of which exist)."""
    if not message_ids:
        return []
    condition, params = dialect.in_list(message_ids)
    rows = yield Query(f"SELECT {RECORD_COLUMNS}, {PAYLOAD_COLUMNS} {FROM_MESSAGES} WHERE m.id {condition}", params)
    by_id = {row["id"]: row for row in rows}
    return [message_record(by_id[message_id], now, codec) for message_id in message_ids]


def timeline(message_id: str) -> Operation[list[TimelineEvent]]:
    rows = yield Query(
        "SELECT at, event, detail FROM message_events WHERE message_id = ? ORDER BY id", (message_id,)
    )
    if not rows:
        raise MessageNotFound(message_id)
    return [TimelineEvent(to_datetime(row["at"]), row["event"], json.loads(row["detail"])) for row in rows]
