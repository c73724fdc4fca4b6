"""The values that go in and out of the store."""
from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Direction = Literal["inbound", "outbound"]
QueueState = Literal["ready", "delayed", "leased", "dead"]


def new_message_id() -> str:
    """A time-ordered UUID (version 7 layout), so new rows land at the end of the primary-key index."""
    millis = time.time_ns() // 1_000_000
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def new_lease_token() -> str:
    return uuid.uuid4().hex


# The forms the two above make. Text of any other form names no message or lease, and is not sent to the database,
# which may refuse it outright (PostgreSQL cannot hold a NUL character in text) instead of finding nothing.
MESSAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LEASE_TOKEN = re.compile(r"[0-9a-f]{32}")


def is_lease(message_id: str, token: str) -> bool:
    """Whether (message_id, token) has the form of a lease this store hands out."""
    return MESSAGE_ID.fullmatch(message_id) is not None and LEASE_TOKEN.fullmatch(token) is not None


@dataclass(frozen=True)
class MessageEntry:
    """A message to journal (and optionally enqueue) with `Store.append`.

    `queue` None means journal only (e.g. a rejected message). `events` are the (event, detail) pairs to record in
    the same transaction; when empty one event named after `status` is recorded. A "queued" event follows when
    `queue` is set. `correlation_id` points at a related message, e.g. the heenbericht a retour answers.
    """

    payload: bytes
    standard: str
    message_type: str
    direction: Direction
    tenant: str | None = None
    partner: str | None = None
    status: str = "received"
    queue: str | None = None
    idempotency_key: str | None = None
    bericht_identificatie: str | None = None
    dagtekening: str | None = None
    correlation_id: str | None = None
    retourcodes: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[tuple[str, Mapping[str, Any]], ...] = ()


@dataclass(frozen=True)
class WriteTiming:
    """One write transaction, for metrics and slow-write warnings: how many operations it held (a SQLite group
    commit holds several), and the seconds spent waiting to begin (a write lock another process holds, or a free
    PostgreSQL connection and lock), running the operations (their statements and checks) and committing (the
    fsync)."""

    operations: int
    waiting: float
    running: float
    committing: float

    @property
    def seconds(self) -> float:
        return self.waiting + self.running + self.committing

    def describe(self) -> str:
        return (f"a transaction of {self.operations} write(s) took {self.seconds:.2f} s: {self.waiting:.2f} s "
                f"waiting to begin, {self.running:.2f} s running, {self.committing:.2f} s committing")


@dataclass(frozen=True)
class AppendResult:
    """`created` is False when the idempotency key was known: `id` is then the first message's id and nothing
    was written. `related_ids` are the ids of the `with_entries`, in order (empty when not created)."""

    id: str
    created: bool
    related_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageRecord:
    """A journaled message. `payload` is None in search results and dead-letter lists (and once purged), bytes from
    `get`/`lease`.
    `queue`/`queue_state` say where it waits now (None once acked or when never queued)."""

    id: str
    received_at: datetime
    updated_at: datetime
    standard: str
    message_type: str
    direction: Direction
    tenant: str | None
    partner: str | None
    status: str
    idempotency_key: str | None
    bericht_identificatie: str | None
    dagtekening: str | None
    correlation_id: str | None
    retourcodes: tuple[str, ...]
    meta: dict[str, Any]
    queue: str | None
    queue_state: QueueState | None
    attempts: int
    payload: bytes | None = None


@dataclass(frozen=True)
class LeasedMessage:
    """One delivery: ack or nack it with `token` before `lease_expires_at`, or it becomes visible again.
    `attempts` counts deliveries, this one included. The messages of one `lease` call share their token."""

    message: MessageRecord
    queue: str
    token: str
    attempts: int
    lease_expires_at: datetime

    @property
    def id(self) -> str:
        return self.message.id


@dataclass(frozen=True)
class DeadLetter:
    message: MessageRecord
    queue: str
    attempts: int
    dead_at: datetime
    reason: str


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    event: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class QueueStats:
    """`depth`: waiting (ready or delayed, not leased); `in_flight`: leased and not expired; `dead`: dead letters;
    `oldest_age_seconds`: age of the oldest waiting or in-flight entry (None when there is none)."""

    queue: str
    depth: int
    in_flight: int
    dead: int
    oldest_age_seconds: float | None


@dataclass(frozen=True)
class SearchFilters:
    """Every field that is set must match. `received_from` is inclusive, `received_until` exclusive."""

    tenant: str | None = None
    partner: str | None = None
    standard: str | None = None
    message_type: str | None = None
    direction: Direction | None = None
    status: str | None = None
    retourcode: str | None = None
    bericht_identificatie: str | None = None
    correlation_id: str | None = None
    received_from: datetime | None = None
    received_until: datetime | None = None


@dataclass(frozen=True)
class SearchPage:
    """Newest first. Pass `next_cursor` to `Store.search` for the next page; None when this is the last."""

    messages: list[MessageRecord]
    next_cursor: str | None
