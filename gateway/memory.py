"""Give the memory of the gateway's busiest moments back to the system.

A crowd of senders, or a stall of the machine after which the requests pile up, puts hundreds of requests in the
process at once: libxml2, OpenSSL, SQLite and Python's objects allocate through glibc's malloc, which keeps what
was freed in its arenas for later. RSS then stays at the high-water mark for good (bench/bursts.py: 119 MB before
eight bursts of 400 connections, 264 MB after them). glibc's `malloc_trim` hands the free pages of every arena
back; called now and then it brings RSS back to about where the steady load keeps it, without jemalloc's CPU.
"""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

from aiohttp import web

from gateway.appkeys import CONFIG_KEY

log = logging.getLogger(__name__)


def glibc_malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


async def trim_memory_every(seconds: float, trim: Callable[[int], int]) -> None:
    """Until cancelled. On a thread: ctypes lets go of the GIL, and trimming a big heap takes milliseconds."""
    while True:
        await asyncio.sleep(seconds)
        await asyncio.to_thread(trim, 0)


async def memory_trimming(app: web.Application):
    seconds = app[CONFIG_KEY].gateway.memory_trim_seconds
    trim = glibc_malloc_trim() if seconds else None
    if seconds and trim is None:
        log.info("memory: the C library has no malloc_trim; memory_trim_seconds does nothing here")
    task = asyncio.create_task(trim_memory_every(seconds, trim)) if trim is not None else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(memory_trimming)
