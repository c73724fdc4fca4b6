"""Messages per second through the JSON mapping (XML -> JSON text -> XML) and through building retour messages,
each against a raw limit measured in the same run on the same messages: lxml parsing and serialising the XML
(for the JSON round trip) and lxml deep-copying the heenbericht and serialising it (for the retour).

    python bench/istandaarden_transform.py [--rounds N]

Best round of many short interleaved rounds, in CPU time of this thread (a shared machine disturbs both alike).
Ends with `RESULT json_ratio=... retour_ratio=... json_per_s=... retour_per_s=...` (ratio = ours / raw).
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree  # noqa: E402

from connectors.istandaarden import catalogue  # noqa: E402
from connectors.istandaarden.json_mapping import to_json, to_xml  # noqa: E402
from connectors.istandaarden.retour import build_retour  # noqa: E402

REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "istandaarden"
INVALID = {"JW315", "JW318"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds (default %(default)s)")
    args = parser.parse_args()
    files = [p for p in sorted(REFERENCE_DIR.glob("*-3.2/examples/*.xml")) if p.stem not in INVALID]
    if not files:
        print(f"no example messages at {REFERENCE_DIR}")
        print("RESULT skipped=1")
        return 0
    messages = [path.read_bytes() for path in files]
    roots = [etree.fromstring(data) for data in messages]
    heen = [root for root in roots if catalogue.by_namespace(etree.QName(root).namespace).retour_code]

    def json_ours() -> None:
        for data in messages:
            etree.tostring(to_xml(json.loads(json.dumps(to_json(etree.fromstring(data))))))

    def json_raw() -> None:
        for data in messages:
            etree.tostring(etree.fromstring(data))

    def retour_ours() -> None:
        for root in heen:
            etree.tostring(build_retour(root))

    def retour_raw() -> None:
        for root in heen:
            etree.tostring(copy.deepcopy(root))

    json_ours(), retour_ours()  # compile the schema structure before measuring
    results = {}
    for name, ours, raw, count in (("json", json_ours, json_raw, len(messages)),
                                   ("retour", retour_ours, retour_raw, len(heen))):
        best_ours, best_raw = _best_of(ours, raw, args.rounds)
        results[name] = (count / best_ours, count / best_raw)
        print(f"{name:<6} ours {count / best_ours:9.0f} messages/s   raw lxml {count / best_raw:9.0f} messages/s")
    print(f"{len(messages)} example messages ({len(heen)} heenberichten), best of {args.rounds} rounds")
    print("RESULT " + " ".join(f"{name}_ratio={ours / raw:.4f}" for name, (ours, raw) in results.items()) + " "
          + " ".join(f"{name}_per_s={ours:.0f}" for name, (ours, _) in results.items()))
    return 0


def _best_of(ours, raw, rounds: int) -> tuple[float, float]:
    best_ours = best_raw = float("inf")
    for round_number in range(rounds):
        if round_number % 2:
            best_raw, best_ours = min(best_raw, _timed(raw)), min(best_ours, _timed(ours))
        else:
            best_ours, best_raw = min(best_ours, _timed(ours)), min(best_raw, _timed(raw))
    return best_ours, best_raw


def _timed(run) -> float:
    start = time.thread_time()
    run()
    return max(time.thread_time() - start, 1e-9)


if __name__ == "__main__":
    sys.exit(main())
