"""Fixtures for the store: one database per test, on each backend.

PostgreSQL tests use KETENPOORT_TEST_POSTGRES_DSN (`postgres_dsn` in tests/conftest.py); every test gets its own
schema, dropped afterwards, so runs and tests never see each other's rows. They skip (with the reason) when the
variable is unset or the server is down.
"""
from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from queues import Store, open_store
from store_helpers import FakeClock


class Database:
    """One database for one test; `open` starts a store on it (several may share it), `rows` reads it raw."""

    def __init__(self, kind: str, url: str, options: dict[str, Any]) -> None:
        self.kind = kind
        self.url = url
        self.options = options
        self.stores: list[Store] = []

    async def open(self, **options: Any) -> Store:
        store = open_store(self.url, **(self.options | options))
        await store.start()
        self.stores.append(store)
        return store

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run `sql` (with `?` placeholders) directly on the database."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as connection:
                return [tuple(row) for row in connection.execute(sql, params).fetchall()]
        import asyncpg

        from queues.sql import numbered_placeholders

        connection = await asyncpg.connect(self.url, server_settings={"search_path": self.options["schema"]})
        try:
            return [tuple(row) for row in await connection.fetch(numbered_placeholders(sql), *params)]
        finally:
            await connection.close()

    async def close(self) -> None:
        for store in self.stores:
            await store.close()


def sqlite_at(directory: Path) -> Database:
    return Database("sqlite", f"sqlite:///{directory / 'store.db'}", {"poll_interval": 0.05})


def postgres_at(dsn: str) -> Database:
    return Database("postgresql", dsn, {"schema": f"kp_test_{secrets.token_hex(6)}", "poll_interval": 0.05})


async def dispose(database: Database) -> None:
    await database.close()
    if database.kind == "postgresql":
        import asyncpg

        connection = await asyncpg.connect(database.url)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{database.options["schema"]}" CASCADE')
        finally:
            await connection.close()


@pytest.fixture
async def sqlite_database(tmp_path: Path):
    database = sqlite_at(tmp_path)
    yield database
    await dispose(database)


@pytest.fixture
async def postgres_database(postgres_dsn: str):
    database = postgres_at(postgres_dsn)
    yield database
    await dispose(database)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path):
    """The same test on each backend."""
    if request.param == "sqlite":
        database = sqlite_at(tmp_path)
    else:
        database = postgres_at(request.getfixturevalue("postgres_dsn"))
    yield database
    await dispose(database)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(database: Database, clock: FakeClock) -> Store:
    return await database.open(clock=clock)
