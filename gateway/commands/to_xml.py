"""`ketenpoort to-xml FILE`: the iWmo/iJw 3.2 message for its JSON form (as `ketenpoort to-json` prints it)."""
from __future__ import annotations

import argparse
import json

from connectors.istandaarden.json_mapping import MappingError, to_xml
from connectors.istandaarden.validation import SchemaRegistry
from gateway.commands.message_io import check_valid, invalid, read_bytes, run_reporting, write_xml


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "to-xml", help="print the XML message for its JSON form",
        description="Print the iWmo/iJw 3.2 message (XML) for its JSON form {\"standard\", \"message\", "
        "\"Bericht\"} as `ketenpoort to-json` prints it; element order comes from the schema. The result must be "
        "valid against the message's XSD. Exit 0; 1 when the JSON or the resulting message is invalid; 2 on "
        "usage errors.",
    )
    parser.add_argument("file", metavar="FILE", help="the JSON form; - for stdin")
    parser.set_defaults(func=lambda args: run_reporting("to-xml", lambda: run(args)))


def run(args: argparse.Namespace) -> int:
    data = read_bytes(args.file)
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise invalid(args.file, [f"not valid JSON: {error}"]) from None
    try:
        root = to_xml(document)
    except MappingError as error:
        raise invalid(args.file, [error]) from None
    registry = SchemaRegistry()
    check_valid(root, registry, args.file)
    write_xml(root)
    return 0
