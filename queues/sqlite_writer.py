"""Group commit: one thread owns the SQLite write connection and commits many operations at once.

Callers on the event loop submit operations; the thread takes everything pending, runs each in its own savepoint
inside one transaction (so one failing operation does not undo the others), commits once - one fsync for the whole
group - and only then resolves each caller's future. While it commits, new work queues up for the next group.
"""
from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import StoreError
from .sql import Operation, Wake


def run_sync(connection: sqlite3.Connection, operation: Operation[Any], wakes: set[str]) -> Any:
    """Drive an operation on a sqlite3 connection; queues to wake are added to `wakes`."""
    try:
        step = next(operation)
        while True:
            if isinstance(step, Wake):
                wakes.add(step.queue)
                step = operation.send(None)
            else:
                step = operation.send(connection.execute(step.sql, step.params).fetchall())
    except StopIteration as stop:
        return stop.value


@dataclass
class _Job:
    operation: Operation[Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    wakes: set[str] = field(default_factory=set)
    result: Any = None
    error: BaseException | None = None


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.cancelled():
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)


class GroupCommitWriter:
    """`describe` turns a sqlite3 error into the StoreError callers see; `on_commit` gets the queues to wake."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        describe: Callable[[sqlite3.Error], StoreError],
        on_commit: Callable[[set[str]], None],
        max_group: int = 1000,
    ) -> None:
        self._connection = connection
        self._describe = describe
        self._on_commit = on_commit
        self._max_group = max_group
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self.transactions = 0
        self.operations = 0
        self._thread = threading.Thread(target=self._run, name="ketenpoort-sqlite-writer", daemon=True)
        self._thread.start()

    async def submit(self, operation: Operation[Any]) -> Any:
        if self._closed:
            operation.close()
            raise StoreError("the store is closed")
        loop = asyncio.get_running_loop()
        job = _Job(operation, loop, loop.create_future())
        self._jobs.put(job)
        # A cancelled caller does not undo its write: the group may already be committing.
        return await job.future

    def close(self) -> None:
        """Let the thread finish every job submitted so far, then stop it and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._jobs.put(None)
        self._thread.join()
        self._connection.close()
        while not self._jobs.empty():  # submitted while closing: too late
            job = self._jobs.get_nowait()
            if job is not None:
                job.error = StoreError("the store is closed")
                job.loop.call_soon_threadsafe(_settle, [job])

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            group = [first]
            stop = False
            while len(group) < self._max_group:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                group.append(job)
            self._commit_group(group)
            if stop:
                return

    def _commit_group(self, group: list[_Job]) -> None:
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
            for job in group:
                self._run_in_savepoint(job)
            connection.execute("COMMIT")
            self.transactions += 1
            self.operations += len(group)
        except Exception as exc:  # noqa: BLE001 - every caller in the group must hear of it
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            error = self._describe(exc) if isinstance(exc, sqlite3.Error) else exc
            for job in group:
                job.error = error
        # One wake-up of each event loop for the whole group, not one per caller.
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in group:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            loop.call_soon_threadsafe(_settle, jobs)
        woken = {name for job in group if job.error is None for name in job.wakes}
        if woken:
            group[0].loop.call_soon_threadsafe(self._on_commit, woken)

    def _run_in_savepoint(self, job: _Job) -> None:
        connection = self._connection
        connection.execute("SAVEPOINT operation")
        try:
            job.result = run_sync(connection, job.operation, job.wakes)
        except sqlite3.Error as exc:
            job.error = self._describe(exc)
        except Exception as exc:  # noqa: BLE001 - the caller gets its own error; the group goes on
            job.error = exc
        if job.error is not None:
            connection.execute("ROLLBACK TO operation")
        connection.execute("RELEASE operation")
