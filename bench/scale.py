"""Scale-out benchmark: one and then two (or more) `ketenpoort serve` processes on ONE PostgreSQL database, with the
load generator spreading its connections over them and backoffice consumers leasing the inboxes through all of them
at the same time.

    python bench/scale.py [--nodes N] [--messages M] [--connections C] [--postgres DSN]

Shows messages per second with 1 and with N nodes (and the gateways' CPU per message), and checks what the
consumers got: no message delivered twice while leased, every accepted inbox message delivered. The machine's
cores are shared by the gateways, PostgreSQL, the load generator and the consumers: the figures say how many
cores there are. Ends with `RESULT scale=... one_node_per_s=... nodes_per_s=... delivered_twice=...`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway_process import Deployment, postgres_database, postgres_unreachable, summary_of  # noqa: E402
from workload import templates  # noqa: E402

WARM_UP = 200


async def run_nodes(store_url: str, nodes: int, args: argparse.Namespace) -> dict:
    """Ingest with `nodes` gateways on the database `store_url`, consumers leasing through all of them."""
    workload = templates()
    with tempfile.TemporaryDirectory(prefix="ketenpoort-scale-") as directory:
        deployment = Deployment(Path(directory), store_url, args.providers)
        with deployment.gateways(nodes) as gateways:
            targets = [gateway.base_url for gateway in gateways]
            connections = ["--connections", str(args.connections)]
            warm_up = await asyncio.to_thread(summary_of, deployment.load(
                workload, targets, "--messages", str(WARM_UP), *connections))
            done = asyncio.Event()
            consumers = asyncio.create_task(deployment.consumers(targets, 1, done))
            cpu_before = sum(gateway.cpu_seconds() for gateway in gateways)
            psutil.cpu_percent()
            load = await asyncio.to_thread(summary_of, deployment.load(
                workload, targets, "--messages", str(args.messages), *connections))
            machine_busy = psutil.cpu_percent()
            cpu = sum(gateway.cpu_seconds() for gateway in gateways) - cpu_before
            done.set()
            deliveries = await consumers
    expected = warm_up["accepted_to_inboxes"] + load["accepted_to_inboxes"]
    print(f"  {nodes} node(s): {load['messages']} messages in {load['seconds']} s = {load['rate']:.0f}/s, p50 "
          f"{load['p50_ms']} ms, p99 {load['p99_ms']} ms; gateways' CPU {cpu * 1000 / load['messages']:.2f} ms per "
          f"message; machine {machine_busy:.0f} % busy; answers {load['statuses']}")
    print(f"    consumers: {len(deliveries.times)} of the {expected} messages accepted onto the inboxes delivered, "
          f"{deliveries.twice} more than once, {deliveries.failed_acks} acks refused")
    return {"rate": load["rate"], "cpu_ms": cpu * 1000 / load["messages"], "twice": deliveries.twice,
            "busy": machine_busy,
            "undelivered": expected - len(deliveries.times), "failed_acks": deliveries.failed_acks}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=48)
    parser.add_argument("--providers", type=int, default=8)
    parser.add_argument("--postgres", default=os.environ.get("KETENPOORT_TEST_POSTGRES_DSN"), metavar="DSN")
    args = parser.parse_args()
    why_not = postgres_unreachable(args.postgres)
    if why_not:
        print(f"scale-out needs PostgreSQL: {why_not}")
        print("RESULT skipped=1")
        return 0
    print(f"{os.cpu_count()} cores shared by the gateways, PostgreSQL, the load generator and the consumers")
    results = {}
    for nodes in (1, args.nodes):
        with postgres_database(args.postgres) as url:
            results[nodes] = asyncio.run(run_nodes(url, nodes, args))
    one, many = results[1], results[args.nodes]
    twice = one["twice"] + many["twice"]
    print("RESULT " + " ".join(f"{key}={value}" for key, value in {
        "scale": round(many["rate"] / one["rate"], 2), "one_node_per_s": one["rate"],
        f"nodes{args.nodes}_per_s": many["rate"], "one_node_cpu_ms": round(one["cpu_ms"], 2),
        f"nodes{args.nodes}_cpu_ms": round(many["cpu_ms"], 2), "delivered_twice": twice,
        "undelivered": one["undelivered"] + many["undelivered"],
        "acks_refused": one["failed_acks"] + many["failed_acks"], "cores": os.cpu_count(),
        "machine_busy_pct_1": round(one["busy"]), f"machine_busy_pct_{args.nodes}": round(many["busy"]),
    }.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
