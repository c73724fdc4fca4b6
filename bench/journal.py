"""A big journal: the operator's searches and counts, and a retention pass, with 10^3, 10^5 and 10^6 messages.

    python bench/journal.py [--quick] [--store sqlite|postgres|both] [--tree DIR] [--postgres DSN]

Each size N is a journal of N messages received in the last 30 days, with their payloads (1.1 KB as stored, and
metadata of their size), plus N older ones whose payloads retention purged before, and 1,000 at the retention
limit whose payloads are due. Written into the database directly (SQL, as bench/big_queues.py does), then the
store (queues.open_store) opened on it; no HTTP: what grows with the journal is the statements.

Measured, each the best of three:
- the message log's first page (`Store.search`, newest 50), one filtered by message type, and all that the
  console's log page asks (the statuses present, the page, the count up to 10,000);
- the console's management figures (`message_counts` of the 30 days by gemeente, provider, type and status) and
  its chart (by gemeente and type per day): counts of every message of the period, so they grow with it;
- a retention pass (`purge_payloads` of one tenant in batches of 100) per batch: it must not walk past the
  payloads purged before;
- the reads of the message path while the management figures run (a consumer's long poll finding a message on
  its inbox, then the message's detail): they must not wait for the figures.
--quick: 10^3, 10^4, 10^5. `--tree DIR` measures the store of another checkout (e.g. `git worktree add /tmp/before
REV`). Ends with `RESULT sqlite_figures_ms_1e6=... sqlite_retention_batch_ms_1e6=... ...`.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

DAY = 86400.0
RETENTION_DAYS, DUE, BATCH = 60, 1000, 100
PERIOD_DAYS = 30
COUNTED_AT_MOST = 10_000  # gateway.console.pages
TENANTS, PROVIDERS = ("0448", "0400"), 50
TYPES = ("WMO301", "WMO315", "WMO323", "WMO305")
TYPE_OF_I = "CASE i % 4 " + " ".join(f"WHEN {n} THEN '{t}'" for n, t in enumerate(TYPES)) + " END"
# {id}, {payload}, {meta} and {series} per backend; {received} is an expression of the series' i.
SEED = (
    "INSERT INTO messages (id, received_at, updated_at, standard, message_type, direction, tenant, partner, status, "
    f"retourcodes, meta, payload_codec, payload) SELECT {{id}}, {{received}}, {{received}}, 'iwmo', {TYPE_OF_I}, "
    f"'inbound', CASE i % 2 WHEN 0 THEN '{TENANTS[0]}' ELSE '{TENANTS[1]}' END, {{partner}}, 'accepted', "
    "'[\"0200\"]', {meta}, 'identity', {payload} FROM {series}"
)


def populations(count: int, now: float) -> list[tuple[str, int, str, bool]]:
    """(id prefix, how many, received_at of the i-th, with payload): the period, those due, those purged before."""
    limit = now - RETENTION_DAYS * DAY
    return [
        ("recent", count, f"{now} - i * {PERIOD_DAYS * DAY / count}", True),
        ("due", DUE, f"{limit} - i", True),
        ("purged", count, f"{limit} - {DAY} - i * {365 * DAY / count}", False),
    ]


def seed_sqlite(path: Path, count: int, now: float) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN")
    for prefix, number, received, with_payload in populations(count, now):
        connection.execute(SEED.format(
            id=f"'{prefix}-' || printf('%09d', i)", received=received,
            partner=f"printf('%08d', 10000000 + i % {PROVIDERS})",
            meta="'{\"m\": \"' || hex(randomblob(150)) || '\"}'",
            payload="randomblob(1100)" if with_payload else "NULL",
            series=f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {number}) "
                   "SELECT i FROM n)"))
    connection.execute("COMMIT")
    connection.close()


async def seed_postgres(url: str, count: int, now: float) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            for prefix, number, received, with_payload in populations(count, now):
                await connection.execute(SEED.format(
                    id=f"'{prefix}-' || lpad(i::text, 9, '0')", received=received,
                    partner=f"lpad((10000000 + i % {PROVIDERS})::text, 8, '0')",
                    meta="'{\"m\": \"' || repeat(md5(i::text), 9) || '\"}'",
                    payload="decode(repeat(md5(i::text), 69), 'hex')" if with_payload else "NULL",
                    series=f"generate_series(1, {number}) AS i"))
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def best_of_three(call) -> float:
    """Milliseconds of the fastest of three calls."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


async def beside(report, read) -> float:
    """Milliseconds `read` takes once `report` has begun (its figures are left to finish)."""
    running = asyncio.ensure_future(report())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await read()
    took = time.perf_counter() - started
    await running
    return took * 1000


async def measure_store(store, now: float) -> dict[str, float]:
    from queues import MessageEntry, SearchFilters

    today = datetime.fromtimestamp(now, UTC)
    days = [today - timedelta(days=PERIOD_DAYS - number) for number in range(PERIOD_DAYS + 1)]
    period = SearchFilters(received_from=days[0], received_until=days[-1])
    async def log_page() -> None:  # what the console's message log asks (gateway.console.pages)
        await store.statuses()
        await store.search(SearchFilters(), limit=50)
        await store.count(SearchFilters(), at_most=COUNTED_AT_MOST)

    def month_figures():
        return store.message_counts(period, by=("tenant", "partner", "message_type", "status"))

    inbox = f"inbox:{TENANTS[0]}"
    message = await store.append(MessageEntry(payload=b"<Bericht/>", standard="iwmo", message_type=TYPES[1],
                                              direction="inbound", tenant=TENANTS[0], partner="10000000", queue=inbox))

    async def message_path_reads() -> None:
        assert await store.wait_for_messages(inbox, timeout=60)
        await store.get(message.id)

    figures = {
        "search_ms": await best_of_three(lambda: store.search(SearchFilters(), limit=50)),
        "log_page_ms": await best_of_three(log_page),
        "search_type_ms": await best_of_three(lambda: store.search(SearchFilters(message_type=TYPES[2]), limit=50)),
        "figures_ms": await best_of_three(month_figures),
        "chart_ms": await best_of_three(lambda: store.message_counts(
            SearchFilters(), by=("tenant", "message_type"), periods=days)),
    }
    figures["reads_beside_figures_ms"] = await beside(month_figures, message_path_reads)
    cutoff = datetime.fromtimestamp(now - RETENTION_DAYS * DAY + 1, UTC)
    started = time.perf_counter()
    purged = await store.purge_payloads(TENANTS[0], cutoff, batch_size=BATCH)
    batches = math.ceil(purged / BATCH) + 1  # the last one finds none
    figures["retention_batch_ms"] = (time.perf_counter() - started) * 1000 / batches
    assert purged == DUE // 2, f"retention purged {purged} payloads, expected {DUE // 2}"
    return figures


def measure(directory: Path, store_url: str | None, count: int) -> dict[str, float]:
    from queues import open_store

    now = time.time()
    url = store_url or f"sqlite:///{directory / 'journal.sqlite3'}"

    async def run() -> dict[str, float]:
        async with open_store(url):  # creates the tables
            pass
        started = time.perf_counter()
        if store_url is None:
            seed_sqlite(directory / "journal.sqlite3", count, now)
        else:
            await seed_postgres(store_url, count, now)
        seeded = time.perf_counter() - started
        async with open_store(url) as store:
            figures = await measure_store(store, now)
        print(f"  {count:>9,} in {PERIOD_DAYS} days (seeded in {seeded:.0f} s): "
              + ", ".join(f"{name.removesuffix('_ms')} {value:.1f} ms" for name, value in figures.items()),
              flush=True)
        return figures

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^3, 10^4 and 10^5 messages")
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--tree", type=Path, default=BENCH_DIR.parent, help="the checkout whose store to measure")
    parser.add_argument("--postgres", default=os.environ.get("KETENPOORT_TEST_POSTGRES_DSN"), metavar="DSN")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    from gateway_process import for_each_store_and_size, size_label

    results: dict[str, str] = {}
    for prefix, figures in for_each_store_and_size(args, measure).items():
        sizes = list(figures)
        small, large = figures[sizes[0]], figures[sizes[-1]]
        for name in ("figures_ms", "search_ms", "log_page_ms", "retention_batch_ms", "reads_beside_figures_ms"):
            results[f"{prefix}_{name}_{size_label(sizes[-1])}"] = f"{large[name]:.1f}"
            results[f"{prefix}_{name.removesuffix('_ms')}_large_vs_small"] = f"{large[name] / small[name]:.2f}"
    print("RESULT " + " ".join(f"{key}={value}" for key, value in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
