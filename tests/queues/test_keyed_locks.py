"""KeyedLocks: the PostgreSQL store's holders of one key in this process wait for each other before they take a
connection of the pool."""
from __future__ import annotations

import asyncio

import pytest

from queues.keyed_locks import KeyedLocks


async def test_keyed_locks_serialise_one_key_and_keep_nothing_afterwards():
    locks = KeyedLocks()
    inside: list[str] = []
    overlaps: list[tuple[str, str]] = []
    release = asyncio.Event()

    async def work(key: str, name: str) -> None:
        async with locks.hold(key):
            overlaps.extend((other, name) for other in inside if other.startswith(key))
            inside.append(name)
            await release.wait()
            inside.remove(name)

    tasks = [asyncio.create_task(work(key, f"{key}{index}")) for key in ("a", "b") for index in range(3)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert sorted(inside) == ["a0", "b0"] and len(locks) == 2  # one per key inside, the others wait
    release.set()
    await asyncio.gather(*tasks)
    assert overlaps == [] and len(locks) == 0


async def test_keyed_locks_forget_a_key_whose_holder_failed():
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold(("iwmo", "12345678")):
            raise RuntimeError("the check failed")
    assert len(locks) == 0
    async with locks.hold(("iwmo", "12345678")):  # and the key can be taken again
        assert len(locks) == 1
