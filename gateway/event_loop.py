"""The event loop the gateway runs on: uvloop when it is installed (`pip install 'ketenpoort[speed]'`), which
answers HTTPS requests with less CPU per request, else asyncio's own loop."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on uvloop when it can be imported."""
    try:
        import uvloop
    except ImportError:
        log.info("event loop: asyncio (install uvloop for less CPU per request)")
        return asyncio.run(main)
    log.info("event loop: uvloop %s", uvloop.__version__)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
