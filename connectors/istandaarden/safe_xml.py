"""Safe parsing of incoming iWmo/iJw messages: the project's safe parser (connectors.common.safe_xml: no DTD, no
entities, no network, size checked before parsing, depth bounded by libxml2 while parsing and checked exactly
afterwards) with the limits of this gateway, reporting as Problems."""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from connectors.common.safe_xml import PARSER_MAX_DEPTH, UnsafeXml, parse_xml

from .problems import MessageError, Problem

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64


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


def parse(data: bytes, limits: Limits = DEFAULT_LIMITS) -> etree._Element:
    """The root element of `data`, or MessageError naming what is wrong and where."""
    check_size(len(data), limits)
    try:
        return parse_xml(data, max_bytes=limits.max_bytes, max_depth=limits.max_depth)
    except UnsafeXml as error:
        raise MessageError([Problem(error.line, None, error.reason)]) from None
