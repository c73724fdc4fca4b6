"""The gateway's memory after bursts: many connections at once, each with a message in flight, between spells of
steady load. A soak keeps its connections and its rate; a stall or a crowd of senders puts hundreds of requests in
the gateway at once, and what the process keeps of them afterwards shows here.

    python bench/bursts.py [--bursts N] [--connections C] [--store sqlite|postgres] [--memory-trim-seconds S]

A `ketenpoort serve` process (the demo's set-up, bench/gateway_process.py); 15 s at 200/s, then N times: a closed
loop of C connections for 6 s (a load generator process that stops with its requests still in flight), and 10 s at
200/s. Prints the gateway's RSS after each burst and ends with
`RESULT rss_start_mb=... rss_first_mb=... rss_last_mb=... last_step_mb=... ratio_last_first=...
rss_settled_last_mb=...`: what the last burst added, the RSS after the last burst against that after the first,
and the RSS 10 s of steady load after the last (the gateway trims its heap every `memory_trim_seconds`).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway_process import Deployment, postgres_database, postgres_unreachable, summary_of  # noqa: E402
from workload import templates  # noqa: E402

STEADY = ("--rate", "200", "--connections", "32")


def run(directory: Path, store_url: str | None, args: argparse.Namespace) -> dict[str, float]:
    bursts, connections = args.bursts, args.connections
    deployment = Deployment(directory, store_url, memory_trim_seconds=args.memory_trim_seconds)
    workload = templates()
    with deployment.gateways(1) as [gateway]:
        summary_of(deployment.load(workload, [gateway.base_url], "--seconds", "15", *STEADY))
        start, after, settled = gateway.rss_mb, [], []
        print(f"after 15 s at 200/s: RSS {start:.1f} MB", flush=True)
        for number in range(1, bursts + 1):
            burst = summary_of(deployment.load(workload, [gateway.base_url], "--seconds", "6",
                                               "--connections", str(connections)))
            after.append(gateway.rss_mb)
            summary_of(deployment.load(workload, [gateway.base_url], "--seconds", "10", *STEADY))
            settled.append(gateway.rss_mb)
            print(f"burst {number}: {burst['messages']} messages, answers {burst['statuses']}, p99 "
                  f"{burst['p99_ms']:.0f} ms; RSS {after[-1]:.1f} MB after it, {settled[-1]:.1f} MB after 10 s at "
                  "200/s", flush=True)
    return {"rss_start_mb": round(start, 1), "rss_first_mb": round(after[0], 1), "rss_last_mb": round(after[-1], 1),
            "last_step_mb": round(after[-1] - (after[-2] if len(after) > 1 else start), 1),
            "ratio_last_first": round(after[-1] / after[0], 3), "rss_settled_last_mb": round(settled[-1], 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=8)
    parser.add_argument("--connections", type=int, default=400)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--memory-trim-seconds", type=float,
                        help="the gateway's [gateway] memory_trim_seconds (0: it never trims; default: its default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ketenpoort-bursts-") as directory:
        if args.store == "postgres":
            dsn = os.environ.get("KETENPOORT_TEST_POSTGRES_DSN")
            reason = postgres_unreachable(dsn)
            if reason:
                raise SystemExit(reason)
            with postgres_database(dsn) as url:
                result = run(Path(directory), url, args)
        else:
            result = run(Path(directory), None, args)
    print("RESULT " + " ".join(f"{key}={value}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
