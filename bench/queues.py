"""Benchmark of the durable store, against the raw limits measured in the same run.

1. Throughput: messages appended, leased and acked per second through the store (concurrent producers, group
   commit on SQLite), against one INSERT + COMMIT per message on bare SQLite with the same pragmas (WAL,
   synchronous=FULL) and against bare one-row INSERTs on PostgreSQL. Target: the SQLite store at least 2x.
2. Lease latency with 10^3 and with 10^6 messages queued (--quick: 10^5). Target: within 2x.

    python bench/queues.py [--quick] [--postgres DSN]

PostgreSQL is measured when --postgres or KETENPOORT_TEST_POSTGRES_DSN names a reachable server (in a schema of
its own, dropped afterwards). The last line is `RESULT key=value ...`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queues import MessageEntry, Store, open_store  # noqa: E402

QUEUE = "inbox:0448"
SMALL = 1000
ROUNDS = 90  # leases of 10 per store: SMALL must not run dry
TRIALS = 3
PAYLOAD = b"<Bericht>" + b"x" * 2000 + b"</Bericht>"  # about the size of a WMO301

# Seeding writes the tables directly, in one statement: 10^6 appends through the store would take far longer.
SEED_MESSAGES = (
    "INSERT INTO messages (id, received_at, updated_at, standard, message_type, direction, tenant, partner, status, "
    "retourcodes, meta, payload_codec, payload) "
    "SELECT 'seed-' || {label}, 1.0e9 + i, 1.0e9 + i, 'iwmo', 'WMO301', 'inbound', '0448', "
    "'12345678', 'queued', '[]', '{{}}', 'identity', {payload} FROM {series}"
)
SEED_QUEUE = (
    "INSERT INTO queue_items (message_id, queue, state, visible_at, attempts, enqueued_at) "
    f"SELECT id, '{QUEUE}', 'ready', received_at, 0, received_at FROM messages WHERE id LIKE 'seed-%'"
)


def entry() -> MessageEntry:
    return MessageEntry(
        payload=PAYLOAD, standard="iwmo", message_type="WMO301", direction="inbound", tenant="0448",
        partner="12345678", queue=QUEUE,
    )


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# raw limits: one row and one commit per message


class RawSqlite:
    """Bare SQLite with the store's pragmas: one INSERT and one COMMIT per message."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = FULL")
        self.connection.execute("CREATE TABLE raw (id TEXT PRIMARY KEY, payload BLOB)")
        self.written = 0

    async def insert(self, count: int) -> float:
        start = time.perf_counter()
        for number in range(self.written, self.written + count):
            self.connection.execute("BEGIN")
            self.connection.execute("INSERT INTO raw VALUES (?, ?)", (f"raw-{number}", PAYLOAD))
            self.connection.execute("COMMIT")
        self.written += count
        return time.perf_counter() - start

    async def close(self) -> None:
        self.connection.close()


class RawPostgres:
    """Bare PostgreSQL: one autocommitted INSERT per message."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.written = 0

    @classmethod
    async def open(cls, dsn: str, schema: str) -> RawPostgres:
        import asyncpg

        connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
        await connection.execute("CREATE TABLE raw (id TEXT PRIMARY KEY, payload BYTEA)")
        return cls(connection)

    async def insert(self, count: int) -> float:
        start = time.perf_counter()
        for number in range(self.written, self.written + count):
            await self.connection.execute("INSERT INTO raw VALUES ($1, $2)", f"raw-{number}", PAYLOAD)
        self.written += count
        return time.perf_counter() - start

    async def close(self) -> None:
        await self.connection.close()


# the store


async def store_round(store: Store, count: int, producers: int) -> tuple[float, float]:
    """Seconds to append `count` messages from concurrent producers, and to append, lease and ack them all."""

    async def produce(share: int) -> None:
        for _ in range(share):
            await store.append(entry())

    async def consume() -> None:
        while leased := await store.lease(QUEUE, 50, visibility_seconds=60):
            await asyncio.gather(*(store.ack(message.id, message.token) for message in leased))

    start = time.perf_counter()
    await asyncio.gather(*(produce(count // producers) for _ in range(producers)))
    appended = time.perf_counter()
    await asyncio.gather(*(consume() for _ in range(4)))
    return appended - start, time.perf_counter() - start


async def throughput(raw, store: Store, raw_count: int, count: int, producers: int) -> tuple[float, float, float]:
    """(raw rows, store appends, store messages appended + leased + acked) per second. Raw and store take turns
    in a few trials, so a busy moment of the machine weighs on both alike."""
    raw_seconds = append_seconds = total_seconds = 0.0
    for _ in range(TRIALS):
        raw_seconds += await raw.insert(raw_count // TRIALS)
        appends, total = await store_round(store, count // TRIALS, producers)
        append_seconds, total_seconds = append_seconds + appends, total_seconds + total
    stored = count // TRIALS // producers * producers * TRIALS
    return rate(raw.written, raw_seconds), rate(stored, append_seconds), rate(stored, total_seconds)


async def lease_latencies(small: Store, large: Store, rounds: int) -> tuple[float, float]:
    """Median seconds of one lease of 10 messages on each store (each batch acked before the next lease). The
    stores take turns, so a busy moment of the machine weighs on both alike; the first rounds warm up."""
    samples: dict[int, list[float]] = {id(small): [], id(large): []}
    for round_number in range(rounds + 5):
        for store in (small, large):
            start = time.perf_counter()
            leased = await store.lease(QUEUE, 10, visibility_seconds=60)
            if round_number >= 5:
                samples[id(store)].append(time.perf_counter() - start)
            assert len(leased) == 10, "the queue ran dry: seed more messages or lease less"
            await asyncio.gather(*(store.ack(message.id, message.token) for message in leased))
    return statistics.median(samples[id(small)]), statistics.median(samples[id(large)])


def seed_sqlite(path: Path, count: int) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")  # seeding is not what is measured
    connection.execute("PRAGMA cache_size = -500000")
    series = f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) SELECT i FROM n)"
    connection.execute("BEGIN")
    connection.execute(SEED_MESSAGES.format(label="printf('%09d', i)", payload="x'3c782f3e'", series=series))
    connection.execute(SEED_QUEUE)
    connection.execute("COMMIT")
    connection.close()


async def seed_postgres(dsn: str, schema: str, count: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        async with connection.transaction():
            await connection.execute(SEED_MESSAGES.format(
                label="lpad(i::text, 9, '0')", payload="'\\x3c782f3e'::bytea",
                series=f"generate_series(1, {count}) AS i",
            ))
            await connection.execute(SEED_QUEUE)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def sqlite_results(directory: Path, quick: bool, large: int) -> dict[str, str]:
    raw_store = RawSqlite(directory / "raw.db")
    async with open_store(f"sqlite:///{directory / 'throughput.db'}") as store:
        raw, appends, full = await throughput(raw_store, store, 300 if quick else 2000, 3000 if quick else 30000, 64)
        stats = store.group_commit_stats()
    await raw_store.close()
    urls = []
    for queued in (SMALL, large):
        path = directory / f"lease-{queued}.db"
        await (await _started(f"sqlite:///{path}")).close()
        seed_sqlite(path, queued)
        urls.append(f"sqlite:///{path}")
    async with open_store(urls[0]) as small_store, open_store(urls[1]) as large_store:
        small, big = await lease_latencies(small_store, large_store, ROUNDS)
    return {
        "sqlite_raw_commits_per_s": f"{raw:.0f}",
        "sqlite_store_appends_per_s": f"{appends:.0f}",
        "sqlite_store_msgs_per_s": f"{full:.0f}",
        "sqlite_store_vs_raw": f"{full / raw:.2f}",
        "sqlite_mean_group": f"{stats['operations'] / max(stats['transactions'], 1):.1f}",
        "sqlite_lease_ms_1e3": f"{small * 1000:.2f}",
        f"sqlite_lease_ms_{large:.0e}".replace("+0", ""): f"{big * 1000:.2f}",
        "sqlite_lease_large_vs_small": f"{big / small:.2f}",
    }


async def postgres_results(dsn: str, quick: bool, large: int) -> dict[str, str]:
    import asyncpg

    schemas = []

    def fresh_schema() -> str:
        schemas.append(f"kp_bench_{secrets.token_hex(4)}")
        return schemas[-1]

    try:
        store = await _started(dsn, schema=fresh_schema())
        raw_store = await RawPostgres.open(dsn, schemas[-1])
        raw, appends, full = await throughput(raw_store, store, 300 if quick else 2000, 1500 if quick else 6000, 32)
        await raw_store.close()
        await store.close()
        stores = []
        for queued in (SMALL, large):
            stores.append(await _started(dsn, schema=fresh_schema()))
            await seed_postgres(dsn, schemas[-1], queued)
        small, big = await lease_latencies(*stores, ROUNDS)
        for store in stores:
            await store.close()
    finally:
        connection = await asyncpg.connect(dsn)
        for schema in schemas:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()
    return {
        "pg_raw_inserts_per_s": f"{raw:.0f}",
        "pg_store_appends_per_s": f"{appends:.0f}",
        "pg_store_msgs_per_s": f"{full:.0f}",
        "pg_store_vs_raw": f"{full / raw:.2f}",
        "pg_lease_ms_1e3": f"{small * 1000:.2f}",
        f"pg_lease_ms_{large:.0e}".replace("+0", ""): f"{big * 1000:.2f}",
        "pg_lease_large_vs_small": f"{big / small:.2f}",
    }


async def _started(url: str, **options: object) -> Store:
    store = open_store(url, **options)
    await store.start()
    return store


async def reachable(dsn: str | None) -> str | None:
    if not dsn:
        return "no --postgres DSN and KETENPOORT_TEST_POSTGRES_DSN is not set"
    import asyncpg

    try:
        await (await asyncpg.connect(dsn, timeout=5)).close()
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL unreachable: {exc}"
    return None


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages, 10^5 instead of 10^6 queued")
    parser.add_argument("--postgres", default=os.environ.get("KETENPOORT_TEST_POSTGRES_DSN"), metavar="DSN")
    args = parser.parse_args()
    large = 100_000 if args.quick else 1_000_000
    # The store spends CPU where the raw limit waits for fsync: on a busy machine its ratios drop.
    results: dict[str, str] = {"load_average": f"{os.getloadavg()[0]:.1f}"}
    with tempfile.TemporaryDirectory(prefix="ketenpoort-bench-") as directory:
        print("SQLite ...", flush=True)
        results |= await sqlite_results(Path(directory), args.quick, large)
    why_not = await reachable(args.postgres)
    if why_not:
        print(f"PostgreSQL skipped: {why_not}")
    else:
        print("PostgreSQL ...", flush=True)
        results |= await postgres_results(args.postgres, args.quick, large)
    for key, value in results.items():
        print(f"{key:32} {value}")
    print("RESULT " + " ".join(f"{key}={value}" for key, value in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
