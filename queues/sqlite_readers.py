"""Reads of the SQLite store on threads, each read in a transaction of its own on a connection of its own.

WAL lets every connection read while the writer writes and while the others read, and sqlite3 lets go of Python's
GIL while a statement runs, so reads on two threads use two cores.
"""
from __future__ import annotations

import asyncio
import queue
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .errors import StoreError
from .sql import Operation
from .sqlite_writer import run_sync

T = TypeVar("T")


class ReaderPool:
    """`size` threads and as many connections from `connect`; `describe` turns a sqlite3 error into the StoreError
    callers see. A read waits for a thread only while `size` others run."""

    def __init__(
        self, name: str, size: int, connect: Callable[[], sqlite3.Connection],
        describe: Callable[[sqlite3.Error], StoreError],
    ) -> None:
        self._connect = connect
        self._describe = describe
        self._size = size
        self._threads = ThreadPoolExecutor(size, thread_name_prefix=f"ketenpoort-sqlite-{name}")
        # At most `size` reads run at once, one per thread, so a read always finds a connection here.
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._connections: list[sqlite3.Connection] = []

    async def open(self) -> None:
        for _ in range(self._size):
            connection = await asyncio.get_running_loop().run_in_executor(self._threads, self._connect)
            self._connections.append(connection)
            self._idle.put(connection)

    async def run(self, operation: Operation[T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._run, operation)

    async def close(self) -> None:
        """Let the reads in progress finish, then close the connections."""
        await asyncio.to_thread(self._threads.shutdown)
        for connection in self._connections:
            connection.close()
        self._connections.clear()

    def _run(self, operation: Operation[T]) -> T:
        connection = self._idle.get()
        try:
            connection.execute("BEGIN")
            try:
                return run_sync(connection, operation, set())
            finally:
                connection.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise self._describe(exc) from None
        finally:
            self._idle.put(connection)
