"""The load generator of the gateway benchmarks, in a process of its own: HTTPS with keep-alive (aiohttp), the
provider's messages with its client certificate, the backoffice's with its bearer token.

    python bench/load_generator.py --plan FILE --target URL [--target URL ...] (--messages N | --seconds S)
        [--connections C] [--rate R] [--interval SECONDS]

The plan (JSON, written by bench/gateway_process.py): {"templates": [bench/workload.py templates], "ca": PEM,
"token": the backoffice's bearer token, "providers": [{"agb", "cert", "key"}, ...]}. Message i is template
i mod T, from or to provider i mod P, filled in by `workload.fill` (fresh BerichtIdentificatie and BSNs).

Closed loop by default (C connections, each sends its next message when the answer came); `--rate R` is an open
loop: message i is due at start + i/R, and its latency counts from when it was due, so a slow server cannot hide
its queue (no coordinated omission). Prints one JSON line per `--interval` ({"interval": ...}) and a last one
({"summary": ...}): messages, seconds, rate, p50/p95/p99/max in ms (also `by_sender`: providers' and the
backoffice's messages apart), answers by HTTP status, providers' messages accepted (each on a tenant's inbox), first
errors.
Stops by itself after N messages or S seconds; only loopback targets are sensible (the gateways it starts).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import secrets
import ssl
import sys
import time
from array import array
from collections import Counter
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway import event_loop  # noqa: E402
from gateway.tls import client_ssl_context  # noqa: E402
from workload import fill  # noqa: E402

MAX_IN_FLIGHT = 512  # open loop: beyond this a send waits, and the wait counts in its latency


def percentiles(latencies: array) -> dict[str, float]:
    ordered = sorted(latencies)
    if not ordered:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000, 2)}


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))
        self.templates = self.plan["templates"]
        for template in self.templates:
            template["xml"] = template["xml"].encode()
        self.providers = [provider["agb"] for provider in self.plan["providers"]]
        # Fresh BerichtIdentificaties in every run against the same gateway: numbers from a random start.
        self.counter = itertools.count(secrets.randbelow(2**44))
        self.latencies = array("d")
        self.by_sender = {"provider": array("d"), "backoffice": array("d")}
        self.window = array("d")
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.sent = 0
        self.missed = 0  # open loop: due but not sent before the end
        self.to_inboxes = 0  # providers' messages accepted: each is on a tenant's inbox now

    async def send(self, sessions: dict[str, aiohttp.ClientSession], due: float) -> None:
        number = next(self.counter)
        template = self.templates[number % len(self.templates)]
        agb = self.providers[number % len(self.providers)]
        url = self.args.target[number % len(self.args.target)] + template["path"]
        data = fill(template["xml"], template["slots"], number, agb)
        self.sent += 1
        try:
            async with sessions["backoffice" if template["from_backoffice"] else agb].post(url, data=data) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as error:
            status, body = 0, f"{type(error).__name__}: {error}".encode()
        latency = time.perf_counter() - due
        self.latencies.append(latency)
        self.by_sender["backoffice" if template["from_backoffice"] else "provider"].append(latency)
        self.window.append(latency)
        self.statuses[status] += 1
        if status == 202 and not template["from_backoffice"]:
            self.to_inboxes += 1
        if status not in (200, 202) and len(self.errors) < 5:
            self.errors.append(f"{template['code']} -> {status}: {body[:300].decode(errors='replace')}")

    def finished(self, started: float, sent: int) -> bool:
        if self.args.messages is not None:
            return sent >= self.args.messages
        return time.perf_counter() - started >= self.args.seconds

    async def closed_loop(self, sessions, started: float) -> None:
        async def connection() -> None:
            while not self.finished(started, self.sent):
                await self.send(sessions, time.perf_counter())

        await asyncio.gather(*(connection() for _ in range(self.args.connections)))

    async def open_loop(self, sessions, started: float) -> None:
        """Message i is due at start + i/R. With MAX_IN_FLIGHT unanswered the next waits for a slot (its wait
        counts in its latency); messages that could not be sent before the end are counted as `missed`."""
        slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        pending: set[asyncio.Task] = set()

        async def one(due: float) -> None:
            try:
                await self.send(sessions, due)
            finally:
                slots.release()

        for number in itertools.count():
            if self.finished(started, number):
                if self.args.seconds is not None:
                    self.missed = max(0, int(self.args.seconds * self.args.rate) - number)
                break
            due = started + number / self.args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await slots.acquire()
            task = asyncio.create_task(one(due))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)

    async def report_intervals(self, started: float) -> None:
        last, last_count = started, 0
        while True:
            await asyncio.sleep(self.args.interval)
            now = time.perf_counter()
            window, self.window = self.window, array("d")
            count = len(self.latencies)
            print(json.dumps({"interval": {"at_s": round(now - started, 1), "messages": count - last_count,
                                           "rate": round((count - last_count) / (now - last), 1),
                                           **percentiles(window)}}), flush=True)
            last, last_count = now, count

    def session(self, tls: ssl.SSLContext, **headers: str) -> aiohttp.ClientSession:
        """Keep-alive connections of one party. Each may open as many as there can be requests in flight, so no
        request waits for a connection of the pool (aiohttp's pool is not fair: a waiter can starve for seconds)."""
        limit = self.args.connections if self.args.rate is None else MAX_IN_FLIGHT
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls, limit=limit),
                                     headers={"Content-Type": "application/xml", **headers},
                                     timeout=aiohttp.ClientTimeout(total=60))

    async def run(self) -> dict:
        args, plan = self.args, self.plan
        ca = Path(plan["ca"])
        sessions = {"backoffice": self.session(client_ssl_context(ca), Authorization=f"Bearer {plan['token']}")}
        for provider in plan["providers"]:
            tls = client_ssl_context(ca, Path(provider["cert"]), Path(provider["key"]))
            sessions[provider["agb"]] = self.session(tls)
        try:
            started = time.perf_counter()
            reporter = asyncio.create_task(self.report_intervals(started)) if args.interval else None
            if args.rate is None:
                await self.closed_loop(sessions, started)
            else:
                await self.open_loop(sessions, started)
            seconds = time.perf_counter() - started
            if reporter:
                reporter.cancel()
        finally:
            await asyncio.gather(*(session.close() for session in sessions.values()))
        return {"messages": len(self.latencies), "seconds": round(seconds, 3),
                "rate": round(len(self.latencies) / seconds, 1), "missed": self.missed, **percentiles(self.latencies),
                "by_sender": {sender: {"messages": len(latencies), **percentiles(latencies)}
                              for sender, latencies in self.by_sender.items() if latencies},
                "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
                "accepted_to_inboxes": self.to_inboxes, "errors": self.errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", required=True, help="JSON: templates, CA, token, providers (see above)")
    parser.add_argument("--target", action="append", required=True, help="base URL of a gateway; repeatable")
    amount = parser.add_mutually_exclusive_group(required=True)
    amount.add_argument("--messages", type=int)
    amount.add_argument("--seconds", type=float)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, help="open loop at this many messages per second")
    parser.add_argument("--interval", type=float, default=0, help="report every this many seconds")
    args = parser.parse_args()
    summary = event_loop.run(Load(args).run())
    print(json.dumps({"summary": summary}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
