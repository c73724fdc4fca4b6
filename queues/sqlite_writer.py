"""Group commit: many operations in one SQLite transaction, one fsync for all of them.

Callers on the event loop submit operations. At the loop's next turn everything pending runs in one transaction,
each operation in its own savepoint (so one failing operation does not undo the others), and only when the commit
is durable does each caller's future resolve. While it commits, new work queues up for the next group.

The statements run on the event loop itself: they are short and CPU-bound, and on a thread of their own each of
them would hand Python's GIL to the other thread and back, which cost more CPU than the statements. Only what waits
for something else runs on the commit thread: COMMIT, which waits for the disk (synchronous=FULL), and BEGIN when
another process holds the database's write lock.

An operation of `Store.append_checked` runs the technical rules' check too, and may await a thread for a large
message, with the group's transaction open; the group's later operations wait for it, and the event loop gets a turn
whenever a group has kept it for `TIME_SLICE` seconds.
"""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .errors import StoreError
from .model import WriteTiming
from .sql import Operation, Step, Wake, awaited, settle

TIME_SLICE = 0.005


def run_sync(connection: sqlite3.Connection, operation: Operation[Any], wakes: set[str]) -> Any:
    """Drive an operation on a sqlite3 connection; queues to wake are added to `wakes`."""
    try:
        step = next(operation)
        while True:
            step = operation.send(_run_step(connection, step, wakes))
    except StopIteration as stop:
        return stop.value


async def run_async(connection: sqlite3.Connection, operation: Operation[Any], wakes: set[str]) -> Any:
    """`run_sync` for a write, which may also await what the check of `Store.append_checked` awaits."""
    try:
        step = next(operation)
        while True:
            if awaited(step):
                await settle(step)
                step = operation.send(None)
            else:
                step = operation.send(_run_step(connection, step, wakes))
    except StopIteration as stop:
        return stop.value


def _run_step(connection: sqlite3.Connection, step: Step, wakes: set[str]) -> Any:
    if isinstance(step, Wake):
        wakes.add(step.queue)
        return None
    return connection.execute(step.sql, step.params).fetchall()


@dataclass
class _Job:
    operation: Operation[Any]
    future: asyncio.Future[Any]
    wakes: set[str] = field(default_factory=set)
    result: Any = None
    error: BaseException | None = None


class GroupCommitWriter:
    """Writes through `connection` for the event loop it is created on. `describe` turns a sqlite3 error into the
    StoreError callers see; `on_commit` gets the queues to wake; `observe` the timing of every group's transaction;
    `busy_timeout` is how long to wait for a write lock another process holds; `max_group` bounds how many
    operations wait for one commit."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        describe: Callable[[sqlite3.Error], StoreError],
        on_commit: Callable[[set[str]], None],
        observe: Callable[[WriteTiming], None],
        busy_timeout: float,
        max_group: int = 128,
    ) -> None:
        self._connection = connection
        self._describe = describe
        self._on_commit = on_commit
        self._observe = observe
        self._busy_timeout_ms = round(busy_timeout * 1000)
        self._max_group = max_group
        self._loop = asyncio.get_running_loop()
        self._pending: deque[_Job] = deque()
        self._flushing: asyncio.Task[None] | None = None
        self._closed = False
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="ketenpoort-sqlite-commit")
        self.transactions = 0
        self.operations = 0
        # BEGIN on the event loop must not wait for another process's lock: that wait goes to the commit thread.
        connection.execute("PRAGMA busy_timeout = 0")

    async def submit(self, operation: Operation[Any]) -> Any:
        if self._closed:
            operation.close()
            raise StoreError("the store is closed")
        if asyncio.get_running_loop() is not self._loop:
            operation.close()
            raise StoreError("the SQLite store is written from another event loop than the one that opened it")
        job = _Job(operation, self._loop.create_future())
        self._pending.append(job)
        if self._flushing is None:
            self._flushing = self._loop.create_task(self._flush())
        # A cancelled caller does not undo its write: the group may already be committing.
        return await job.future

    async def close(self) -> None:
        """Finish every job submitted so far, then close the connection."""
        if self._closed:
            return
        self._closed = True
        if self._flushing is not None:
            await self._flushing
        await self._loop.run_in_executor(self._thread, self._connection.close)
        self._thread.shutdown()

    async def _flush(self) -> None:
        try:
            while self._pending:
                group = [self._pending.popleft() for _ in range(min(len(self._pending), self._max_group))]
                await self._commit_group(group)
        finally:
            self._flushing = None

    async def _commit_group(self, group: list[_Job]) -> None:
        connection = self._connection
        timing = None
        try:
            started = time.perf_counter()
            await self._begin()
            began = slice_started = time.perf_counter()
            for job in group:
                await self._run_in_savepoint(job)
                if time.perf_counter() - slice_started > TIME_SLICE:
                    await asyncio.sleep(0)
                    slice_started = time.perf_counter()
            ran = time.perf_counter()
            await self._loop.run_in_executor(self._thread, connection.execute, "COMMIT")
            self.transactions += 1
            self.operations += len(group)
            timing = WriteTiming(len(group), began - started, ran - began, time.perf_counter() - ran)
        except Exception as exc:  # noqa: BLE001 - every caller in the group must hear of it
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            error = self._describe(exc) if isinstance(exc, sqlite3.Error) else exc
            for job in group:
                job.error = error
        for job in group:
            if job.future.cancelled():
                continue
            if job.error is not None:
                job.future.set_exception(job.error)
            else:
                job.future.set_result(job.result)
        woken = {name for job in group if job.error is None for name in job.wakes}
        if woken:
            self._on_commit(woken)
        if timing is not None:
            self._observe(timing)

    async def _begin(self) -> None:
        try:
            self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            await self._loop.run_in_executor(self._thread, self._begin_waiting)

    def _begin_waiting(self) -> None:
        connection = self._connection
        connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        try:
            connection.execute("BEGIN IMMEDIATE")
        finally:
            connection.execute("PRAGMA busy_timeout = 0")

    async def _run_in_savepoint(self, job: _Job) -> None:
        connection = self._connection
        connection.execute("SAVEPOINT operation")
        try:
            job.result = await run_async(connection, job.operation, job.wakes)
        except sqlite3.Error as exc:
            job.error = self._describe(exc)
        except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - the group goes on
            # The caller gets its own error, also when a future its check awaited was cancelled.
            job.error = exc
        if job.error is not None:
            connection.execute("ROLLBACK TO operation")
        connection.execute("RELEASE operation")
