"""Parse XML from outside safely: no DTD, no entities, no network, bounded size and depth.

Hostile input (billion laughs, external entities, a 100 MB body, 10,000 nested elements) is refused with a clear
MessageError, quickly and in bounded memory:
- the size is checked before parsing;
- libxml2 itself stops at 256 levels of nesting while parsing (without XML_PARSE_HUGE), so the tree never grows
  deep; the configured, lower limit is checked afterwards by one compiled XPath (a few microseconds, much cheaper
  than a parser target or pull parser, which would cost more than the parse itself);
- entities are never expanded, nothing is loaded, and any DOCTYPE is refused after the parse.
"""
from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from lxml import etree

from .problems import MessageError, Problem

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64
PARSER_MAX_DEPTH = 256  # libxml2's own nesting limit without XML_PARSE_HUGE
_POSITION_SUFFIX = re.compile(r", line \d+, column \d+$")


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
_parsers = threading.local()  # an lxml parser must not be used by two threads at once


def _parser() -> etree.XMLParser:
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
            collect_ids=False,
        )
    return parser


@functools.lru_cache(maxsize=None)
def _deeper_than(depth: int) -> etree.XPath:
    """True when some element sits more than `depth` levels deep (the root element is level 1)."""
    return etree.XPath("boolean(" + "/*" * (depth + 1) + ")")


def parse(data: bytes, limits: Limits = DEFAULT_LIMITS) -> etree._Element:
    """The root element of `data`, or MessageError naming what is wrong and where (line, column)."""
    if not data or data.isspace():
        raise MessageError([Problem(None, None, "empty body: expected an XML message")])
    if len(data) > limits.max_bytes:
        raise MessageError([Problem(None, None, f"message is {len(data)} bytes, more than the limit of "
                                                f"{limits.max_bytes} bytes")])
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise MessageError([_syntax_problem(error, limits)]) from None
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise MessageError([Problem(_line_of(data, b"<!DOCTYPE"), None,
                                    "DOCTYPE declarations (DTDs and entities) are not allowed in messages")])
    if _deeper_than(limits.max_depth)(root):
        deepest = _deeper_than_element(root, limits.max_depth)
        raise MessageError([Problem(deepest.sourceline, None,
                                    f"elements are nested more than {limits.max_depth} levels deep")])
    return root


def _deeper_than_element(root: etree._Element, depth: int) -> etree._Element:
    return root.xpath("/*" * (depth + 1))[0]


def _syntax_problem(error: etree.XMLSyntaxError, limits: Limits) -> Problem:
    line, column = error.position if error.position else (error.lineno, None)
    text = _POSITION_SUFFIX.sub("", error.msg or str(error))
    if text.startswith("Excessive depth in document"):
        reason = f"elements are nested more than {limits.max_depth} levels deep"
    elif text.startswith(("Invalid bytes in character encoding", "Input is not proper UTF-8")):
        reason = "bytes that are not valid in the message's encoding (UTF-8 unless the XML declaration says otherwise)"
    elif text.startswith("Document is empty"):
        reason = "empty body: expected an XML message"
    else:
        reason = f"not well-formed XML: {text}"
    return Problem(line or None, None, f"{reason} (column {column})" if column else reason)


def _line_of(data: bytes, marker: bytes) -> int | None:
    offset = data.find(marker)
    return data.count(b"\n", 0, offset) + 1 if offset >= 0 else None
