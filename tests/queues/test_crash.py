"""Kill a writer and a consumer with SIGKILL at random moments, many times, and check the store's promises:
every append that returned is there exactly once, nothing acked is delivered again, expired leases are.

KETENPOORT_CRASH_ROUNDS sets the number of kills per backend (default 50).
"""
from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from crash_worker import QUEUE, VISIBILITY_SECONDS

WORKER = Path(__file__).with_name("crash_worker.py")
ROUNDS = int(os.environ.get("KETENPOORT_CRASH_ROUNDS", "50"))

pytestmark = pytest.mark.slow


class Workers:
    """Talks to crash_worker.py, which forks the writers and consumers and kills them on request."""

    def __init__(self, database, tmp_path: Path) -> None:
        self.database = database
        self.errors = tmp_path / "workers.err"
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Workers:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=self.errors.open("wb"),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.process.stdin.close()
        await self.process.wait()

    async def command(self, *words: object) -> list[str]:
        self.process.stdin.write((" ".join(map(str, words)) + "\n").encode())
        answer = (await asyncio.wait_for(self.process.stdout.readline(), 60)).decode().split()
        if not answer or answer[0] == "failed":
            raise AssertionError(f"{words} failed: {self.errors.read_text()}")
        return answer

    async def start(self, role: str, log: Path) -> int:
        url, schema = self.database.url, self.database.options.get("schema", "-")
        return int((await self.command("start", role, url, schema, log))[1])

    async def kill(self, pid: int) -> None:
        status = int((await self.command("kill", pid))[2])
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
            raise AssertionError(f"worker {pid} died by itself: {self.errors.read_text()}")


def read(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


async def test_killed_writers_and_consumers_lose_nothing_and_deliver_nothing_acked_again(database, tmp_path):
    rng = random.Random(os.environ.get("KETENPOORT_CRASH_SEED"))
    logs = {"writer": tmp_path / "writer.log", "consumer": tmp_path / "consumer.log"}
    await (await database.open()).close()  # migrate once, so the workers start alike
    async with Workers(database, tmp_path) as workers:
        pids = {role: await workers.start(role, log) for role, log in logs.items()}
        for _ in range(ROUNDS):
            await asyncio.sleep(rng.uniform(0.02, 0.3))
            role = rng.choice(list(pids))
            await workers.kill(pids[role])
            pids[role] = await workers.start(role, logs[role])
        for pid in pids.values():
            await workers.kill(pid)

    store = await database.open()
    await asyncio.sleep(VISIBILITY_SECONDS + 0.1)
    while leased := await store.lease(QUEUE, 100, visibility_seconds=60):
        await asyncio.gather(*(store.ack(message.id, message.token) for message in leased))

    appended = defaultdict(set)
    for _, number, message_id in read(logs["writer"]):
        appended[f"crash-{number}"].add(message_id)
    assert appended, "the writer never got an append through"
    assert all(len(ids) == 1 for ids in appended.values()), "a retried key got a second id"
    stored = dict(await database.rows("SELECT idempotency_key, id FROM messages"))
    assert {key: ids.pop() for key, ids in appended.items()}.items() <= stored.items()
    assert len(stored) == len(set(stored.values()))

    acked_at = {}
    for position, (what, message_id, *_) in enumerate(read(logs["consumer"])):
        if what == "acked":
            acked_at[message_id] = position
        else:
            assert message_id not in acked_at, f"{message_id} was leased again after it was acked"

    events = defaultdict(list)
    for message_id, event in await database.rows(
        "SELECT message_id, event FROM message_events WHERE event IN ('leased', 'acked') ORDER BY id"
    ):
        events[message_id].append(event)
    assert set(events) == set(stored.values())
    assert all(history[-1] == "acked" and history.count("acked") == 1 for history in events.values())
    number_of = {message_id: int(key.removeprefix("crash-")) for key, message_id in stored.items()}
    left_to_expire = {
        message_id for what, message_id, *attempt in read(logs["consumer"])
        if what == "leased" and attempt == ["1"] and number_of[message_id] % 5 == 0
    }
    assert left_to_expire, "the consumer never got to leave a lease to expire"
    assert all(events[message_id].count("leased") >= 2 for message_id in left_to_expire), "expired, not redelivered"
    assert await database.rows("SELECT COUNT(*) FROM queue_items") == [(0,)]
