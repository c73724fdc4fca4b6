"""Input and output for the verbs that transform one iWmo/iJw message (retour, to-json, to-xml).

Every failure becomes a `CommandFailed` with the exit code (1: the input is invalid, 2: usage) and the lines
to print on stderr, each naming the file and, where known, the line and element path.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from lxml import etree

from connectors.istandaarden import safe_xml
from connectors.istandaarden.problems import MessageError, Problem
from connectors.istandaarden.reader import check_message
from connectors.istandaarden.validation import SchemaRegistry

INVALID = 1
USAGE = 2
STDIN = "-"


class CommandFailed(Exception):
    def __init__(self, exit_code: int, reasons: Iterable[str]):
        self.exit_code = exit_code
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


def invalid(source: str, problems: Iterable[Problem | str]) -> CommandFailed:
    return CommandFailed(INVALID, (f"{source}: {problem}" for problem in problems))


def usage(reason: str) -> CommandFailed:
    return CommandFailed(USAGE, [reason])


def read_bytes(source: str) -> bytes:
    """The content of a file, or of stdin for "-", within the message size limit."""
    try:
        if source == STDIN:
            data = sys.stdin.buffer.read(safe_xml.DEFAULT_MAX_BYTES + 1)
        else:
            with open(source, "rb") as file:
                data = file.read(safe_xml.DEFAULT_MAX_BYTES + 1)
        safe_xml.check_size(len(data))
    except FileNotFoundError:
        raise usage(f"{source}: no such file") from None
    except OSError as error:
        raise usage(f"{source}: cannot read: {error.strerror or error}") from None
    except MessageError as error:
        raise invalid(source, error.problems) from None
    return data


def read_valid_message(source: str, registry: SchemaRegistry) -> etree._Element:
    """The root of a well-formed iWmo/iJw 3.2 message that is valid against its XSD."""
    result = check_message(read_bytes(source), registry)
    if not result.valid:
        raise invalid(source, result.problems)
    return result.message.root


def check_valid(root: etree._Element, registry: SchemaRegistry, source: str) -> None:
    """A message made from `source` must be valid too; if not, say where."""
    problems = registry.validate(root)
    if problems:
        raise invalid(source, problems)


def write_xml(root: etree._Element) -> None:
    sys.stdout.buffer.write(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    sys.stdout.flush()


def run_reporting(verb: str, action) -> int:
    """Run `action() -> int`, turning CommandFailed into its lines on stderr and its exit code."""
    try:
        return action()
    except CommandFailed as failure:
        for reason in failure.reasons:
            print(f"ketenpoort {verb}: {reason}", file=sys.stderr)
        return failure.exit_code
    except BrokenPipeError:
        # the reader went away (`| head`): nothing left to say; keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return INVALID
