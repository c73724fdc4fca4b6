"""The PostgreSQL backend (asyncpg): several gateway processes share one database.

Leasing takes rows with FOR UPDATE SKIP LOCKED, so concurrent consumers never get the same message; appends,
nacks and replays NOTIFY on commit, and every process LISTENs to wake its waiting consumers. Migrations run at
start under an advisory lock, so processes starting together migrate once. A write alone with a key
(`Store.append_checked`) takes a transaction advisory lock, which the commit lets go of; the holders in one process
wait for each other before they take a connection, so waiters never hold the whole pool.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg

from .errors import StoreError, StoreUnavailable
from .keyed_locks import KeyedLocks
from .model import WriteTiming
from .schema import migrate
from .sql import POSTGRES, Operation, Wake, awaited, numbered_placeholders, settle
from .store import Store

T = TypeVar("T")
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)  # said as StoreUnavailable


def describe_dsn(dsn: str) -> str:
    """Where a DSN points, without its password."""
    parts = urlsplit(dsn)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"PostgreSQL {user}{host}{port}{parts.path or '/'}"


class PostgresStore(Store):
    """`schema`: the PostgreSQL schema that holds the tables (created if missing; default: the server's
    search_path); `migrate`: apply migrations at start (else refuse an older schema)."""

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        min_pool: int = 1,
        max_pool: int = 10,
        connect_timeout: float = 10.0,
        migrate: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(POSTGRES, **options)
        if schema is not None and not SCHEMA_NAME.fullmatch(schema):
            raise ValueError(f"PostgreSQL schema name {schema!r} must be lower-case letters, digits and _")
        self.dsn = dsn
        self.schema = schema
        self.min_pool = min_pool
        self.max_pool = max_pool
        self.connect_timeout = connect_timeout
        self.migrate = migrate
        self.where = describe_dsn(dsn) + (f" (schema {schema})" if schema else "")
        self._channel = f"ketenpoort_{schema or 'queues'}"
        # Quotes are the only special characters of a string literal then (`_literal`); PostgreSQL's default.
        self._settings = {"application_name": "ketenpoort", "standard_conforming_strings": "on"} | (
            {"search_path": schema} if schema else {})
        self._pool: asyncpg.Pool | None = None
        self._turns = KeyedLocks()
        self._listener: asyncpg.Connection | None = None

    def __repr__(self) -> str:
        return f"PostgresStore({self.where!r})"

    async def start(self) -> None:
        if self._pool is not None:
            return
        try:
            await self._migrate()
            self._pool = await asyncpg.create_pool(
                self.dsn, min_size=self.min_pool, max_size=self.max_pool, timeout=self.connect_timeout,
                server_settings=self._settings, reset=_keep_session,
            )
            self._listener = await self._connect()
            await self._listener.add_listener(self._channel, self._on_notification)
        except BaseException as exc:
            await self.close()
            if isinstance(exc, StoreError):
                raise
            if isinstance(exc, Exception):
                raise self._describe(exc) from None
            raise

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.terminate()
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), self.connect_timeout)
            except TimeoutError:
                pool.terminate()

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn, timeout=self.connect_timeout, server_settings=self._settings)

    async def _migrate(self) -> None:
        connection = await self._connect()
        try:
            async with connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"ketenpoort:{self.schema}")
                if self.schema:
                    await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                await self._drive(connection, migrate(POSTGRES, self.where, allowed=self.migrate))
        finally:
            await connection.close()

    async def _write(self, operation: Operation[T]) -> T:
        return await self._transaction(operation)

    async def _write_alone(self, key: str | None, operation: Operation[T]) -> T:
        if key is None:
            return await self._transaction(operation)
        started = time.perf_counter()
        async with self._turns.hold(key):
            return await self._transaction(operation, f"ketenpoort:{self.schema}:{key}", started)

    async def _transaction(self, operation: Operation[T], lock: str | None = None,
                           started: float | None = None) -> T:
        pool = self._started(operation)
        started = time.perf_counter() if started is None else started
        try:
            async with pool.acquire() as connection:
                # BEGIN goes with the key's lock, NOTIFY with COMMIT: a round trip each, where each was two.
                await connection.execute("BEGIN" if lock is None else
                                         f"BEGIN; SELECT pg_advisory_xact_lock(hashtextextended({_literal(lock)}, 0))")
                try:
                    began = time.perf_counter()
                    result, wakes = await self._drive(connection, operation)
                    ran = time.perf_counter()
                    await connection.execute("".join(
                        f"SELECT pg_notify({_literal(self._channel)}, {_literal(queue)}); " for queue in sorted(wakes)
                    ) + "COMMIT")
                except BaseException:
                    await _roll_back(connection)
                    raise
                committed = time.perf_counter()
        except FAILURES as exc:
            raise self._describe(exc) from None
        self._observe_write(WriteTiming(1, began - started, ran - began, committed - ran))
        return result

    async def _read(self, operation: Operation[T]) -> T:
        pool = self._started(operation)
        try:
            async with pool.acquire() as connection:
                result, _ = await self._drive(connection, operation)
                return result
        except FAILURES as exc:
            raise self._describe(exc) from None

    def _started(self, operation: Operation[Any]) -> asyncpg.Pool:
        if self._pool is None:
            operation.close()
            raise StoreError(f"{self!r} is not started")
        return self._pool

    async def _drive(self, connection: asyncpg.Connection, operation: Operation[T]) -> tuple[T, set[str]]:
        """Run the operation's queries: its result, and the queues its Wakes named (NOTIFYed with the commit, which
        is when PostgreSQL sends them)."""
        wakes: set[str] = set()
        try:
            step = next(operation)
            while True:
                if awaited(step):
                    await settle(step)
                    step = operation.send(None)
                elif isinstance(step, Wake):
                    wakes.add(step.queue)
                    step = operation.send(None)
                else:
                    step = operation.send(await connection.fetch(numbered_placeholders(step.sql), *step.params))
        except StopIteration as stop:
            return stop.value, wakes

    def _on_notification(self, connection: object, pid: int, channel: str, queue: str) -> None:
        self._notify(queue)

    def _describe(self, exc: BaseException) -> StoreUnavailable:
        if isinstance(exc, (OSError, TimeoutError, asyncpg.CannotConnectNowError)):
            advice = "is unreachable: start the server, or fix the storage URL (host, port)"
        elif isinstance(exc, asyncpg.InvalidCatalogNameError):
            advice = "has no such database: create it (createdb), or fix the storage URL"
        elif isinstance(exc, (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            advice = "refused the login: check the user and password in the storage URL and pg_hba.conf"
        elif isinstance(exc, asyncpg.InsufficientPrivilegeError):
            advice = "denies this user what the store needs: grant it the rights to create and write the tables"
        elif isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
            advice = "is read-only (a standby?): point the storage URL at the primary"
        elif isinstance(exc, asyncpg.DiskFullError):
            advice = "is out of disk space: free space on the database server"
        elif isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.InterfaceError)):
            advice = "lost the connection: check the server; the operation did not complete"
        else:
            advice = "failed"
        return StoreUnavailable(f"{self.where} {advice} ({type(exc).__name__}: {exc})")


def _literal(text: str) -> str:
    """`text` as an SQL string literal, for the statements sent without parameters (several in one round trip)."""
    return "'" + text.replace("'", "''") + "'"


async def _roll_back(connection: asyncpg.Connection) -> None:
    """Undo the open transaction of a write that failed; what cannot be undone here, the pool's release does."""
    with contextlib.suppress(*FAILURES):
        if not connection.is_closed() and connection.is_in_transaction():
            await connection.execute("ROLLBACK")


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset on release. asyncpg's own (RESET ALL, CLOSE ALL, UNLISTEN, unlock every advisory lock) costs
    a round trip on every release, for session state these connections never get: they only run the operations'
    queries, their advisory locks are the transaction's, and LISTEN uses a connection of its own. asyncpg still rolls
    back a transaction left open before calling this."""
