"""Hostile XML is refused with a reason, never expanded, fetched or crashed on."""
from __future__ import annotations

import pytest

from connectors.common.safe_xml import UnsafeXml, parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_a_dtd_is_refused(data):
    with pytest.raises(UnsafeXml, match="DTD"):
        parse_xml(data)


def test_deep_nesting_is_refused_with_the_line():
    data = b"<a>\n" + b"<a>" * 70 + b"</a>" * 71
    with pytest.raises(UnsafeXml, match="deeper than 64") as caught:
        parse_xml(data)
    assert caught.value.line == 2


def test_a_document_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(UnsafeXml, match="exceeds the limit of 100 bytes"):
        parse_xml(b"<a>" + b"x" * 200 + b"</a>", max_bytes=100)


@pytest.mark.parametrize("data, reason", [
    (b"", "empty document"),
    (b"<a><b></a>", "not well-formed"),
    (b"<a>&undefined;</a>", "not well-formed"),
])
def test_not_well_formed_input_names_the_problem(data, reason):
    with pytest.raises(UnsafeXml, match=reason):
        parse_xml(data)


def test_ordinary_xml_parses_with_line_numbers():
    root = parse_xml(b'<?xml version="1.0" encoding="UTF-8"?>\n<a>\n  <b>\xc3\xa9</b>\n</a>')
    assert root[0].text == "\u00e9"
    assert root[0].sourceline == 3
