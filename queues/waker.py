"""Wakes the consumers of this process that wait for messages on a queue."""
from __future__ import annotations

import asyncio


class Waker:
    def __init__(self) -> None:
        self._futures: dict[str, asyncio.Future[None]] = {}

    def future(self, queue: str) -> asyncio.Future[None]:
        """The future that the next `notify(queue)` completes. Take it before checking the queue, so a message
        that arrives between the check and the wait still wakes the waiter."""
        future = self._futures.get(queue)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._futures[queue] = future
        return future

    def notify(self, queue: str) -> None:
        future = self._futures.pop(queue, None)
        if future is not None and not future.done():
            future.set_result(None)
