"""How many messages the gateway takes in at once (`[limits] max_messages_in_progress`): a route registered with
`add_route(..., intake=True)` answers 503 with Retry-After, before it reads the body, while that many are in
progress. Each message in progress holds its body, its parsed tree and its check in memory, and the process keeps
the memory of the most it ever held (bench/bursts.py); the limit bounds that, and a sender that is turned away
sends again."""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.http_errors import json_error

RETRY_AFTER_SECONDS = 1

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Intake:
    """The messages in progress on this process, and how many may be."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_progress = 0


INTAKE_KEY = web.AppKey("intake", Intake)


def limited(handler: Handler) -> Handler:
    """`handler`, taking no message while `max_messages_in_progress` are in progress."""

    @functools.wraps(handler)
    async def admit_then_handle(request: web.Request) -> web.StreamResponse:
        intake = request.app[INTAKE_KEY]
        if intake.in_progress >= intake.limit:
            raise json_error(503, f"the gateway is busy: {intake.limit} messages are in progress; send again in "
                                  f"{RETRY_AFTER_SECONDS} s", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        intake.in_progress += 1
        try:
            return await handler(request)
        finally:
            intake.in_progress -= 1

    return admit_then_handle
