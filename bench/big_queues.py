"""Big queues: a running gateway (`ketenpoort serve`) with 10^3, 10^5 and 10^6 messages waiting on one queue; how
long a consumer's lease takes over HTTPS and how much memory the gateway uses, at each size; and how long a
readiness probe (/readyz) and the operator's queue figures (/api/v1/queues, which count the waiting messages) take.

    python bench/big_queues.py [--quick] [--store sqlite|postgres|both] [--rounds N] [--postgres DSN]

The queue is the demo provider's pull queue (`outbound:iwmo:12345678`, GET /istandaarden/iwmo/berichten): its page
carries each message's XML as stored, so the figure is the queue's, not the JSON conversion's. The messages are
written into the database directly (a million appends through the gateway would take hours), then the gateway
starts on it. Each round leases 10 messages and acks them; the figures are the median and 95th percentile of the
lease calls after a warm-up, and the gateway's RSS after the rounds. --quick: 10^3, 10^4, 10^5.
Ends with `RESULT sqlite_lease_ms_1e3=... sqlite_lease_ms_1e6=... sqlite_large_vs_small=... sqlite_rss_mb_1e6=...`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

from gateway.pki import DEMO_PROVIDER_AGB  # noqa: E402
from gateway.tls import client_ssl_context  # noqa: E402
from gateway_process import Deployment, for_each_store_and_size, size_label  # noqa: E402

QUEUE = f"outbound:iwmo:{DEMO_PROVIDER_AGB}"
WARM_UP, PAGE = 5, 10
WAITING = "00000000-0000-7000-8000-"  # message ids of the form the store hands out (it knows no others)
PAYLOAD_HEX = b"<Bericht>waiting</Bericht>".hex()  # served as stored: the payload's size does not matter here
SEED_MESSAGES = (
    "INSERT INTO messages (id, received_at, updated_at, standard, message_type, direction, tenant, partner, status, "
    "retourcodes, meta, payload_codec, payload) SELECT {id}, 1.0e9 + i, 1.0e9 + i, 'iwmo', 'WMO301', 'outbound', "
    f"'0448', '{DEMO_PROVIDER_AGB}', 'accepted', '[]', '{{{{}}}}', 'identity', {{payload}} FROM {{series}}"
)
SEED_QUEUE = (
    "INSERT INTO queue_items (message_id, queue, state, visible_at, attempts, enqueued_at) "
    f"SELECT id, '{QUEUE}', 'ready', received_at, 0, received_at FROM messages WHERE id LIKE '{WAITING}%'"
)


def seed_sqlite(path: Path, count: int) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    series = f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) SELECT i FROM n)"
    connection.execute("BEGIN")
    connection.execute(SEED_MESSAGES.format(id=f"'{WAITING}' || printf('%012d', i)", payload=f"x'{PAYLOAD_HEX}'",
                                            series=series))
    connection.execute(SEED_QUEUE)
    connection.execute("COMMIT")
    connection.close()


async def seed_postgres(url: str, count: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.execute(SEED_MESSAGES.format(
                id=f"'{WAITING}' || lpad(i::text, 12, '0')", payload=f"'\\x{PAYLOAD_HEX}'::bytea",
                series=f"generate_series(1, {count}) AS i"))
            await connection.execute(SEED_QUEUE)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def lease_rounds(base_url: str, info: dict, rounds: int) -> list[float]:
    """Seconds of each lease call (10 messages, then each acked), after the warm-up rounds."""
    provider = info["provider"]
    tls = client_ssl_context(Path(info["ca_cert"]), Path(provider["cert"]), Path(provider["key"]))
    seconds = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls, limit=1)) as session:
        for round_number in range(WARM_UP + rounds):
            started = time.perf_counter()
            async with session.get(f"{base_url}/istandaarden/iwmo/berichten?limit={PAGE}&lease=60") as response:
                assert response.status == 200, await response.text()
                messages = (await response.json())["messages"]
            if round_number >= WARM_UP:
                seconds.append(time.perf_counter() - started)
            assert len(messages) == PAGE, "the queue ran dry"
            for message in messages:
                async with session.post(f"{base_url}/istandaarden/iwmo/berichten/{message['id']}/ack",
                                        json={"lease_token": message["lease_token"]}) as ack:
                    assert ack.status == 200, await ack.text()
    return seconds


async def operator_calls(base_url: str, info: dict) -> dict[str, float]:
    """Milliseconds of the fastest of three calls of /readyz (a probe) and of the queue figures (which count)."""
    tls = client_ssl_context(Path(info["ca_cert"]))
    headers = {"Authorization": f"Bearer {info['tokens']['operator']}"}
    figures = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls, limit=1), headers=headers) as session:
        for name, path in (("readyz_ms", "/readyz"), ("queues_ms", "/api/v1/queues")):
            times = []
            for _ in range(3):
                started = time.perf_counter()
                async with session.get(base_url + path) as response:
                    assert response.status == 200, await response.text()
                times.append(time.perf_counter() - started)
            figures[name] = min(times) * 1000
    return figures


def measure(directory: Path, store_url: str | None, count: int, rounds: int) -> dict[str, float]:
    deployment = Deployment(directory, store_url, providers=1)
    with deployment.gateways(1):  # creates the tables
        pass
    started = time.perf_counter()
    if store_url is None:
        seed_sqlite(directory / "ketenpoort-demo.sqlite3", count)
    else:
        asyncio.run(seed_postgres(store_url, count))
    seeded = time.perf_counter() - started
    with deployment.gateways(1) as (gateway,):
        rss_idle = gateway.rss_mb
        seconds = asyncio.run(lease_rounds(gateway.base_url, deployment.info, rounds))
        rss = gateway.rss_mb
        calls = asyncio.run(operator_calls(gateway.base_url, deployment.info))
    ordered = sorted(seconds)
    result = {"lease_ms": statistics.median(seconds) * 1000, "lease_p95_ms": ordered[int(0.95 * len(ordered))] * 1000,
              "rss_mb": rss, "rss_idle_mb": rss_idle, **calls}
    print(f"  {count:>9,} waiting (seeded in {seeded:.0f} s): lease of {PAGE} p50 {result['lease_ms']:.2f} ms, "
          f"p95 {result['lease_p95_ms']:.2f} ms; gateway RSS {rss_idle:.0f} MB idle, {rss:.0f} MB after "
          f"{rounds} rounds; /readyz {calls['readyz_ms']:.1f} ms, /api/v1/queues {calls['queues_ms']:.1f} ms",
          flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^3, 10^4 and 10^5 messages")
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--postgres", default=os.environ.get("KETENPOORT_TEST_POSTGRES_DSN"), metavar="DSN")
    args = parser.parse_args()
    results: dict[str, str] = {}
    measured = for_each_store_and_size(args, lambda directory, url, count: measure(directory, url, count, args.rounds))
    for prefix, figures in measured.items():
        for count, figure in figures.items():
            results[f"{prefix}_lease_ms_{size_label(count)}"] = f"{figure['lease_ms']:.2f}"
            results[f"{prefix}_rss_mb_{size_label(count)}"] = f"{figure['rss_mb']:.0f}"
            results[f"{prefix}_readyz_ms_{size_label(count)}"] = f"{figure['readyz_ms']:.1f}"
        sizes = list(figures)
        small, large = figures[sizes[0]], figures[sizes[-1]]
        results[f"{prefix}_large_vs_small"] = f"{large['lease_ms'] / small['lease_ms']:.2f}"
    print("RESULT " + " ".join(f"{key}={value}" for key, value in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
