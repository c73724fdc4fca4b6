"""`ketenpoort rules list [--json]`: the technical rules of iWmo/iJw 3.2 and which of them the gateway checks."""
from __future__ import annotations

import argparse
import json

from connectors.istandaarden import rules


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rules", help="the technical rules (TR) of iWmo/iJw 3.2", description=__doc__)
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="list every rule with its retourcode, level and whether it is implemented",
        description="List every technical rule of iWmo and iJw 3.2 with its retourcode, level (xslt: inside one "
        "message, externe-bron: needs an outside list, berichtoverstijgend: across messages) and whether the "
        "gateway checks it, followed by the coverage per level.",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line, no summary")
    listing.add_argument("--standard", choices=("iwmo", "ijw"), help="only the rules of this standard")
    listing.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    selected = rules.all_rules(args.standard)
    if args.json:
        for rule in selected:
            print(json.dumps(rule.as_dict()))
        return 0
    print(f"{'standard':<9}{'code':<10}{'retourcode':<12}{'level':<21}implemented")
    for rule in selected:
        print(f"{rule.standard:<9}{rule.code:<10}{rule.retourcode or '-':<12}{rule.level:<21}"
              f"{'yes' if rule.implemented else 'no'}")
    covered = rules.coverage(args.standard)
    done, total = sum(d for d, _ in covered.values()), sum(t for _, t in covered.values())
    per_level = ", ".join(f"{level} {d}/{t}" for level, (d, t) in covered.items())
    print(f"coverage: {done}/{total} rules implemented ({per_level})")
    return 0
