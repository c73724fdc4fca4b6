"""The default backend: one SQLite file in WAL mode with synchronous=FULL.

Writes go through one connection with group commit (sqlite_writer.py): their statements run on the event loop,
their COMMIT on a thread; the technical rules' register look-ups, several per message, are statements of the write
that journals the message (`Store.append_checked`). Reads run on threads with connections of their own, which WAL
lets read while the writer writes (sqlite_readers.py): the message path's short reads on some, the operator's
searches and counts, which grow with the journal, on others, so that a consumer's long poll never waits behind the
console's figures of a month.
"""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path
from typing import Any, TypeVar

from .errors import StoreError, StoreUnavailable
from .schema import migrate, version
from .sql import SQLITE, Operation
from .sqlite_readers import ReaderPool
from .sqlite_writer import GroupCommitWriter, run_sync
from .store import Store

T = TypeVar("T")
MIB = 1024 * 1024
READERS = 2
REPORTERS = 2


class SqliteStore(Store):
    """`busy_timeout`: seconds to wait for a lock another process holds; `min_free_bytes`: refuse to start on a
    disk with less free space; `migrate`: apply migrations at start (else refuse an older schema)."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = 5.0,
        min_free_bytes: int = 64 * MIB,
        migrate: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(SQLITE, **options)
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.min_free_bytes = min_free_bytes
        self.migrate = migrate
        self._writer: GroupCommitWriter | None = None
        self._readers: ReaderPool | None = None
        self._reporters: ReaderPool | None = None

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    async def start(self) -> None:
        if self._writer is not None:
            return
        self._check_location()
        writer_connection = await asyncio.to_thread(self._connect)
        self._writer = GroupCommitWriter(writer_connection, self._describe, self._wake, self._observe_write,
                                         self.busy_timeout)
        try:
            await self._writer.submit(migrate(SQLITE, f"SQLite database {self.path}", allowed=self.migrate))
            self._readers = ReaderPool("reader", READERS, self._connect_reader, self._describe)
            await self._readers.open()
            self._reporters = ReaderPool("reporter", REPORTERS, self._connect_reader, self._describe)
            await self._reporters.open()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.close()
        pools, self._readers, self._reporters = (self._readers, self._reporters), None, None
        for pool in pools:
            if pool is not None:
                await pool.close()

    async def _write(self, operation: Operation[T]) -> T:
        if self._writer is None:
            operation.close()
            raise StoreError(f"{self!r} is not started")
        return await self._writer.submit(operation)

    async def _read(self, operation: Operation[T]) -> T:
        return await self._started(self._readers, operation).run(operation)

    async def _report(self, operation: Operation[T]) -> T:
        return await self._started(self._reporters, operation).run(operation)

    def _started(self, pool: ReaderPool | None, operation: Operation[T]) -> ReaderPool:
        if pool is None:
            operation.close()
            raise StoreError(f"{self!r} is not started")
        return pool

    async def ping(self) -> None:
        """On a connection of its own: a readiness probe must not wait behind reads, whichever they are."""
        if self._readers is None:
            raise StoreError(f"{self!r} is not started")
        await asyncio.to_thread(self._ping)

    def _ping(self) -> None:
        connection = self._connect_reader()
        try:
            run_sync(connection, version(), set())
        except sqlite3.Error as exc:
            raise self._describe(exc) from None
        finally:
            connection.close()

    def group_commit_stats(self) -> dict[str, int]:
        """Transactions committed and operations in them since start: their ratio is the mean group size."""
        if self._writer is None:
            return {"transactions": 0, "operations": 0}
        return {"transactions": self._writer.transactions, "operations": self._writer.operations}

    def _wake(self, queues: set[str]) -> None:
        for queue in queues:
            self._notify(queue)

    def _check_location(self) -> None:
        directory = self.path.parent
        if not directory.is_dir():
            raise StoreUnavailable(
                f"directory {directory} of SQLite database {self.path.name} does not exist: create it, "
                "or fix the storage URL"
            )
        if self.path.is_dir():
            raise StoreUnavailable(f"SQLite database {self.path} is a directory: point the storage URL at a file")
        free = shutil.disk_usage(directory).free
        if free < self.min_free_bytes:
            raise StoreUnavailable(
                f"the disk of SQLite database {self.path} has {free / MIB:.1f} MiB free, less than the "
                f"{self.min_free_bytes / MIB:.1f} MiB needed: free disk space, or move the database"
            )

    def _connect_reader(self) -> sqlite3.Connection:
        return self._connect(read_only=True)

    def _connect(self, read_only: bool = False) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            # Each operation of a group commit runs in a savepoint, whose journal is a temporary file: kept in
            # memory it costs no system calls (it only ever serves a rollback to the savepoint; the WAL makes the
            # commit durable). It halves the system time of writing.
            connection.execute("PRAGMA temp_store = MEMORY")
            if read_only:
                connection.execute("PRAGMA query_only = ON")
                return connection
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise self._describe(exc) from None
        if mode.lower() != "wal":
            connection.close()
            raise StoreUnavailable(
                f"SQLite database {self.path} cannot switch to WAL mode (it stays in {mode!r} mode): it is probably "
                "read-only for this process; make the file and its directory writable"
            )
        return connection

    def _describe(self, exc: sqlite3.Error) -> StoreUnavailable:
        text = str(exc).lower()
        where = f"SQLite database {self.path}"
        if "locked" in text or "busy" in text:
            advice = "is locked by another process: stop the process that holds it, or use another file"
        elif "readonly" in text or "read-only" in text:
            advice = (
                "is read-only for this process: make the file and its directory writable (SQLite writes "
                f"{self.path.name}-wal and {self.path.name}-shm beside it)"
            )
        elif "full" in text:
            advice = "cannot grow: the disk is full; free disk space, or move the database"
        elif "not a database" in text or "malformed" in text or "corrupt" in text:
            advice = "is corrupt or not a SQLite database: restore it from a backup, or move it away to start empty"
        elif "unable to open" in text:
            advice = "cannot be opened: check that its directory exists and is writable"
        else:
            advice = "failed"
        return StoreUnavailable(f"{where} {advice} ({exc})")
