"""`ketenpoort validate [--json] [--schemas DIR] PATH...`: check iWmo/iJw 3.2 messages against their XSDs."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from connectors.istandaarden import safe_xml
from connectors.istandaarden.problems import MessageError, Problem
from connectors.istandaarden.reader import CheckResult, check_message
from connectors.istandaarden.validation import SchemaRegistry, SchemaUnavailable


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check iWmo/iJw 3.2 messages against the XSDs",
        description="Check iWmo/iJw 3.2 messages: safe parse, identify the message by its namespace, validate "
        "against its XSD. Directories are searched recursively for *.xml. Exit 0 when every file is valid, "
        "1 when any is invalid, 2 on usage errors.",
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="message files or directories")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per file")
    parser.add_argument("--schemas", type=Path, metavar="DIR",
                        help="schemas directory (<standard>/3.2/) or an official iWmo or iJw release directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.paths:
        return _usage_error("give at least one file or directory")
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        return _usage_error(f"not found: {', '.join(missing)}")
    try:
        registry = SchemaRegistry.from_directory(args.schemas) if args.schemas else SchemaRegistry()
    except ValueError as error:
        return _usage_error(str(error))
    invalid = 0
    checked = 0
    for path in _message_files(args.paths):
        try:
            result = _check_file(path, registry)
        except SchemaUnavailable as error:
            return _usage_error(str(error))
        checked += 1
        invalid += not result.valid
        print(_as_json(path, result) if args.json else _as_text(path, result), flush=True)
    if not args.json:
        print(f"{checked} file(s): {checked - invalid} valid, {invalid} invalid")
    return 1 if invalid else 0


def _usage_error(reason: str) -> int:
    print(f"ketenpoort validate: {reason}", file=sys.stderr)
    return 2


def _message_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.xml") if p.is_file())
        else:
            yield path


def _check_file(path: Path, registry: SchemaRegistry) -> CheckResult:
    try:
        safe_xml.check_size(path.stat().st_size)
        data = path.read_bytes()
    except MessageError as error:
        return CheckResult(None, error.problems)
    except OSError as error:
        return CheckResult(None, [Problem(None, None, f"cannot read the file: {error.strerror or error}")])
    return check_message(data, registry)


def _as_json(path: Path, result: CheckResult) -> str:
    message = result.message
    return json.dumps({
        "file": str(path),
        "valid": result.valid,
        "standard": message.standard if message else None,
        "message": message.code if message else None,
        "errors": [problem.as_dict() for problem in result.problems],
    }, ensure_ascii=False)


def _as_text(path: Path, result: CheckResult) -> str:
    described = result.message.message_type.describe() if result.message else "not an iWmo/iJw 3.2 message"
    lines = [f"{'valid' if result.valid else 'INVALID':<8} {path}  {described}"]
    lines += [f"    {problem}" for problem in result.problems]
    return "\n".join(lines)
