"""Soak: a running gateway under a steady open-loop load at half its measured capacity for N minutes, backoffice
consumers draining the inboxes meanwhile; every interval the load generator reports throughput and latency and this
script the gateway's memory (RSS). Memory and latency should stay flat.

    python bench/soak.py [--minutes N] [--rate R] [--interval S] [--store sqlite|postgres] [--check]

Without --rate the capacity is measured first (a 20 s closed loop, the consumers at work) and half of it is
used. Compares the first third of the run (after the first minute's warm-up, at most a quarter of a short run)
with the last third: RSS growth and p99 growth. Each line also says how much of the machine's CPU time its virtual
machine's host took (steal): a stall with a high steal is the host's, not the gateway's; and how many connections
the gateway has open: in a stall the load generator opens more for the requests that wait, and keeps them, and
each holds some of the gateway's memory. `--check` exits 1 when the run is not flat: RSS grew more than 25 %, or
the last third's median p99 is over twice the first third's plus 20 ms, or answers other than 2xx came. Ends with
`RESULT flat=1|0 rate=... rss_first_mb=... rss_last_mb=... p99_first_ms=... p99_last_ms=... steal_pct_max=...
connections_max=...`. Before it, the gateway's warnings: a write transaction slower than a second is one, with the
time it spent waiting to begin, running and committing (the fsync).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway_process import Deployment, Steal, postgres_database, postgres_unreachable, summary_of  # noqa: E402
from workload import templates  # noqa: E402

CAPACITY_SECONDS = 20
MAX_RSS_GROWTH = 0.25
MAX_P99_FACTOR, P99_SLACK_MS = 2.0, 20.0
MAX_WARNINGS_SHOWN = 20


async def soak(store_url: str | None, args: argparse.Namespace) -> dict:
    workload = templates()
    with tempfile.TemporaryDirectory(prefix="ketenpoort-soak-") as directory:
        deployment = Deployment(Path(directory), store_url, args.providers)
        with deployment.gateways(1) as (gateway,):
            targets = [gateway.base_url]
            done = asyncio.Event()
            consumers = asyncio.create_task(deployment.consumers(targets, 1, done))
            rate = args.rate
            if rate is None:  # with the consumers at work, as during the soak
                capacity = await asyncio.to_thread(summary_of, deployment.load(
                    workload, targets, "--seconds", str(CAPACITY_SECONDS), "--connections", "32"))
                rate = round(capacity["rate"] / 2, 1)
                print(f"capacity {capacity['rate']:.0f}/s (closed loop, {CAPACITY_SECONDS} s, consumers draining "
                      f"the inboxes): soaking at {rate}/s", flush=True)
            load = deployment.load(workload, targets, "--rate", str(rate), "--seconds", str(args.minutes * 60),
                                   "--interval", str(args.interval))
            rows = []
            print(f"{'at s':>6} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>8} {'CPU ms/msg':>10} "
                  f"{'steal %':>7} {'conns':>5}")
            cpu, steal = gateway.cpu_seconds(), Steal()
            while line := await asyncio.to_thread(load.stdout.readline):
                if not line.startswith('{"interval"'):
                    summary = json.loads(line)["summary"]
                    break
                interval = json.loads(line)["interval"]
                now = gateway.cpu_seconds()
                spent, cpu = now - cpu, now
                row = interval | {"rss_mb": gateway.rss_mb, "cpu_ms": spent * 1000 / max(interval["messages"], 1),
                                  "steal_pct": steal.percent(), "connections": gateway.open_connections()}
                rows.append(row)
                print(f"{row['at_s']:6.0f} {row['rate']:7.1f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
                      f"{row['rss_mb']:8.1f} {row['cpu_ms']:10.2f} {row['steal_pct']:7.1f} {row['connections']:5d}",
                      flush=True)
            load.wait()
            done.set()
            deliveries = await consumers
            warnings = [line for line in gateway.log.read_text(errors="replace").splitlines() if " WARNING " in line]
    print(f"{summary['messages']} messages, answers {summary['statuses']}; consumers got {len(deliveries.times)}, "
          f"{deliveries.twice} more than once")
    print(f"gateway warnings (slow writes among them): {len(warnings)}", *warnings[:MAX_WARNINGS_SHOWN],
          sep="\n  ")
    return verdict(rows, summary, rate, args.interval) | {"gateway_warnings": len(warnings)}


def verdict(rows: list[dict], summary: dict, rate: float, interval: float) -> dict:
    steady = rows[min(round(60 / interval), len(rows) // 4):]  # the first minute warms caches up
    third = max(1, len(steady) // 3)
    first, last = steady[:third], steady[-third:]

    def median(part: list[dict], key: str) -> float:
        return statistics.median(row[key] for row in part)

    result = {"rate": rate, "achieved": summary["rate"], "minutes": round(summary["seconds"] / 60, 1),
              "rss_first_mb": round(median(first, "rss_mb"), 1), "rss_last_mb": round(median(last, "rss_mb"), 1),
              "p99_first_ms": median(first, "p99_ms"), "p99_last_ms": median(last, "p99_ms"),
              "cpu_ms_first": round(median(first, "cpu_ms"), 2), "cpu_ms_last": round(median(last, "cpu_ms"), 2),
              "p99_all_ms": summary["p99_ms"], "steal_pct_max": round(max(row["steal_pct"] for row in steady), 1),
              "connections_max": max(row["connections"] for row in steady),
              "non_2xx": sum(n for status, n in summary["statuses"].items() if not status.startswith("2"))}
    flat = (result["rss_last_mb"] <= result["rss_first_mb"] * (1 + MAX_RSS_GROWTH)
            and result["p99_last_ms"] <= result["p99_first_ms"] * MAX_P99_FACTOR + P99_SLACK_MS
            and result["non_2xx"] == 0)
    return {"flat": int(flat)} | result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, help="messages per second (default: half the measured capacity)")
    parser.add_argument("--interval", type=float, default=10, help="seconds per report line")
    parser.add_argument("--providers", type=int, default=8)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("KETENPOORT_TEST_POSTGRES_DSN"), metavar="DSN")
    parser.add_argument("--check", action="store_true", help="exit 1 when memory or latency did not stay flat")
    args = parser.parse_args()
    if args.store == "postgres":
        why_not = postgres_unreachable(args.postgres)
        if why_not:
            print(f"PostgreSQL: {why_not}")
            return 2
        with postgres_database(args.postgres) as url:
            result = asyncio.run(soak(url, args))
    else:
        result = asyncio.run(soak(None, args))
    print("RESULT " + " ".join(f"{key}={value}" for key, value in result.items()))
    return 1 if args.check and not result["flat"] else 0


if __name__ == "__main__":
    sys.exit(main())
