"""Messages per second through our validation path (safe parse + identify + XSD validation, with readable
problems for the invalid ones) against bare lxml (etree.fromstring + XMLSchema.validate on the same precompiled
schemas), over every example message.

    python bench/validate.py [--seconds S] [--rounds N]

Both run in the same process on the same messages and compiled schemas, alternating per message in short
batches; each message counts with its fastest batch (CPU time of this thread), so load from other processes on a
shared machine disturbs both alike and as little as possible.
Target: ratio >= 0.90. Ends with `RESULT ratio=... ours_per_s=... lxml_per_s=...`.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lxml import etree

from connectors.istandaarden.reader import check_message, read_message
from connectors.istandaarden.validation import SchemaRegistry

REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "istandaarden"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="total measuring time (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=30, help="rounds per message (default %(default)s)")
    args = parser.parse_args()
    files = sorted(REFERENCE_DIR.glob("*-3.2/examples/*.xml"))
    if not files:
        print(f"no example messages at {REFERENCE_DIR}")
        print("RESULT skipped=1")
        return 0
    registry = SchemaRegistry()
    registry.compile_all()
    messages = [path.read_bytes() for path in files]
    schemas = [registry.schema(read_message(data).message_type) for data in messages]

    def ours(index: int) -> None:
        check_message(messages[index], registry)

    def bare(index: int) -> None:
        schemas[index].validate(etree.fromstring(messages[index]))

    # Per message, alternate both in short batches and keep each one's fastest batch: the figure a quiet machine
    # would give, which transient load from other processes cannot lower.
    repeat = _calibrate(lambda: [bare(i) for i in range(len(messages))], args.seconds / args.rounds / 2)
    best = {"ours": [float("inf")] * len(messages), "lxml": [float("inf")] * len(messages)}
    for round_number in range(args.rounds):
        for index in range(len(messages)):
            order = (("lxml", bare), ("ours", ours))
            for name, run in order if round_number % 2 else reversed(order):
                best[name][index] = min(best[name][index], _timed(run, index, repeat))
    ours_per_s, lxml_per_s = (len(messages) * repeat / sum(best[name]) for name in ("ours", "lxml"))
    print(f"{len(messages)} example messages, {repeat} runs per batch, best of {args.rounds} rounds per message")
    print(f"ours (safe parse + identify + validate): {ours_per_s:10.0f} messages/s")
    print(f"bare lxml (fromstring + XMLSchema.validate): {lxml_per_s:6.0f} messages/s")
    print(f"RESULT ratio={ours_per_s / lxml_per_s:.3f} ours_per_s={ours_per_s:.0f} lxml_per_s={lxml_per_s:.0f}")
    return 0


def _timed(run, index: int, repeat: int) -> float:
    start = time.thread_time()
    for _ in range(repeat):
        run(index)
    return time.thread_time() - start


def _calibrate(run_all, seconds: float) -> int:
    """How many runs of each message take about `seconds` for all of them."""
    start = time.thread_time()
    run_all()
    return max(1, int(seconds / (time.thread_time() - start)))


if __name__ == "__main__":
    sys.exit(main())
