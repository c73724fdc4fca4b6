"""The jz0100 schema registry: our generated schemas, and official-style releases loaded as shipped."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from connectors.corv.schemas import SCHEMA_DIR, SchemaLoadError, default_schema_set, load_schema_set

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import generate_corv_schemas  # noqa: E402

# A miniature of the official release's layout: message schema two directories below the StUF schema, every
# location a Windows path, and BTR-vto-utv's restriction of a sequence by an exactly-two choice.
STUF = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:StUF="urn:stuf" targetNamespace="urn:stuf"
    elementFormDefault="qualified">
  <xs:include schemaLocation="..\\0301\\stuf0301_types.xsd"/>
</xs:schema>"""
STUF_TYPES = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:stuf">
  <xs:simpleType name="Naam"><xs:restriction base="xs:string"><xs:maxLength value="10"/></xs:restriction></xs:simpleType>
</xs:schema>"""
BG = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:StUF="urn:stuf" xmlns:BG="urn:bg"
    targetNamespace="urn:bg" elementFormDefault="qualified">
  <xs:import namespace="urn:stuf" schemaLocation="..\\..\\stuf\\entiteiten\\stuf0301.xsd"/>
  <xs:complexType name="BTR-basis">
    <xs:sequence>
      <xs:sequence>
        <xs:element name="naam" type="StUF:Naam" minOccurs="0"/>
      </xs:sequence>
      <xs:choice minOccurs="0" maxOccurs="5">
        <xs:element name="medewerker" type="StUF:Naam"/>
        <xs:element name="natuurlijkPersoon" type="StUF:Naam"/>
        <xs:element name="nietNatuurlijkPersoon" type="StUF:Naam"/>
      </xs:choice>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="BTR-vto-utv">
    <xs:complexContent>
      <xs:restriction base="BG:BTR-basis">
        <xs:choice minOccurs="2" maxOccurs="2">
          <xs:element name="medewerker" type="StUF:Naam"/>
          <xs:element name="nietNatuurlijkPersoon" type="StUF:Naam"/>
        </xs:choice>
      </xs:restriction>
    </xs:complexContent>
  </xs:complexType>
</xs:schema>"""
MSG = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:BG="urn:bg" xmlns:JZ="urn:jz"
    targetNamespace="urn:jz" elementFormDefault="qualified">
  <xs:import namespace="urn:bg" schemaLocation="..\\..\\bg0310\\entiteiten\\bg0310_ent.xsd"/>
  <xs:element name="vtoDi01"><xs:complexType><xs:sequence>
    <xs:element name="uitvoerende" type="BG:BTR-vto-utv"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"""
VALID = b'<vtoDi01 xmlns="urn:jz"><uitvoerende><b:medewerker xmlns:b="urn:bg">De Vries</b:medewerker>' \
        b'<b:nietNatuurlijkPersoon xmlns:b="urn:bg">Gemeente</b:nietNatuurlijkPersoon></uitvoerende></vtoDi01>'
ONE_ONLY = b'<vtoDi01 xmlns="urn:jz"><uitvoerende><b:medewerker xmlns:b="urn:bg">De Vries</b:medewerker>' \
           b'</uitvoerende></vtoDi01>'


@pytest.fixture
def official_style_release(tmp_path) -> Path:
    files = {"stuf/entiteiten/stuf0301.xsd": STUF, "stuf/0301/stuf0301_types.xsd": STUF_TYPES,
             "bg0310/entiteiten/bg0310_ent.xsd": BG, "jz0100/berichten/jz0100_msg_jzberichten.xsd": MSG}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_official_style_release_loads_unedited_and_validates(official_style_release):
    before = {p: p.read_bytes() for p in official_style_release.rglob("*.xsd")}
    schemas = load_schema_set(official_style_release, ("jz0100/berichten/jz0100_msg_jzberichten.xsd",))
    assert schemas.engine == "lxml"
    assert schemas.validate(etree.fromstring(VALID)) == []
    problems = schemas.validate(etree.fromstring(ONE_ONLY))
    assert problems and "Missing child element" in problems[0].message
    assert {p: p.read_bytes() for p in official_style_release.rglob("*.xsd")} == before


def test_plain_lxml_cannot_follow_the_backslash_locations(official_style_release):
    entry = official_style_release / "jz0100/berichten/jz0100_msg_jzberichten.xsd"
    with pytest.raises(etree.XMLSchemaParseError, match="does not resolve"):
        etree.XMLSchema(etree.parse(str(entry)))


def test_strict_xsd_10_rejects_the_restriction_and_the_registry_falls_back_to_xsd_11(official_style_release):
    entry = official_style_release / "jz0100/berichten/jz0100_msg_jzberichten.xsd"
    with pytest.raises(xmlschema.XMLSchemaParseError, match="illegal restriction"):
        xmlschema.XMLSchema10(str(entry))
    schemas = load_schema_set(official_style_release, ("jz0100/berichten/jz0100_msg_jzberichten.xsd",))
    assert schemas.xsd.XSD_VERSION == "1.1"
    assert "strict XSD 1.0 rejects the release" in schemas.notes[0]
    assert schemas.xsd.is_valid(etree.fromstring(VALID))
    assert not schemas.xsd.is_valid(etree.fromstring(ONE_ONLY))


def test_when_lxml_cannot_compile_a_release_xmlschema_validates(tmp_path):
    # An XSD 1.1 assertion: libxml2 does not know xs:assert, xmlschema's 1.1 processor does.
    (tmp_path / "msg.xsd").write_text("""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a"
        xmlns:a="urn:a" elementFormDefault="qualified">
      <xs:element name="m"><xs:complexType><xs:sequence><xs:element name="n" type="xs:int"/></xs:sequence>
        <xs:assert test="a:n &gt; 0"/></xs:complexType></xs:element></xs:schema>""", encoding="utf-8")
    schemas = load_schema_set(tmp_path, ("msg.xsd",))
    assert schemas.engine == "xmlschema"
    assert schemas.validate(etree.fromstring(b'<m xmlns="urn:a"><n>3</n></m>')) == []
    assert schemas.validate(etree.fromstring(b'<m xmlns="urn:a"><n>0</n></m>'))


def test_a_release_may_not_reach_outside_its_directory(tmp_path):
    (tmp_path / "release").mkdir()
    (tmp_path / "outside.xsd").write_text(STUF_TYPES, encoding="utf-8")
    (tmp_path / "release" / "msg.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:stuf">'
        '<xs:include schemaLocation="..\\outside.xsd"/></xs:schema>', encoding="utf-8")
    with pytest.raises(SchemaLoadError, match="outside the schema release"):
        load_schema_set(tmp_path / "release", ("msg.xsd",))


def test_a_missing_entry_is_named():
    with pytest.raises(SchemaLoadError, match="nope.xsd: schema document not found"):
        load_schema_set(SCHEMA_DIR, ("nope.xsd",))


def test_our_schemas_load_in_lxml_and_strict_xsd_10():
    schemas = default_schema_set()
    assert schemas.engine == "lxml"
    assert schemas.xsd.XSD_VERSION == "1.0" and schemas.notes == []
    manifest = json.loads((SCHEMA_DIR / "manifest.json").read_text(encoding="utf-8"))
    for name in manifest["messages"]:
        assert any(name in element for element in map(str, schemas.xsd.maps.elements)), name


def test_the_committed_schemas_are_what_the_generator_writes(reference_dir, tmp_path):
    dictionary = reference_dir / "corv" / "dictionary-jz0100-1.0.9.json"
    assert generate_corv_schemas.main(["--dictionary", str(dictionary), "--out", str(tmp_path)]) == 0
    for path in tmp_path.iterdir():
        assert path.read_bytes() == (SCHEMA_DIR / path.name).read_bytes(), f"{path.name} is out of date"
