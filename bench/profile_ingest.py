"""Where a gateway spends its CPU while it ingests: py-spy samples a running `ketenpoort serve` (SQLite) under the
closed-loop load of bench/ingest.py and this prints the functions with the most samples.

    python bench/profile_ingest.py [--messages N] [--connections C] [--top K] [--without-register] [--collapsed FILE]
                                   [--rate R --seconds S]

With --rate: an open loop of R messages per second for S seconds instead, the backoffice's consumers draining the
inboxes meanwhile, as in bench/soak.py: where the CPU goes when the gateway is not saturated (its requests come
one at a time, and a group commit holds one or two messages).

Needs py-spy (`pip install py-spy`) and permission to read another process (root, or ptrace allowed). By default
only the thread holding the GIL is sampled: the Python work that one process can do one at a time. Shows the share
of those samples spent in each function and below it (inclusive), and in it alone (self).
Ends with `RESULT samples=... top=function:percent,...`.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway_process import Deployment, summary_of  # noqa: E402
from workload import templates  # noqa: E402


def summarise(collapsed: Path, top: int) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    """(busy samples, [(function, inclusive %)], [(function, self %)]) of py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_short(frame) for frame in stack.split(";")]
        samples = int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, 100 * count / max(total, 1)) for name, count in counter.most_common(top)]

    return total, shares(inclusive), shares(own)


def _short(frame: str) -> str:
    """`function (path/to/module.py:123)` -> `module.function`, lines dropped so a function is one entry."""
    function, _, where = frame.partition(" (")
    module = Path(where.split(":")[0]).stem if where else ""
    return f"{module}.{function}" if module else function


async def at_rate(deployment: Deployment, base_url: str, workload, args: argparse.Namespace) -> dict:
    """The open loop's summary, the tenants' inboxes drained meanwhile by one consumer each."""
    done = asyncio.Event()
    consumers = asyncio.create_task(deployment.consumers([base_url], 1, done))
    load = await asyncio.to_thread(summary_of, deployment.load(workload, [base_url], "--rate", str(args.rate),
                                                               "--seconds", str(args.seconds)))
    done.set()
    await consumers
    return load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--all-threads", action="store_true",
                        help="sample every busy thread, not only the one holding the GIL (shows C waits too)")
    parser.add_argument("--without-register", action="store_true", help="see bench/ingest.py")
    parser.add_argument("--collapsed", type=Path, help="keep py-spy's collapsed stacks here (for speedscope)")
    parser.add_argument("--rate", type=float, help="an open loop at this many messages per second, consumers at work")
    parser.add_argument("--seconds", type=float, default=60, help="how long the open loop runs")
    args = parser.parse_args()
    if shutil.which("py-spy") is None:
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    workload = templates()
    with tempfile.TemporaryDirectory(prefix="ketenpoort-profile-") as directory:
        deployment = Deployment(Path(directory), register=not args.without_register)
        with deployment.gateways(1) as (gateway,):
            options = ["--connections", str(args.connections)]
            summary_of(deployment.load(workload, [gateway.base_url], "--messages", "300", *options))
            collapsed = Path(directory) / "profile.txt"
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(gateway.process.pid), "--rate", "250",
                                    "--format", "raw", "--output", str(collapsed), "--nonblocking",
                                    *([] if args.all_threads else ["--gil"])],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if args.rate:
                load = asyncio.run(at_rate(deployment, gateway.base_url, workload, args))
            else:
                load = summary_of(deployment.load(workload, [gateway.base_url], "--messages", str(args.messages),
                                                  *options))
            spy.send_signal(2)  # py-spy writes its output on SIGINT
            _, errors = spy.communicate(timeout=60)
            if not collapsed.exists():
                print(f"py-spy wrote no profile: {errors}", file=sys.stderr)
                return 1
        total, inclusive, own = summarise(collapsed, args.top)
        if args.collapsed:
            shutil.copy(collapsed, args.collapsed)
    print(f"{load['messages']} messages at {load['rate']:.0f}/s; {total} busy samples of the gateway")
    print(f"\n{'inclusive':>9}  function")
    for name, share in inclusive:
        print(f"{share:8.1f}%  {name}")
    print(f"\n{'self':>9}  function")
    for name, share in own:
        print(f"{share:8.1f}%  {name}")
    top = ",".join(f"{name}:{share:.1f}" for name, share in own[:5])
    print(f"RESULT samples={total} rate_per_s={load['rate']:.0f} top_self={top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
