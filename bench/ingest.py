"""Ingest benchmark: messages per second through a running gateway (`ketenpoort serve`, HTTPS with client
certificates, safe parse, XSD, rules, retour, journal+enqueue with a durable commit), against the raw limit measured
in the same run: lxml alone parsing and validating the same messages on one core (bench/workload.py).

    python bench/ingest.py [--store sqlite|postgres|both] [--messages N] [--connections C] [--providers P]
                           [--rate R] [--rate-seconds S] [--quick] [--without-register] [--ack-each] [--xml-only]
                           [--postgres DSN]

For each store: a closed loop of C keep-alive connections from a load generator in its own process (throughput,
p50/p95/p99 latency); then backoffice consumers drain the inboxes it filled (bench/consumers.py: leases of 20, every
message acked, a page's acks in one request or with --ack-each one by one, the JSON form left out with --xml-only;
delivered/s and the gateway's CPU per delivered message); then an open loop at a fixed R messages per second
(latency counted from when each message was due). The HTTPS floor is measured on the same gateway too: the same
connections posting an empty body, which the provider route refuses (400) after TLS with the client certificate, the
middlewares and authorisation, before any message work: what no message can cost less than, in this design on this
machine. The gateway's CPU time per message is shown too: on a 2-core machine the load generator takes much of the
other core. So is the share of the machine's CPU time its virtual machine's host took during the closed loop
(steal): figures of runs with much of it are not comparable with others. PostgreSQL runs on a fresh database
(--postgres or KETENPOORT_TEST_POSTGRES_DSN), dropped afterwards.

Ends with `RESULT sqlite_ratio=... sqlite_floor_ratio=... sqlite_per_s=... ...` (ratio = gateway messages/s / bare
lxml messages/s; floor_ratio the same for the HTTPS floor).
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consumers import Deliveries  # noqa: E402
from gateway_process import Deployment, Steal, postgres_database, postgres_unreachable, summary_of  # noqa: E402
from workload import Template, bare_lxml_rate, describe, templates  # noqa: E402

WARM_UP = 300  # messages before measuring: first requests compile caches and fill connection pools
FLOOR_REQUESTS = 3000
CONSUMERS_PER_TENANT = 2


def measure(store_url: str | None, workload: list[Template], args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ketenpoort-ingest-") as directory:
        deployment = Deployment(Path(directory), store_url, args.providers, register=not args.without_register)
        with deployment.gateways(1) as (gateway,):
            targets = [gateway.base_url]
            connections = ["--connections", str(args.connections)]
            summary_of(deployment.load(workload, targets, "--messages", str(WARM_UP), *connections))
            cpu_before, steal = gateway.cpu_seconds(), Steal()
            closed = summary_of(deployment.load(workload, targets, "--messages", str(args.messages), *connections))
            cpu_ms = (gateway.cpu_seconds() - cpu_before) * 1000 / max(closed["messages"], 1)
            steal_pct = steal.percent()
            cpu_before, started = gateway.cpu_seconds(), time.perf_counter()
            deliveries = asyncio.run(drain(deployment, targets, ack_each=args.ack_each,
                                             with_json=not args.xml_only))
            drained = time.perf_counter() - started
            delivered = len(deliveries.times)
            delivery_cpu_ms = (gateway.cpu_seconds() - cpu_before) * 1000 / max(delivered, 1)
            empty = [dataclasses.replace(template, code="empty", xml=b"", slots=())
                     for template in workload if not template.from_backoffice]
            cpu_before = gateway.cpu_seconds()
            floor = summary_of(deployment.load(empty, targets, "--messages", str(FLOOR_REQUESTS), *connections))
            floor_cpu_ms = (gateway.cpu_seconds() - cpu_before) * 1000 / max(floor["messages"], 1)
            fixed = None
            if args.rate:
                fixed = summary_of(deployment.load(workload, targets, "--rate", str(args.rate),
                                                   "--seconds", str(args.rate_seconds)))
            rss = gateway.rss_mb
    for run in filter(None, (closed, fixed)):
        if run["errors"]:
            print("  unexpected answers:", *run["errors"], sep="\n    ")
    results = {"per_s": closed["rate"], "p50_ms": closed["p50_ms"], "p95_ms": closed["p95_ms"],
               "p99_ms": closed["p99_ms"], "gateway_cpu_ms_per_msg": round(cpu_ms, 3), "rss_mb": round(rss, 1),
               "answered_2xx": _share_2xx(closed), "floor_per_s": floor["rate"],
               "floor_cpu_ms_per_request": round(floor_cpu_ms, 3), "steal_pct": round(steal_pct, 1)}
    results |= {f"{sender}_p99_ms": run["p99_ms"] for sender, run in closed["by_sender"].items()}
    results |= {"delivered_per_s": round(delivered / drained, 1), "delivery_cpu_ms_per_msg": round(delivery_cpu_ms, 3)}
    print(f"  closed loop, {args.connections} connections: {closed['messages']} messages in {closed['seconds']} s = "
          f"{closed['rate']:.0f}/s; p50 {closed['p50_ms']} ms, p95 {closed['p95_ms']} ms, p99 {closed['p99_ms']} ms;"
          f" gateway CPU {cpu_ms:.2f} ms per message; answers {closed['statuses']}; the host took {steal_pct:.1f} % "
          "of the machine's CPU time (steal)")
    for sender, run in closed["by_sender"].items():
        print(f"    from the {sender}: {run['messages']} messages; p50 {run['p50_ms']} ms, p95 {run['p95_ms']} ms, "
              f"p99 {run['p99_ms']} ms")
    print(f"  delivery, {CONSUMERS_PER_TENANT} consumers per tenant: {delivered} messages in {drained:.2f} s = "
          f"{delivered / drained:.0f}/s; gateway CPU {delivery_cpu_ms:.2f} ms per delivered message; "
          f"{deliveries.twice} delivered twice, {deliveries.failed_acks} acks refused")
    print(f"  HTTPS floor, an empty body refused (400) over the same {args.connections} connections: "
          f"{floor['rate']:.0f}/s; p50 {floor['p50_ms']} ms; gateway CPU {floor_cpu_ms:.2f} ms per request; "
          f"answers {floor['statuses']}")
    if fixed:
        print(f"  open loop at {args.rate:.0f}/s for {args.rate_seconds} s: achieved {fixed['rate']:.0f}/s; "
              f"p50 {fixed['p50_ms']} ms, p95 {fixed['p95_ms']} ms, p99 {fixed['p99_ms']} ms, "
              f"max {fixed['max_ms']} ms; answers {fixed['statuses']}")
        results |= {f"at{args.rate:.0f}_p99_ms": fixed["p99_ms"], f"at{args.rate:.0f}_achieved": fixed["rate"]}
    return results


async def drain(deployment: Deployment, targets: list[str], *, ack_each: bool, with_json: bool) -> Deliveries:
    """Backoffice consumers until the inboxes are empty."""
    done = asyncio.Event()
    done.set()
    return await deployment.consumers(targets, CONSUMERS_PER_TENANT, done, ack_each=ack_each, with_json=with_json)


def _share_2xx(run: dict) -> float:
    ok = sum(count for status, count in run["statuses"].items() if status.startswith("2"))
    return round(ok / max(run["messages"], 1), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--messages", type=int, default=6000, help="messages in the closed loop")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--providers", type=int, default=8, help="care providers sending (own certificates)")
    parser.add_argument("--rate", type=float, default=1000, help="open-loop messages per second (0: none)")
    parser.add_argument("--rate-seconds", type=float, default=20)
    parser.add_argument("--quick", action="store_true", help="1500 messages, 5 s at the fixed rate")
    parser.add_argument("--without-register", action="store_true",
                        help="store unencrypted, without the rules' register (to tell its cost apart)")
    parser.add_argument("--ack-each", action="store_true",
                        help="the consumers ack one message per request instead of a page's acks in one")
    parser.add_argument("--xml-only", action="store_true", help="the consumers lease without the JSON form")
    parser.add_argument("--postgres", default=os.environ.get("KETENPOORT_TEST_POSTGRES_DSN"), metavar="DSN")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.rate_seconds = min(args.messages, 1500), min(args.rate_seconds, 5)
    workload = templates()
    print(f"workload: {describe(workload)}")
    limits = [bare_lxml_rate(workload)]
    print(f"bare lxml parse + validate, one core: {limits[0]:.0f}/s")
    results: dict[str, object] = {}
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    for store in stores:
        if store == "sqlite":
            print("SQLite (WAL, synchronous=FULL, group commit):", flush=True)
            results |= {f"sqlite_{key}": value for key, value in measure(None, workload, args).items()}
            continue
        why_not = postgres_unreachable(args.postgres)
        if why_not:
            print(f"PostgreSQL skipped: {why_not}")
            continue
        print("PostgreSQL:", flush=True)
        with postgres_database(args.postgres) as url:
            results |= {f"pg_{key}": value for key, value in measure(url, workload, args).items()}
    limits.append(bare_lxml_rate(workload))
    limit = max(limits)
    print(f"bare lxml parse + validate again: {limits[1]:.0f}/s; the limit taken: {limit:.0f}/s")
    line = {"bare_lxml_per_s": round(limit)}
    for prefix in ("sqlite", "pg"):
        if f"{prefix}_per_s" in results:
            line[f"{prefix}_ratio"] = round(results[f"{prefix}_per_s"] / limit, 3)
            line[f"{prefix}_floor_ratio"] = round(results[f"{prefix}_floor_per_s"] / limit, 3)
    line |= results
    print("RESULT " + " ".join(f"{key}={value}" for key, value in line.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
