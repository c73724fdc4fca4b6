"""Reading incoming messages: the safe parser refuses hostile XML clearly; identification and the Header."""
from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from connectors.istandaarden import catalogue, safe_xml
from connectors.istandaarden.header import identify, read_header
from connectors.istandaarden.problems import MessageError, element_path
from connectors.istandaarden.reader import read_message
from connectors.istandaarden.safe_xml import Limits

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<x>&secret;</x>"""


def _refusal(data: bytes, limits: Limits = safe_xml.DEFAULT_LIMITS):
    with pytest.raises(MessageError) as raised:
        safe_xml.parse(data, limits)
    [problem] = raised.value.problems
    return problem


@pytest.mark.parametrize("data", [b"", b"   \n\t"])
def test_empty_body(data):
    assert _refusal(data).message == "empty document"


def test_not_well_formed_names_line_and_column():
    problem = _refusal(b"<a>\n  <b>\n</a>")
    assert problem.line == 3
    assert problem.message.startswith("not well-formed XML: Opening and ending tag mismatch")
    assert "column" in problem.message


def test_invalid_utf8_is_named():
    problem = _refusal(b"<?xml version='1.0' encoding='UTF-8'?>\n<a>caf\xe9</a>")
    assert problem.line == 2
    assert problem.message.startswith("bytes that are not valid in the document's encoding (UTF-8 unless")


def test_a_declared_latin1_document_is_read():
    assert safe_xml.parse(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xe9</a>").text == "caf\u00e9"


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<!DOCTYPE a><a/>"])
def test_any_doctype_is_refused(data):
    problem = _refusal(data)
    assert problem.message == "a document type declaration (DTD) is not allowed"
    assert problem.line == data.count(b"\n", 0, data.find(b"<!DOCTYPE")) + 1


def test_undeclared_entity_is_not_well_formed():
    assert "Entity 'x' not defined" in _refusal(b"<a>&x;</a>").message


def test_size_is_checked_before_parsing():
    huge = b"<a>" + b"x" * (100 * 1024 * 1024) + b"</a>"
    problem = _refusal(huge)
    assert problem.message == f"message is {len(huge)} bytes, more than the limit of {10 * 1024 * 1024} bytes"
    assert _refusal(b"<a>12345</a>", Limits(max_bytes=5)).message.startswith("message is 12 bytes")


@pytest.mark.parametrize("depth", [65, 200, 10_000])
def test_deep_nesting_is_refused(depth):
    problem = _refusal(b"<a>" * depth + b"</a>" * depth)
    assert problem.message == "elements nested deeper than 64 levels"


def test_depth_limit_is_configurable_and_exact():
    assert safe_xml.parse(b"<a>" * 64 + b"</a>" * 64) is not None
    assert safe_xml.parse(b"<a>" * 3 + b"</a>" * 3, Limits(max_depth=3)) is not None
    assert _refusal(b"<a>" * 4 + b"</a>" * 4, Limits(max_depth=3)).message == "elements nested deeper than 3 levels"
    with pytest.raises(ValueError):
        Limits(max_depth=1000)


def _bericht(namespace: str, body: str = "") -> bytes:
    return f'<Bericht xmlns="{namespace}">{body}</Bericht>'.encode()


def test_identify_by_namespace():
    for message in catalogue.MESSAGES:
        assert identify(safe_xml.parse(_bericht(message.namespace))) is message


@pytest.mark.parametrize("namespace, words", [
    ("http://www.istandaarden.nl/iwmo/3_1/wmo301/schema", "release 3.1 is not supported, this gateway handles 3.2"),
    ("http://www.istandaarden.nl/ijw/2_4/jw301/schema", "release 2.4 is not supported"),
    ("http://www.istandaarden.nl/iwmo/3_2/wmo399/schema", "wmo399 is not an iWmo 3.2 message"),
    ("urn:something:else", "unknown namespace urn:something:else"),
])
def test_unknown_namespaces_are_named(namespace, words):
    with pytest.raises(MessageError) as raised:
        identify(safe_xml.parse(_bericht(namespace)))
    [problem] = raised.value.problems
    assert words in problem.message
    assert (problem.line, problem.path) == (1, "/Bericht")


def test_root_without_namespace_or_with_another_name():
    with pytest.raises(MessageError, match="root element has no namespace"):
        identify(safe_xml.parse(b"<Bericht/>"))
    with pytest.raises(MessageError, match="root element is Toewijzing, expected Bericht"):
        identify(safe_xml.parse(f'<Toewijzing xmlns="{catalogue.by_code("WMO301").namespace}"/>'.encode()))


def test_header_of_a_heenbericht(reference_dir):
    message = read_message((reference_dir / "istandaarden/iwmo-3.2/examples/WMO301.xml").read_bytes())
    assert message.code == "WMO301" and message.standard == "iwmo"
    header = message.header
    assert (header.berichtcode, header.berichtversie, header.berichtsubversie) == ("414", "3", "2")
    assert (header.afzender, header.ontvanger) == ("0384", "42420001")
    assert (header.identificatie, header.dagtekening) == ("123456789012", date(2023, 8, 13))
    assert (header.basisschema_xsd_versie, header.bericht_xsd_versie) == ("1.0.0", "1.0.0")
    assert header.identificatie_retour is None and header.dagtekening_retour is None


def test_header_of_retours(reference_dir):
    jw302 = read_message((reference_dir / "istandaarden/ijw-3.2/examples/JW302.xml").read_bytes()).header
    assert (jw302.identificatie_retour, jw302.dagtekening_retour) == ("9452b7eb-c87", date(2023, 7, 16))
    jw325 = read_message((reference_dir / "istandaarden/ijw-3.2/examples/JW325.xml").read_bytes()).header
    assert jw325.declaratie_identificatie and jw325.declaratie_dagtekening


def test_header_reading_never_fails_on_a_broken_header():
    namespace = catalogue.by_code("JW305").namespace
    header = read_header(safe_xml.parse(_bericht(namespace, "<Header><Afzender>1</Afzender><BerichtIdentificatie>"
                                                             "<Dagtekening>2023-02-30</Dagtekening>"
                                                             "</BerichtIdentificatie></Header>")))
    assert header.afzender == "1" and header.dagtekening is None and header.berichtcode is None
    assert read_header(safe_xml.parse(_bericht(namespace))).afzender is None


def test_catalogue_pairs_and_senders():
    pairs = {(m.answers_code, m.code) for m in catalogue.MESSAGES if m.direction == catalogue.RETOUR}
    assert ("WMO301", "WMO302") in pairs and ("JW323", "JW325") in pairs and len(pairs) == 14
    assert catalogue.by_code("WMO301").retour_code == "WMO302"
    assert catalogue.by_code("wmo325").berichtcode == 485 and catalogue.by_code("JW325").berichtcode == 491
    assert catalogue.by_code("WMO305").sender == "aanbieder" and catalogue.by_code("WMO306").sender == "gemeente"
    assert catalogue.by_code("JW319").receiver == "aanbieder"
    assert catalogue.by_code("WMO302").namespace == "http://www.istandaarden.nl/iwmo/3_2/wmo302/schema"
    assert catalogue.by_code("WMO999") is None


def test_element_path_counts_only_repeated_names():
    root = etree.fromstring(b"<r xmlns='urn:x'><a/><b><c/></b><b><c/><d/></b></r>")
    assert element_path(root[2][1]) == "/r/b[2]/d"
    assert element_path(root[0]) == "/r/a"
