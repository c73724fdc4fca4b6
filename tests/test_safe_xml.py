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


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE a [<!ENTITY x "y">]>\n<a>&x;</a>',
    b'<?xml version="1.0"?>\n<!-- a comment first -->\n<!DOCTYPE a>\n<a/>',
    b'<?xml version="1.0"?><?pi first?><!DOCTYPE a><a/>',
    b'\xef\xbb\xbf<!DOCTYPE a><a/>',
    '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE a>\n<a/>'.encode("utf-16"),  # the byte regex cannot see it
    b'<?xml version="1.0" encoding="ISO-8859-1"?><!DOCTYPE a><a/>',
], ids=["after-declaration", "after-comment", "after-pi", "after-bom", "utf-16", "declared-encoding"])
def test_a_doctype_is_refused_wherever_the_prolog_puts_it(data):
    with pytest.raises(UnsafeXml, match="DTD"):
        parse_xml(data)


def test_without_blank_text_the_layout_goes_and_every_value_stays():
    data = b'<?xml version="1.0"?>\n<a>\n  <b>  </b>\n  <c> x </c>\n</a>'
    root = parse_xml(data, remove_blank_text=True)
    assert (root.text, root[0].text, root[1].text, root[1].sourceline) == (None, "  ", " x ", 4)
    assert parse_xml(data)[0].tail == "\n  "
