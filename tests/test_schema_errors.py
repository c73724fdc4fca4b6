"""Every kind of libxml2 XSD error the gateway reports gets its plain-words reason (schema_errors keys them by
libxml2's error type: a type or wording that libxml2 changes shows here)."""
from __future__ import annotations

import pytest
from lxml import etree

from connectors.istandaarden.schema_errors import problems_from_log

XS = "http://www.w3.org/2001/XMLSchema"
NS = "urn:example:bericht"


def _restricted(name: str, base: str, facet: str) -> str:
    return (f'<xs:element name="{name}"><xs:simpleType><xs:restriction base="xs:{base}">{facet}'
            f'</xs:restriction></xs:simpleType></xs:element>')


SCHEMA = etree.XMLSchema(etree.fromstring(f"""
<xs:schema xmlns:xs="{XS}" targetNamespace="{NS}" elementFormDefault="qualified">
  <xs:element name="Bericht"><xs:complexType><xs:sequence>
    {_restricted("Patroon", "string", '<xs:pattern value="[0-9]{2}"/>')}
    {_restricted("Keuze", "string", '<xs:enumeration value="a"/><xs:enumeration value="b"/>')}
    {_restricted("Lang", "string", '<xs:maxLength value="2"/>')}
    {_restricted("Kort", "string", '<xs:minLength value="2"/>')}
    {_restricted("Precies", "string", '<xs:length value="2"/>')}
    {_restricted("Hoog", "integer", '<xs:maxInclusive value="2"/>')}
    {_restricted("Laag", "integer", '<xs:minInclusive value="2"/>')}
    {_restricted("Cijfers", "decimal", '<xs:totalDigits value="2"/>')}
    {_restricted("Decimalen", "decimal", '<xs:fractionDigits value="1"/>')}
    <xs:element name="Datum" type="xs:date"/>
    <xs:element name="Groep"><xs:complexType><xs:sequence>
      <xs:element name="Een"/><xs:element name="Twee" minOccurs="0"/>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="Keus"><xs:complexType><xs:choice><xs:element name="A"/><xs:element name="B"/></xs:choice>
    </xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>""".encode()))

VALID = {"Patroon": "12", "Keuze": "a", "Lang": "ab", "Kort": "ab", "Precies": "ab", "Hoog": "2", "Laag": "2",
         "Cijfers": "12", "Decimalen": "1.5", "Datum": "2026-12-07", "Groep": "<Een/>", "Keus": "<A/>"}


def _reasons(**changes: str) -> list[str]:
    body = "".join(f"<{name}>{value}</{name}>" for name, value in {**VALID, **changes}.items())
    root = etree.fromstring(f'<Bericht xmlns="{NS}">{body}</Bericht>'.encode())
    assert not SCHEMA.validate(root)
    return [problem.message for problem in problems_from_log(SCHEMA.error_log, root)]


@pytest.mark.parametrize("changes, reason", [
    ({"Patroon": "x"}, "Patroon: value 'x' does not match the required pattern [0-9]{2}"),
    ({"Keuze": "c"}, "Keuze: value 'c' is not one of the allowed values 'a', 'b'"),
    ({"Lang": "abc"}, "Lang: value is 3 characters long, more than the maximum length 2"),
    ({"Kort": "a"}, "Kort: value is 1 characters long, less than the minimum length 2"),
    ({"Precies": "a"}, "Precies: value is 1 characters long; the length must be 2"),
    ({"Hoog": "3"}, "Hoog: value 3 is greater than the maximum 2"),
    ({"Laag": "1"}, "Laag: value 1 is less than the minimum 2"),
    ({"Cijfers": "123"}, "Cijfers: value 123 has more than 2 digits"),
    ({"Decimalen": "1.25"}, "Decimalen: value 1.25 has more than 1 decimals"),
    ({"Datum": "2026-02-30"}, "Datum: '2026-02-30' is not a valid value of type xs:date"),
    ({"Groep": "<Twee/>"}, "element Twee is not allowed here; expected Een"),
    ({"Groep": ""}, "Groep is incomplete: required element Een is missing"),
    ({"Keus": ""}, "Keus is incomplete: a required element is missing, one of: A, B"),
    ({"Keus": "<C/>"}, "element C is not allowed here; expected one of: A, B"),
    ({"Groep": "<Een/><Twee/><Drie/>"}, "element Drie is not allowed here"),
    ({"Groep": "<Een/>tekst"}, "Groep may only contain elements, not text"),
])
def test_each_kind_of_schema_error_reads_plainly(changes, reason):
    assert reason in _reasons(**changes)


def test_an_attribute_and_an_undeclared_root_read_plainly():
    root = etree.fromstring(f'<Bericht xmlns="{NS}"><Patroon soort="x">12</Patroon></Bericht>'.encode())
    SCHEMA.validate(root)
    assert "Patroon: attribute soort is not allowed" in [p.message for p in problems_from_log(SCHEMA.error_log, root)]
    other = etree.fromstring(f'<Anders xmlns="{NS}"/>'.encode())
    SCHEMA.validate(other)
    assert [p.message for p in problems_from_log(SCHEMA.error_log, other)] == [
        "root element Anders is not declared by the schema"]


def test_paths_are_local_names_with_positions_where_siblings_share_a_name():
    root = etree.fromstring(f'<b:Bericht xmlns:b="{NS}"><b:Patroon>1</b:Patroon></b:Bericht>'.encode())
    SCHEMA.validate(root)
    first = problems_from_log(SCHEMA.error_log, root)[0]
    assert (first.line, first.path) == (1, "/Bericht/Patroon")
