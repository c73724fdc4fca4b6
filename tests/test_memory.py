"""The gateway gives the memory of its busiest moments back to the system (glibc's malloc_trim, now and then)."""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os

import pytest
from aiohttp import web

from gateway import memory
from gateway.app import create_app
from gateway.config import Config, GatewaySettings

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def test_the_heap_a_crowd_of_requests_left_goes_back_to_the_system():
    """What bench/bursts.py shows in large: blocks freed below the heap's top stay in the process until trimmed."""
    trim = memory.glibc_malloc_trim()
    if trim is None:
        pytest.skip("the C library has no malloc_trim (not glibc)")
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    # 4,000 blocks of 60 KB (below the mmap threshold), every other one freed: 120 MB free in the heap, none of it
    # at its top, as when a crowd's request buffers are freed and its connections' are not (yet).
    blocks = [libc.malloc(60_000) for _ in range(4_000)]
    for block in blocks:
        ctypes.memset(block, 1, 60_000)
    freed, kept = blocks[1::2], blocks[::2]
    for block in freed:
        libc.free(block)
    before = rss_bytes()
    trim(0)
    try:
        assert before - rss_bytes() > 100 * 2**20
    finally:
        for block in kept:
            libc.free(block)


async def serve_briefly(seconds: float, trim_seconds: float, monkeypatch) -> int:
    """How often a gateway with `memory_trim_seconds = trim_seconds` trimmed while it ran `seconds`, and after."""
    trims = []
    monkeypatch.setattr(memory, "glibc_malloc_trim", lambda: trims.append)
    app = create_app(Config(gateway=GatewaySettings(memory_trim_seconds=trim_seconds)),
                     route_modules=("gateway.memory",))
    runner = web.AppRunner(app)
    await runner.setup()
    await asyncio.sleep(seconds)
    await runner.cleanup()
    stopped = len(trims)
    await asyncio.sleep(3 * trim_seconds)
    assert len(trims) == stopped, "trimmed after the gateway stopped"
    return stopped


async def test_the_gateway_trims_every_memory_trim_seconds(monkeypatch):
    assert 6 <= await serve_briefly(1.05, 0.1, monkeypatch) <= 10


async def test_memory_trim_seconds_0_never_trims(monkeypatch):
    assert await serve_briefly(0.3, 0, monkeypatch) == 0
