"""Parsing XML that partners send, safely: no DTD, no entities, no network, with size and depth limits.

Every connector parses outside input through `parse_xml`, so hostile XML (billion laughs, external entities,
absurd nesting, huge documents) becomes an `UnsafeXml` error with a clear reason, never a crash or a hang.
"""
from __future__ import annotations

import functools
import re
import threading

from lxml import etree

MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 64
DTD_REFUSED = "a document type declaration (DTD) is not allowed"
PARSER_MAX_DEPTH = 256  # libxml2 itself stops at this depth while parsing (no XML_PARSE_HUGE): memory stays bounded
_POSITION_SUFFIX = re.compile(r", line \d+, column \d+$")
# A DOCTYPE stands in the prolog (after an optional BOM, XML declaration, comments and processing instructions):
# found there, the document is refused before libxml2 reads any of its declarations. Possessive quantifiers keep
# the match linear on hostile prologs (at most as costly as libxml2 parsing the same bytes).
_DOCTYPE_IN_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s++|<\?.*?\?>|<!--.*?-->)*+<!DOCTYPE", re.DOTALL)
# Most documents start with one of these UTF-8 declarations and then, after whitespace, their root element: a
# prolog with no room for a DOCTYPE, told in a fraction of the regex's time (see _plain_utf8_prolog).
_UTF8_DECLARATIONS = (b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0" encoding="utf-8"?>',
                      b"<?xml version='1.0' encoding='UTF-8'?>", b'<?xml version="1.0"?>')
_parsers = threading.local()


class UnsafeXml(ValueError):
    """The input is not XML we accept; `reason` says why and `line` where, when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line else reason)


def _parser(remove_blank_text: bool) -> etree.XMLParser:
    # One parser per thread and kind: lxml parsers keep state and are not safe to share between threads, and a
    # fresh parser per call nearly doubles the cost of parsing a small message.
    name = "without_blank_text" if remove_blank_text else "parser"
    parser = getattr(_parsers, name, None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
            remove_blank_text=remove_blank_text, collect_ids=False)
        setattr(_parsers, name, parser)
    return parser


def parse_xml(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
              check_max_depth: bool = True, remove_blank_text: bool = False) -> etree._Element:
    """The root element of `data`, or `UnsafeXml` when it is too large, too deep, has a DTD or is not XML.
    `check_max_depth=False` leaves only the parser's own limit (256 levels), for callers that run `check_depth`
    later (a document deeper than that is still refused, naming `max_depth`). `remove_blank_text=True` drops
    whitespace between elements where libxml2 finds it ignorable (for documents whose elements hold either
    elements or text, never both)."""
    if not isinstance(data, bytes):
        raise UnsafeXml("XML must be given as bytes (the encoding comes from the XML declaration)")
    if len(data) > max_bytes:
        raise UnsafeXml(f"document of {len(data)} bytes exceeds the limit of {max_bytes} bytes")
    if not data or data.isspace():  # isspace stops at the first other byte; strip would copy the body
        raise UnsafeXml("empty document")
    plain_prolog = _plain_utf8_prolog(data)
    doctype = not plain_prolog and _DOCTYPE_IN_PROLOG.match(data)
    if doctype:
        raise UnsafeXml(DTD_REFUSED, data.count(b"\n", 0, doctype.end()) + 1)
    try:
        root = etree.fromstring(data, _parser(remove_blank_text))
    except etree.XMLSyntaxError as error:
        raise UnsafeXml(_syntax_reason(error, max_depth), error.lineno) from None
    # The regex reads bytes: in UTF-16 or a declared encoding a DOCTYPE can pass it. libxml2 keeps an internal DTD
    # for every DOCTYPE, with or without a subset.
    if not plain_prolog and root.getroottree().docinfo.internalDTD is not None:
        doctype = data.find(b"<!DOCTYPE")
        raise UnsafeXml(DTD_REFUSED, data.count(b"\n", 0, doctype) + 1 if doctype >= 0 else None)
    if check_max_depth:
        check_depth(root, max_depth)
    return root


def _plain_utf8_prolog(data: bytes) -> bool:
    """True when `data` is UTF-8 by its declaration and the element after it is the root element, so no DOCTYPE
    can stand in its prolog. A declaration holds no '<': the second one opens the root, a comment, a processing
    instruction or the DOCTYPE."""
    if not data.startswith(_UTF8_DECLARATIONS):
        return False
    second = data.find(b"<", 1)
    return second > 0 and data[second + 1:second + 2] not in (b"!", b"?")


def _syntax_reason(error: etree.XMLSyntaxError, max_depth: int) -> str:
    text = _POSITION_SUFFIX.sub("", error.msg or str(error))
    column = f" (column {error.position[1]})" if error.position and error.position[1] else ""
    if text.startswith("Excessive depth in document"):
        return f"elements nested deeper than {min(max_depth, PARSER_MAX_DEPTH)} levels"
    if text.startswith(("Invalid bytes in character encoding", "Input is not proper UTF-8")):
        return f"bytes that are not valid in the document's encoding (UTF-8 unless the XML declaration says " \
               f"otherwise){column}"
    return f"not well-formed XML: {text}{column}"


@functools.lru_cache(maxsize=None)
def _deeper_than(depth: int) -> etree.XPath:
    """True when an element sits more than `depth` levels deep. One compiled XPath costs a few microseconds, far
    less than walking the tree in Python or parsing through a target that counts."""
    return etree.XPath("boolean(" + "/*" * (depth + 1) + ")")


def check_depth(root: etree._Element, max_depth: int) -> None:
    """`UnsafeXml` when an element of the tree sits more than `max_depth` levels deep."""
    if _deeper_than(max_depth)(root):
        too_deep = root.xpath("/*" * (max_depth + 1))[0]
        raise UnsafeXml(f"elements nested deeper than {max_depth} levels", too_deep.sourceline)
