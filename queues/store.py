"""The durable store: journal of every message and its state, and the queues consumers read from.

`Store` is the interface the gateway uses; `open_store(url)` picks the backend. A backend only supplies how an
operation (see sql.py) runs: `_write` in one durable transaction, `_read` and `_report` in a read transaction.
"""
from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from . import audit_ops, journal_ops, payload_ops, queue_ops, register_ops, schema, search, statistics
from .audit import AuditEvent, AuditRecord, Verification
from .checked_append import A, Appending, RegisterReader, checked_append
from .codec import IdentityCodec, PayloadCodec
from .encryption import EncryptingCodec
from .errors import MessageNotFound, StoreError
from .model import (
    MESSAGE_ID, AppendResult, DeadLetter, LeasedMessage, MessageEntry, MessageRecord, QueueStats, SearchFilters,
    SearchPage, TimelineEvent, WriteTiming,
)
from .records import to_seconds
from .register_ops import BsnKeys, RegisterRow
from .retry import RetryPolicy
from .sql import Dialect, Operation, Query
from .statistics import AnswerTimeCount, MessageCount, PartnerDeliveries, RetourcodeCount
from .waker import Waker

T = TypeVar("T")
MAX_PAGE = 1000
log = logging.getLogger(__name__)


class Store(ABC):
    """Open with `open_store(url)`, then `await store.start()` (or `async with`), and `await store.close()`.

    Every write returns only after its transaction is durable. Times are aware UTC datetimes. `write_observer` gets
    the `WriteTiming` of every write transaction; one slower than `slow_write_seconds` is logged as a warning.
    """

    def __init__(
        self,
        dialect: Dialect,
        *,
        payload_codec: PayloadCodec | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        poll_interval: float = 1.0,
        write_observer: Callable[[WriteTiming], None] | None = None,
        slow_write_seconds: float = 1.0,
    ) -> None:
        self.dialect = dialect
        self.codec: PayloadCodec = payload_codec or IdentityCodec()
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.poll_interval = poll_interval
        self.write_observer = write_observer
        self.slow_write_seconds = slow_write_seconds
        self._waker = Waker()

    @abstractmethod
    async def start(self) -> None:
        """Open the database and apply migrations. Raises StoreUnavailable (saying which and what to do)."""

    @abstractmethod
    async def close(self) -> None:
        """Finish the writes in progress and close; idempotent."""

    @abstractmethod
    async def _write(self, operation: Operation[T]) -> T:
        """Run `operation` in a transaction and return once it is committed durably."""

    @abstractmethod
    async def _read(self, operation: Operation[T]) -> T:
        """Run a read-only `operation`."""

    async def _report(self, operation: Operation[T]) -> T:
        """`_read` for what grows with the journal (an operator's search, a count, the console's figures): a
        backend may run it apart, so that the message path's short reads never wait behind it."""
        return await self._read(operation)

    async def _write_alone(self, key: str | None, operation: Operation[T]) -> T:
        """`_write`, alone among the writers with `key` in every process on this database (None: no key). SQLite's
        writer needs nothing more: it runs one transaction at a time, holding the database's write lock."""
        return await self._write(operation)

    async def __aenter__(self) -> Store:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # journal

    async def append(
        self, entry: MessageEntry, *, with_entries: Sequence[MessageEntry] = (), register: Sequence[RegisterRow] = ()
    ) -> AppendResult:
        """Journal `entry` (and enqueue it on `entry.queue`), plus `with_entries` (e.g. the retour it produced) and
        the `register` rows of the message, in one transaction. A with_entry without correlation_id gets the entry's
        id. A known idempotency key returns the first message's id with created=False and writes nothing."""
        return await self._write(self._append(Appending(entry, with_entries, register)))

    async def append_checked(
        self, key: str | None, check: Callable[[RegisterReader], Awaitable[A]]
    ) -> tuple[A, AppendResult]:
        """Run `check`, then append the `Appending` it returns, in one transaction, alone among the holders of `key`
        in every process on this database (checked_append.py): the check reads the register through the reader it
        gets and sees what earlier holders appended. Returns what the check returned and the append's result; an
        exception from the check appends nothing and reaches the caller."""
        operation = checked_append(check, RegisterReader(self.register_keys), self._append)
        return await self._write_alone(key, operation)

    def _append(self, appending: Appending) -> Operation[AppendResult]:
        parts: list[Query] = []
        later = appending.register
        if later and self.dialect.writes_in_with:
            parts, later = register_ops.with_parts(later, self.register_keys())
        operation = journal_ops.append(self.dialect, appending.entry, appending.with_entries, self.clock(),
                                       self.codec, parts)
        if later:
            operation = register_ops.with_rows(operation, later, self.register_keys())
        return operation

    async def record_event(self, message_id: str, event: str, detail: Mapping[str, Any] | None = None) -> None:
        await self._write(journal_ops.record_event(message_id, event, detail, self.clock()))

    async def update_status(
        self,
        message_id: str,
        status: str,
        *,
        detail: Mapping[str, Any] | None = None,
        retourcodes: Sequence[str] | None = None,
    ) -> None:
        """Set the status (recorded as an event of that name) and, when given, replace the retourcodes."""
        await self._write(journal_ops.update_status(message_id, status, detail, retourcodes, self.clock()))

    async def get(self, message_id: str, *, payload: bool = True) -> MessageRecord:
        """Metadata and, unless `payload` is False, the payload (read and decrypted only then). Raises
        MessageNotFound."""
        return await self._read(journal_ops.get(_issued(message_id), self.clock(), self.codec if payload else None))

    async def timeline(self, message_id: str) -> list[TimelineEvent]:
        """Every event recorded for the message, oldest first. Raises MessageNotFound."""
        return await self._read(journal_ops.timeline(_issued(message_id)))

    async def search(
        self, filters: SearchFilters | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> SearchPage:
        """Messages (without payload), newest first. Raises ValueError for a cursor search did not return."""
        _check_positive("limit", limit, MAX_PAGE)
        return await self._report(search.search(filters or SearchFilters(), limit, cursor, self.clock()))

    async def count(self, filters: SearchFilters | None = None, *, at_most: int | None = None) -> int:
        """How many messages match `filters`; with `at_most`, no more than that (it means that many or more)."""
        if at_most is not None:
            _check_positive("at_most", at_most)
        return await self._report(search.count(filters or SearchFilters(), at_most))

    async def statuses(self) -> list[str]:
        """The statuses that messages in the journal have, sorted."""
        return await self._report(search.statuses())

    # counts for the operator console

    async def message_counts(
        self, filters: SearchFilters | None = None, *, by: Sequence[str] = (), periods: Sequence[datetime] = ()
    ) -> list[MessageCount]:
        """How many messages match `filters`, per combination of the `by` columns (statistics.GROUP_COLUMNS) and
        per period: `periods` are boundaries, period i is [periods[i], periods[i+1]). Empty groups are left out."""
        return await self._report(statistics.message_counts(filters or SearchFilters(), by, periods))

    async def retourcode_counts(self, filters: SearchFilters | None = None) -> list[RetourcodeCount]:
        """How many of the messages matching `filters` carry each RetourCode, per message type."""
        return await self._report(statistics.retourcode_counts(filters or SearchFilters()))

    async def answer_times(
        self, filters: SearchFilters | None = None, *, bounds_seconds: Sequence[float]
    ) -> list[AnswerTimeCount]:
        """The answered messages matching `filters`, by the seconds to the first message correlated to them: bucket
        i when below bounds_seconds[i] (and no earlier bound), bucket len(bounds_seconds) for the rest."""
        return await self._report(statistics.answer_times(filters or SearchFilters(), bounds_seconds))

    async def delivery_counts(self, since: datetime) -> list[PartnerDeliveries]:
        """Per receiving party: acks and failed deliveries (nacks, dead letters) since `since`, and the last ones."""
        return await self._report(statistics.delivery_counts(since))

    # queues

    async def lease(self, queue: str, n: int = 1, visibility_seconds: float = 30.0) -> list[LeasedMessage]:
        """Up to n visible messages from `queue`, oldest first, invisible to others for `visibility_seconds`."""
        _check_positive("n", n, MAX_PAGE)
        _check_positive("visibility_seconds", visibility_seconds)
        return await self._write(
            queue_ops.lease(self.dialect, queue, n, visibility_seconds, self.retry, self.clock(), self.codec)
        )

    async def ack(self, message_id: str, token: str, *, queues: Sequence[str] | None = None) -> bool:
        """Raises LeaseLost when `token` is not the current lease, MessageNotFound for an unknown id. With `queues`
        (those of the caller), it acks only a lease on one of them and returns False, changing and explaining
        nothing, for any other message: the caller then finds out whose it is before telling why."""
        if queues is None:
            _issued(message_id)
        return await self._write(queue_ops.ack(self.dialect, message_id, token, self.clock(), queues))

    async def ack_many(self, leases: Sequence[tuple[str, str]], *, queues: Sequence[str] | None = None) -> set[str]:
        """Ack every (message id, lease token) that `ack` would, in one write: the ids acked. The rest are left as
        they are, unexplained: `ack` each of them to find out why."""
        return await self._write(queue_ops.ack_leases(self.dialect, leases, self.clock(), queues))

    async def nack(
        self, message_id: str, token: str, delay: float | None = None, *, reason: str | None = None
    ) -> str:
        """Retry after `delay` seconds (default: exponential backoff with jitter), or dead-letter after
        `retry.max_attempts` deliveries. Returns "retried" or "dead-lettered". Raises LeaseLost, MessageNotFound."""
        return await self._write(
            queue_ops.nack(self.dialect, _issued(message_id), token, delay, reason, self.retry, self.clock())
        )

    async def dead_letters(self, queue: str | None = None, *, limit: int = 100) -> list[DeadLetter]:
        """Dead letters (of one queue, or all), oldest first."""
        _check_positive("limit", limit, MAX_PAGE)
        if queue is not None and "\x00" in queue:  # no queue has such a name, and PostgreSQL refuses to compare it
            return []
        return await self._read(queue_ops.dead_letters(queue, limit, self.clock()))

    async def replay(self, message_id: str) -> None:
        """Put a dead letter back on its queue. Raises NotDeadLettered, MessageNotFound."""
        await self._write(queue_ops.replay(self.dialect, _issued(message_id), self.clock()))

    async def ping(self) -> None:
        """One read that proves the store answers, at the same cost with a million messages waiting (readiness:
        `queue_stats` counts every waiting message, which takes most of a second at a million)."""
        await self._read(schema.version())

    async def queue_stats(self) -> list[QueueStats]:
        return await self._report(queue_ops.queue_stats(self.clock()))

    async def wait_for_messages(self, queue: str, timeout: float) -> bool:
        """Wait until a message on `queue` may be visible: True when one may be, False after `timeout` seconds.

        Woken at once by appends, nacks and replays (PostgreSQL: from any process, via LISTEN/NOTIFY); messages
        that become visible later (expired leases, backoff) are waited for; appends by other processes that
        cannot notify are seen within `poll_interval`.
        """
        deadline = time.monotonic() + timeout
        while True:
            woken = self._waker.future(queue)
            visible_at = await self._read(queue_ops.next_visible_at(queue))
            now = self.clock()
            if visible_at is not None and visible_at <= now:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            wait = min(remaining, self.poll_interval)
            if visible_at is not None:
                wait = min(wait, visible_at - now)
            try:
                await asyncio.wait_for(asyncio.shield(woken), wait)
                return True
            except TimeoutError:
                continue

    # payloads as a whole

    async def purge_payloads(self, tenant: str, older_than: datetime, *, batch_size: int = 500) -> int:
        """Drop the payloads of `tenant`'s messages received before `older_than` (retention); metadata and timeline
        stay, a "payload.purged" event is added. Messages still on a queue keep theirs. Returns how many."""
        _check_positive("batch_size", batch_size, MAX_PAGE)
        cutoff, purged = to_seconds(older_than), 0
        while count := await self._write(payload_ops.purge_payloads(tenant, cutoff, self.clock(), batch_size)):
            purged += count
        return purged

    async def rewrite_payloads(self, *, batch_size: int = 500) -> int:
        """Re-encode, in batches, every payload the codec does not hold in its current form (plain text, or
        encrypted under an older key). Returns how many were rewritten."""
        _check_positive("batch_size", batch_size, MAX_PAGE)
        after, rewritten = "", 0
        while True:
            count, last = await self._write(payload_ops.rewrite_payloads(self.codec, after, batch_size))
            if last is None:
                return rewritten
            rewritten, after = rewritten + count, last

    # the register of the technical rules across messages (register_ops.py)

    def register_keys(self) -> BsnKeys:
        """The key ring that keeps the register's BSNs out of sight: the payload codec's. Raises StoreError when
        the store has none (register rows are then refused)."""
        if not isinstance(self.codec, EncryptingCodec):
            raise StoreError(f"{self!r} has no key ring: the register keeps BSNs, which are only stored as keyed "
                             "hashes and encrypted; open the store with an EncryptingCodec")
        return self.codec.keys

    async def add_to_register(self, rows: Sequence[RegisterRow]) -> None:
        """Add register rows in one transaction (rows of an accepted message go with its `append` instead)."""
        await self._write(register_ops.add(rows, self.register_keys()))

    async def register_rows(self, kind: str, where: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The register rows of `kind` whose fields equal the values in `where` (None: any), in the order added;
        rejected Prestaties are left out. Raises ValueError for an unknown kind or field."""
        return await self._read(register_ops.select(kind, where, self.register_keys()))

    # audit trail

    async def audit(self, event: AuditEvent) -> AuditRecord:
        """Append `event` to the hash-chained audit trail (durable when this returns)."""
        return await self._write(audit_ops.append(event, self.dialect, self.clock()))

    async def audit_records(
        self, *, after_seq: int = 0, limit: int = 100, object_id: str | None = None
    ) -> list[AuditRecord]:
        """Audit records in sequence order, after `after_seq`, optionally of one object."""
        _check_positive("limit", limit, MAX_PAGE)
        return await self._read(audit_ops.records(after_seq, limit, object_id=object_id))

    async def verify_audit(self) -> Verification:
        """Check the whole chain; a broken one names the first edited, inserted or removed record."""
        return await audit_ops.verify(self._read)

    def _notify(self, queue: str) -> None:
        self._waker.notify(queue)

    def _observe_write(self, timing: WriteTiming) -> None:
        """After a commit: what observes writes must not fail a write that is durable already."""
        if timing.seconds > self.slow_write_seconds:
            log.warning("%r: slow write, %s", self, timing.describe())
        if self.write_observer is not None:
            try:
                self.write_observer(timing)
            except Exception:  # noqa: BLE001
                log.exception("%r: the write observer failed", self)


def _check_positive(name: str, value: float, maximum: float | None = None) -> None:
    if not value > 0 or (maximum is not None and value > maximum):
        limit = f" and at most {maximum}" if maximum is not None else ""
        raise ValueError(f"{name} must be more than 0{limit}, not {value!r}")


def _issued(message_id: str) -> str:
    """`message_id` if it has the form of the ids this store gives, else MessageNotFound without asking the
    database (`model.MESSAGE_ID`)."""
    if MESSAGE_ID.fullmatch(message_id) is None:
        raise MessageNotFound(message_id)
    return message_id
