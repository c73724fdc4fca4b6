"""Writers and consumers of the store, for the crash test to kill with SIGKILL at random moments.

    python crash_worker.py        (then, one command a line on stdin, one answer a line on stdout)
    start writer|consumer URL SCHEMA|- LOG   ->  started PID      (once its store has started)
    kill PID                                 ->  killed PID STATUS (once it is gone; STATUS from waitpid)

The workers are forked from this process, which has imported everything already: a restart takes milliseconds,
not the second a fresh interpreter needs, so the test can kill often. Each worker writes one line to LOG with one
O_APPEND write *after* the store call it reports has returned: what the log says happened had been committed.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys

from queues import MessageEntry, RetryPolicy, open_store

QUEUE = "inbox:crash"
BATCH = 8
VISIBILITY_SECONDS = 0.5


class Log:
    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, *words: object) -> None:
        os.write(self.fd, (" ".join(map(str, words)) + "\n").encode())


def last_appended_index(path: str) -> int:
    indexes = [int(line.split()[1]) for line in open(path) if line.startswith("appended ")]
    return max(indexes, default=-1)


async def write(store, log: Log, path: str) -> None:
    """Append keys 0, 1, 2, ... in concurrent batches. A restarted writer goes back a little and sends again what
    it may not have heard the answer to, as a sender without its 202 does."""
    index = max(last_appended_index(path) - 2 * BATCH, 0)
    while True:
        batch = range(index, index + BATCH)

        async def append(number: int) -> None:
            result = await store.append(MessageEntry(
                payload=b"message %d" % number, standard="iwmo", message_type="WMO301", direction="inbound",
                tenant="0448", partner="12345678", queue=QUEUE, idempotency_key=f"crash-{number}",
            ))
            log.write("appended", number, result.id)

        await asyncio.gather(*(append(number) for number in batch))
        index += BATCH
        await asyncio.sleep(0.01)  # leaves the consumer time to keep up


async def consume(store, log: Log) -> None:
    """Lease, and ack - except every 5th message on its first delivery, which is left to expire."""
    while True:
        leased = await store.lease(QUEUE, 10, visibility_seconds=VISIBILITY_SECONDS)
        if not leased:
            await store.wait_for_messages(QUEUE, timeout=0.2)
            continue
        for message in leased:
            log.write("leased", message.id, message.attempts)

        async def ack(message) -> None:
            await store.ack(message.id, message.token)
            log.write("acked", message.id)

        left = [m for m in leased if m.attempts == 1 and m.message.payload.endswith((b"0", b"5"))]
        await asyncio.gather(*(ack(message) for message in leased if message not in left))


async def work(ready_fd: int, role: str, url: str, schema: str, path: str) -> None:
    options = {"schema": schema} if schema != "-" else {}
    store = open_store(url, retry=RetryPolicy(max_attempts=1000), poll_interval=0.1, **options)
    await store.start()
    os.write(ready_fd, b"ready")
    os.close(ready_fd)
    log = Log(path)
    await (write(store, log, path) if role == "writer" else consume(store, log))


def start(arguments: list[str]) -> str:
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_read)
        os.dup2(os.open(os.devnull, os.O_RDWR), 0)
        os.dup2(os.open(os.devnull, os.O_RDWR), 1)
        try:
            asyncio.run(work(ready_write, *arguments))
        finally:
            os._exit(1)
    os.close(ready_write)
    ready = os.read(ready_read, 5)
    os.close(ready_read)
    return f"started {pid}" if ready == b"ready" else f"failed {pid}"


def main() -> None:
    # Imported before forking, so that no worker spends time on imports.
    import queues.postgres_backend  # noqa: F401
    import queues.sqlite_backend  # noqa: F401

    for line in sys.stdin:
        command, *arguments = line.split()
        if command == "start":
            answer = start(arguments)
        else:
            pid = int(arguments[0])
            os.kill(pid, signal.SIGKILL)
            answer = f"killed {pid} {os.waitpid(pid, 0)[1]}"
        print(answer, flush=True)


if __name__ == "__main__":
    main()
