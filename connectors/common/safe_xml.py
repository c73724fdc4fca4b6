"""Parsing XML that partners send, safely: no DTD, no entities, no network, with size and depth limits.

Every connector parses outside input through `parse_xml`, so hostile XML (billion laughs, external entities,
absurd nesting, huge documents) becomes an `UnsafeXml` error with a clear reason, never a crash or a hang.
"""
from __future__ import annotations

from lxml import etree

MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 64


class UnsafeXml(ValueError):
    """The input is not XML we accept; `reason` says why and `line` where, when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line else reason)


def _parser() -> etree.XMLParser:
    # A parser per call: lxml parsers keep state and are not safe to share between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False, collect_ids=False)


def parse_xml(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> etree._Element:
    """The root element of `data`, or `UnsafeXml` when it is too large, too deep, has a DTD or is not XML."""
    if not isinstance(data, bytes):
        raise UnsafeXml("XML must be given as bytes (the encoding comes from the XML declaration)")
    if len(data) > max_bytes:
        raise UnsafeXml(f"document of {len(data)} bytes exceeds the limit of {max_bytes} bytes")
    if not data.strip():
        raise UnsafeXml("empty document")
    try:
        tree = etree.fromstring(data, _parser()).getroottree()
    except etree.XMLSyntaxError as error:
        raise UnsafeXml(f"not well-formed XML: {error.msg}", error.lineno) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXml("a document type declaration (DTD) is not allowed", 1)
    _check_depth(tree.getroot(), max_depth)
    return tree.getroot()


def _check_depth(root: etree._Element, max_depth: int) -> None:
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > max_depth:
                raise UnsafeXml(f"elements nested deeper than {max_depth} levels", element.sourceline)
        else:
            depth -= 1
