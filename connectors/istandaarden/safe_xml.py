"""Safe parsing of incoming iWmo/iJw messages: the project's safe parser (connectors.common.safe_xml: no DTD, no
entities, no network, size checked before parsing, depth bounded by libxml2 while parsing and checked exactly
afterwards) with the limits of this gateway, reporting as Problems.

The exact depth check walks every level of the tree: about a tenth of the cost of validating a message. The XSDs
of iWmo/iJw already bound the depth of a valid message (MESSAGE_MAX_DEPTH), so `reader.check_message` skips it
for messages its XSD accepts and runs it only for those it rejects."""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from connectors.common.safe_xml import PARSER_MAX_DEPTH, UnsafeXml, check_depth, parse_xml

from .problems import MessageError, Problem

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64
MESSAGE_MAX_DEPTH = 12  # no iWmo/iJw 3.2 XSD allows a deeper element (tests/test_istandaarden_schemas.py checks)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH

    def __post_init__(self):
        if self.max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        if not 1 <= self.max_depth <= PARSER_MAX_DEPTH:
            raise ValueError(f"max_depth must be between 1 and {PARSER_MAX_DEPTH} (the XML parser's own limit)")


DEFAULT_LIMITS = Limits()


def check_size(size: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """MessageError when a message of `size` bytes is over the limit; callers may check before reading a body."""
    if size > limits.max_bytes:
        raise MessageError([Problem(None, None, f"message is {size} bytes, more than the limit of "
                                                f"{limits.max_bytes} bytes")])


def parse(data: bytes, limits: Limits = DEFAULT_LIMITS, *, check_depth: bool = True) -> etree._Element:
    """The root element of `data`, or MessageError naming what is wrong and where. `check_depth=False` leaves
    only the parser's own limit (256 levels) and is for callers that run `depth_problem` themselves."""
    check_size(len(data), limits)
    try:
        # iWmo/iJw elements hold elements or text, never both: whitespace between elements is no content, and
        # leaving it out of the tree makes parsing and XSD validation about a tenth faster (the journal keeps the
        # message as received).
        return parse_xml(data, max_bytes=limits.max_bytes, max_depth=limits.max_depth, check_max_depth=check_depth,
                         remove_blank_text=True)
    except UnsafeXml as error:
        raise MessageError([Problem(error.line, None, error.reason)]) from None


def depth_problem(root: etree._Element, limits: Limits = DEFAULT_LIMITS) -> Problem | None:
    """The Problem when an element sits deeper than the limit allows; None otherwise."""
    try:
        check_depth(root, limits.max_depth)
    except UnsafeXml as error:
        return Problem(error.line, None, error.reason)
    return None
