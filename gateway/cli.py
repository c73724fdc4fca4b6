"""The `ketenpoort` command line: one module per verb under `gateway.commands`."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Each module defines `register(subparsers)`, which adds its verb and sets `func` on the parser.
COMMAND_MODULES: tuple[str, ...] = (
    "certs", "serve", "keys", "audit", "validate", "rules", "retour", "to_json", "to_xml", "demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ketenpoort",
        description="Message gateway for iWmo/iJw, CORV, Suwinet and BRP.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"gateway.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader went away (`ketenpoort rules list | head -1`): stop quietly. Output still buffered would
        # raise again when Python flushes stdout at exit, so stdout goes to /dev/null from here.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
