"""`ketenpoort to-json FILE`: the canonical JSON form of an iWmo/iJw 3.2 message."""
from __future__ import annotations

import argparse
import json
import sys

from connectors.istandaarden.json_mapping import MappingError, to_json
from connectors.istandaarden.problems import Problem
from connectors.istandaarden.validation import SchemaRegistry
from gateway.commands.message_io import invalid, read_valid_message, run_reporting


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "to-json", help="print the JSON form of an iWmo/iJw 3.2 message",
        description="Print the lossless JSON form of a valid iWmo/iJw 3.2 message: {\"standard\", \"message\", "
        "\"release\", \"Bericht\"}, element names as keys, repeatable elements always as lists, values as the "
        "exact XML text. `ketenpoort to-xml` turns it back. Exit 0; 1 when the message is invalid; 2 on usage "
        "errors.",
    )
    parser.add_argument("file", metavar="FILE", help="the message (XML); - for stdin")
    parser.set_defaults(func=lambda args: run_reporting("to-json", lambda: run(args)))


def run(args: argparse.Namespace) -> int:
    root = read_valid_message(args.file, SchemaRegistry())
    try:
        document = to_json(root)
    except MappingError as error:
        raise invalid(args.file, [Problem(error.line, error.where, error.problem)]) from None
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
