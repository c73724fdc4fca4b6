"""`Store.exclusive(key)`: one holder of a key at a time across the processes on one database (PostgreSQL); on
SQLite, which has one writing process, it is free."""
from __future__ import annotations

import asyncio

import pytest

KEY = "rules:iwmo:aanbieder:12345678"


async def waiting_for_the_lock(database, key: str) -> None:
    """Until PostgreSQL shows a session waiting for the advisory lock of `key` (at most 20 s)."""
    lock_id = f"ketenpoort:{database.options['schema']}:{key}"
    for _ in range(1000):
        [(waiting,)] = await database.rows(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(?, 0)", lock_id)
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no session waits for the lock of {key}")


@pytest.mark.postgres
async def test_a_second_process_waits_until_the_first_leaves(postgres_database):
    first, second = await postgres_database.open(), await postgres_database.open()
    steps: list[str] = []

    async def enter(store, key: str, name: str) -> None:
        async with store.exclusive(key):
            steps.append(name)

    async with first.exclusive(KEY):
        steps.append("first in")
        await enter(second, "rules:iwmo:gemeente:0448", "other key in")  # another key is not held up
        waiting = asyncio.create_task(enter(second, KEY, "second in"))
        await waiting_for_the_lock(postgres_database, KEY)
        steps.append("first out")
    await waiting
    assert steps == ["first in", "other key in", "first out", "second in"]
    async with second.exclusive(KEY):  # released after use: free to take again
        pass


async def test_on_sqlite_exclusive_lets_the_caller_through(sqlite_database):
    store = await sqlite_database.open()
    async with store.exclusive(KEY), store.exclusive(KEY):  # the caller's process lock does the serialising
        pass


@pytest.mark.postgres
async def test_a_holder_that_fails_lets_go_of_the_lock(postgres_database):
    first, second = await postgres_database.open(), await postgres_database.open()
    with pytest.raises(RuntimeError):
        async with first.exclusive(KEY):
            raise RuntimeError("the work under the lock failed")
    async with asyncio.timeout(10), second.exclusive(KEY):
        pass
