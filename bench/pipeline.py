"""The message path without HTTP: CPU per message of the pipeline itself (safe parse, XSD, rules with the register,
retour, journal+enqueue with a durable commit), against bare lxml parse+validate of the same messages in the same
process; and the same for another checkout, alternating, to tell a change of a few per cent from this machine's
drift (its speed moves by a quarter within minutes, which swamps one run against another).

    python bench/pipeline.py [--store sqlite|postgres] [--messages N] [--rounds R] [--against DIR] [--postgres DSN]

The demo's set-up in a temporary directory (tenants, providers, key ring: payloads encrypted, the rules' register
in the store); the workload of bench/workload.py, 32 messages at a time through `Pipeline.receive_from_provider` and
`receive_from_backoffice`, after 200 to warm up and with the start-up objects frozen for the garbage collector, as
`ketenpoort serve` does. CPU is the whole process's (the SQLite commit thread included; PostgreSQL's server apart).

With `--against DIR` (a checkout of another revision, e.g. `git worktree add /tmp/before REV`), each round runs
both, this checkout first in odd rounds and DIR first in even ones, each in a process of its own importing its own
tree; prints each round and the median of the rounds' ratios (this / DIR). Ends with `RESULT ...`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WARM_UP = 200
SQLITE_FILE = "ketenpoort-demo.sqlite3"  # the demo config's
CONCURRENCY = 32


def run_once(tree: Path, store_url: str | None, messages: int) -> dict[str, float]:
    """One measurement of the pipeline of `tree`, in this process (which must import the gateway from `tree`)."""
    import asyncio
    import gc
    import tempfile
    import time

    from aiohttp import web

    from gateway.app import create_app
    from gateway.config import load_config
    from gateway.demo import prepare_demo
    from gateway.services import PIPELINE_KEY
    from gateway_process import DEMO_STORAGE_LINE, free_port
    from workload import bare_lxml_rate, templates

    workload = templates()

    async def measure(directory: Path) -> dict[str, float]:
        files = prepare_demo(directory, free_port())
        if store_url is not None:
            files.config.write_text(files.config.read_text(encoding="utf-8").replace(
                DEMO_STORAGE_LINE, f'url = "{store_url}"'), encoding="utf-8")
        config = load_config(files.config)
        runner = web.AppRunner(create_app(config))
        await runner.setup()  # the cleanup contexts: store, schemas, pipeline
        try:
            pipeline = runner.app[PIPELINE_KEY]
            provider = config.providers[0]
            tenants = {tenant.gemeentecode: tenant for tenant in config.tenants}

            async def send(number: int) -> None:
                template = workload[number % len(workload)]
                data = template.message(number, provider.agb)
                if template.from_backoffice:
                    answer = await pipeline.receive_from_backoffice(tenants[template.tenant], data, json_body=False)
                else:
                    answer = await pipeline.receive_from_provider(provider, template.standard, data)
                if answer.status != 202:
                    raise RuntimeError(f"{template.code}: {answer.status} {answer.body}")

            for number in range(WARM_UP):
                await send(10**9 + number)
            gc.collect()
            gc.freeze()
            numbers = iter(range(messages))

            async def sender() -> None:
                for number in numbers:
                    await send(number)

            database = directory / SQLITE_FILE if store_url is None else None
            size = sqlite_bytes(database)
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            size = sqlite_bytes(database) - size
        finally:
            await runner.cleanup()
        return {"per_s": round(messages / wall, 1), "cpu_ms_per_msg": round(cpu * 1000 / messages, 3)} | (
            {"store_kb_per_msg": round(size / 1024 / messages, 2)} if database else {})

    with tempfile.TemporaryDirectory(prefix="ketenpoort-pipeline-") as directory:
        result = asyncio.run(measure(Path(directory)))
    limit = bare_lxml_rate(workload)
    return result | {"bare_lxml_per_s": round(limit), "ratio": round(result["per_s"] / limit, 3)}


def sqlite_bytes(database: Path | None) -> int:
    """The size of a SQLite database, the pages still in its WAL included (0 for None)."""
    import sqlite3

    if database is None:
        return 0
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return connection.execute("PRAGMA page_count").fetchone()[0] * connection.execute(
            "PRAGMA page_size").fetchone()[0]
    finally:
        connection.close()


def measure_in_child(tree: Path, store: str, messages: int, dsn: str | None) -> dict[str, float]:
    """`run_once` for `tree` in a process of its own (a fresh PostgreSQL database for each)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(tree), "--store", store,
               "--messages", str(messages)] + (["--postgres", dsn] if dsn else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the run of {tree} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(tree: Path, store: str, messages: int, dsn: str | None) -> int:
    sys.path[:0] = [str(tree), str(BENCH_DIR)]  # the gateway of `tree`, the workload of this checkout
    from gateway_process import postgres_database

    if store == "postgres":
        with postgres_database(dsn) as url:
            result = run_once(tree, url, messages)
    else:
        result = run_once(tree, None, messages)
    print(json.dumps(result))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--against", type=Path, metavar="DIR", help="another checkout to alternate with")
    parser.add_argument("--postgres", default=os.environ.get("KETENPOORT_TEST_POSTGRES_DSN"), metavar="DSN")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.store, args.messages, args.postgres)
    if args.store == "postgres" and not args.postgres:
        parser.error("--store postgres needs --postgres DSN (or KETENPOORT_TEST_POSTGRES_DSN)")
    trees = [REPO] + ([args.against.resolve()] if args.against else [])
    ratios, results = [], {tree: [] for tree in trees}
    for round_number in range(1, args.rounds + 1):
        order = trees if round_number % 2 else trees[::-1]
        measured = {tree: measure_in_child(tree, args.store, args.messages, args.postgres) for tree in order}
        for tree in trees:
            results[tree].append(measured[tree])
        line = "; ".join(f"{tree}: {measured[tree]['per_s']:.0f}/s, {measured[tree]['cpu_ms_per_msg']:.3f} ms CPU "
                         f"per message, ratio to bare lxml {measured[tree]['ratio']}"
                         + (f", {measured[tree]['store_kb_per_msg']} KB stored per message"
                            if "store_kb_per_msg" in measured[tree] else "") for tree in trees)
        if args.against:
            ratios.append(measured[REPO]["cpu_ms_per_msg"] / measured[trees[1]]["cpu_ms_per_msg"])
            line += f"; CPU this / other {ratios[-1]:.3f}"
        print(f"round {round_number}: {line}", flush=True)
    summary = {"store": args.store, "messages": args.messages, "rounds": args.rounds,
               "cpu_ms_per_msg": statistics.median(r["cpu_ms_per_msg"] for r in results[REPO]),
               "per_s": statistics.median(r["per_s"] for r in results[REPO]),
               "ratio": statistics.median(r["ratio"] for r in results[REPO])}
    if args.store == "sqlite":
        summary["store_kb_per_msg"] = statistics.median(r["store_kb_per_msg"] for r in results[REPO])
    if args.against:
        summary |= {"other_cpu_ms_per_msg": statistics.median(r["cpu_ms_per_msg"] for r in results[trees[1]]),
                    "cpu_ratio_median": round(statistics.median(ratios), 3),
                    "rounds_this_cheaper": sum(ratio < 1 for ratio in ratios)}
    print("RESULT " + " ".join(f"{key}={value}" for key, value in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
