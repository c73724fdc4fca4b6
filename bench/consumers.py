"""Backoffice consumers for the load benchmarks: they lease the tenants' inboxes over HTTPS (any of several gateways)
and ack every message (a page's acks in one request, or with `ack_each` one request per message; `with_json=False`
leases without the JSON form), recording which message each lease delivered, so a run can tell whether any message
was delivered twice while its lease held (it never may) and whether every accepted message was delivered.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from gateway.tls import client_ssl_context

LEASE_SECONDS = 120  # far longer than any run's ack takes: a second delivery would be a redelivery under lease
PAGE = 20


@dataclass
class Deliveries:
    times: Counter[str] = field(default_factory=Counter)  # message id -> deliveries
    lease_seconds: list[float] = field(default_factory=list)  # latency of each lease call
    failed_acks: int = 0

    @property
    def twice(self) -> int:
        return sum(1 for count in self.times.values() if count > 1)


async def consume(base_urls: list[str], ca_cert: Path, token: str, tenants: list[str], workers: int,
                  done: asyncio.Event, *, ack_each: bool = False, with_json: bool = True) -> Deliveries:
    """`workers` consumers per gateway and tenant until `done` is set and the inboxes are empty."""
    deliveries = Deliveries()
    connector = aiohttp.TCPConnector(ssl=client_ssl_context(ca_cert), limit=64)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=connector, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def ack(base_url: str, message: dict) -> None:
            async with session.post(f"{base_url}/api/v1/inbox/{message['id']}/ack",
                                    json={"lease_token": message["lease_token"]}) as response:
                deliveries.failed_acks += response.status != 200

        async def ack_page(base_url: str, messages: list[dict]) -> None:
            acks = [{"id": message["id"], "lease_token": message["lease_token"]} for message in messages]
            async with session.post(f"{base_url}/api/v1/inbox/ack", json={"acks": acks}) as response:
                failed = len((await response.json())["failed"]) if response.status == 200 else len(messages)
            deliveries.failed_acks += failed

        async def worker(base_url: str, tenant: str) -> None:
            url = f"{base_url}/api/v1/tenants/{tenant}/inbox?limit={PAGE}&lease={LEASE_SECONDS}" + (
                "" if with_json else "&json=false")
            while True:
                started = time.perf_counter()
                async with session.get(url) as response:
                    messages = (await response.json())["messages"] if response.status == 200 else []
                deliveries.lease_seconds.append(time.perf_counter() - started)
                for message in messages:
                    deliveries.times[message["id"]] += 1
                # A page's acks at once, as a backoffice that keeps up would: one at a time, each waits for its own
                # durable commit, and a worker then acks no faster than the commits come.
                if ack_each:
                    await asyncio.gather(*(ack(base_url, message) for message in messages))
                elif messages:
                    await ack_page(base_url, messages)
                if not messages:
                    if done.is_set():
                        return
                    await asyncio.sleep(0.2)

        await asyncio.gather(*(worker(url, tenant) for url in base_urls for tenant in tenants
                               for _ in range(workers)))
    return deliveries
