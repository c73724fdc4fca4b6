"""The timing of every write transaction (`WriteTiming`), on each backend: what the gateway's store metrics and
the slow-write warning show an operator."""
from __future__ import annotations

import asyncio
import logging

from queues import Appending, RegisterReader
from store_helpers import entry


async def test_every_write_transaction_is_observed_with_its_phases(database):
    timings = []
    store = await database.open(write_observer=timings.append)
    timings.clear()  # SQLite's migrations at start are a write too
    await asyncio.gather(*(store.append(entry()) for _ in range(3)))
    await store.lease("inbox:0448", 3)
    assert sum(timing.operations for timing in timings) == 4
    assert all(min(timing.waiting, timing.running, timing.committing) >= 0 for timing in timings)
    if database.kind == "postgresql":  # one transaction per write; SQLite may group them
        assert len(timings) == 4


async def test_a_slow_write_is_a_warning_with_its_phases(database, caplog):
    timings = []
    store = await database.open(write_observer=timings.append, slow_write_seconds=0.05)
    timings.clear()

    async def slow_check(reader: RegisterReader) -> Appending:
        await asyncio.sleep(0.1)
        return Appending(entry())

    with caplog.at_level(logging.WARNING, logger="queues.store"):
        await store.append_checked(None, slow_check)
    [timing] = timings
    assert timing.running >= 0.1
    [record] = caplog.records
    assert "slow write, a transaction of 1 write(s) took" in record.getMessage()
    assert "s running" in record.getMessage() and "s committing" in record.getMessage()


async def test_an_observer_that_fails_does_not_fail_the_write(database, caplog):
    def broken(timing) -> None:
        raise RuntimeError("the metrics broke")

    store = await database.open(write_observer=broken)
    with caplog.at_level(logging.ERROR, logger="queues.store"):
        result = await store.append(entry())
    assert result.created and await store.count() == 1
    assert "the write observer failed" in caplog.text
