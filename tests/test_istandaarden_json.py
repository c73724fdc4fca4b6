"""The JSON form: XML -> JSON -> XML gives the same document (and it still validates) for every example, every
retour we build and generated variations; the shape is schema-aware; bad input is named with its place."""
from __future__ import annotations

import json

import pytest
from lxml import etree

from connectors.istandaarden import catalogue
from connectors.istandaarden.json_mapping import MappingError, to_json, to_xml
from connectors.istandaarden.retour import build_retour
from connectors.istandaarden.validation import SchemaRegistry
from istandaarden_examples import canonical, example, example_params, load

ALL_EXAMPLES = [p for p in example_params(valid_only=False) if p.id != "JW318"]


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


def round_trip(root: etree._Element) -> etree._Element:
    return to_xml(json.loads(json.dumps(to_json(root))))


def _is_valid(root: etree._Element, registry: SchemaRegistry) -> bool:
    return registry.problems(root, catalogue.by_namespace(etree.QName(root).namespace)) == []


@pytest.mark.parametrize("path", ALL_EXAMPLES)
def test_every_example_survives_the_round_trip(path, registry):
    original = load(path)
    again = round_trip(original)
    assert canonical(again) == canonical(original)
    assert _is_valid(again, registry) == _is_valid(original, registry)
    reparsed = etree.fromstring(etree.tostring(again))  # and as text, the way the CLI and the API pass it on
    assert canonical(reparsed) == canonical(original)


@pytest.mark.parametrize("path", example_params(heen_only=True))
def test_every_retour_we_build_survives_the_round_trip(path, registry):
    retour = build_retour(load(path))
    again = round_trip(retour)
    assert canonical(again) == canonical(retour)
    assert _is_valid(again, registry)


def test_the_shape_follows_the_schema(reference_dir):
    document = to_json(example(reference_dir, "JW301"))
    assert set(document) == {"standard", "message", "release", "Bericht"}
    assert (document["standard"], document["message"], document["release"]) == ("ijw", "JW301", "3.2")
    header = document["Bericht"]["Header"]
    assert header["Afzender"] == "0384"  # a string, exactly as in the XML
    assert header["BerichtIdentificatie"] == {"Identificatie": "123456789012", "Dagtekening": "2026-04-01"}
    client = document["Bericht"]["Client"]
    assert [r["Nummer"] for r in client["Relaties"]["Relatie"]] == ["1", "2"]
    assert client["ToegewezenProducten"]["ToegewezenProduct"][0]["Omvang"]["Eenheid"] == "04"
    assert "Einddatum" not in client["Contactgegevens"]["Contact"][1]["Periode"]  # absent stays absent


def test_a_repeatable_element_is_a_list_even_when_it_occurs_once(reference_dir):
    retour = to_json(example(reference_dir, "JW316"))
    assert retour["Bericht"]["Header"]["RetourCodes"] == {"RetourCode": ["0200"]}
    assert isinstance(retour["Bericht"]["Client"]["AangevraagdeProducten"]["AangevraagdProduct"], list)


def test_element_order_comes_from_the_schema_not_from_the_json(reference_dir):
    original = example(reference_dir, "WMO301")
    assert canonical(to_xml(_reversed(to_json(original)))) == canonical(original)


def _reversed(value):
    if isinstance(value, dict):
        return {key: _reversed(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(item) for item in value]
    return value


def test_values_are_kept_exactly(reference_dir):
    original = example(reference_dir, "JW301")
    commentaar = original.find(".//{*}Client/{*}Commentaar")
    commentaar.text = "  spaties & <tekens> \"é€\"\n tweede regel "
    volume = original.find(".//{*}Omvang/{*}Volume")
    volume.text = "007"
    document = to_json(original)
    assert document["Bericht"]["Client"]["Commentaar"] == "  spaties & <tekens> \"é€\"\n tweede regel "
    assert document["Bericht"]["Client"]["ToegewezenProducten"]["ToegewezenProduct"][0]["Omvang"]["Volume"] == "007"
    assert canonical(round_trip(original)) == canonical(original)


def test_comments_and_schema_hints_are_not_content(reference_dir):
    original = example(reference_dir, "JW305")
    original.set("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation", "urn:x JW305.xsd")
    bsn = original.find(".//{*}Bsn")
    bsn.insert(0, etree.Comment("checked"))
    document = to_json(original)
    assert document["Bericht"]["Client"]["Bsn"] == "999900006"
    assert to_xml(document).find(".//{*}Bsn").text == "999900006"


@pytest.mark.parametrize("change, where, message", [
    (lambda d: d["Bericht"]["Client"].update(Beschikking={}), "$.Bericht.Client.Beschikking",
     "unknown element in Client"),
    (lambda d: d["Bericht"]["Header"].update(Afzender=384), "$.Bericht.Header.Afzender",
     "expected a string (values are the XML text), got a number"),
    (lambda d: d["Bericht"]["Client"]["Relaties"].update(Relatie={}), "$.Bericht.Client.Relaties.Relatie",
     "expected a list (the element can repeat), got an object"),
    (lambda d: d["Bericht"]["Client"].update(Naam="Wit"), "$.Bericht.Client.Naam",
     "expected an object with the elements of Naam, got a string"),
    (lambda d: d["Bericht"]["Client"]["Relaties"]["Relatie"][1].update(Nummer=None),
     "$.Bericht.Client.Relaties.Relatie[1].Nummer", "got null"),
    (lambda d: d["Bericht"]["Client"].update(Commentaar="bel\x00"), "$.Bericht.Client.Commentaar",
     "characters that XML cannot carry"),
    (lambda d: d.update(message="JW999"), "$.message", "unknown message 'JW999' of standard 'ijw'"),
    (lambda d: d.update(standard="iwmo"), "$.message", "unknown message 'JW301' of standard 'iwmo'"),
    (lambda d: d.update(release="3.1"), "$.release", "release '3.1' is not supported"),
    (lambda d: d.pop("Bericht"), "$.Bericht", "missing"),
    (lambda d: d.pop("standard"), "$.standard", "missing"),
    (lambda d: d.update(extra=1), "$", "unexpected key(s) extra"),
])
def test_bad_json_is_refused_with_its_json_path(reference_dir, change, where, message):
    document = to_json(example(reference_dir, "JW301"))
    change(document)
    with pytest.raises(MappingError) as raised:
        to_xml(document)
    assert raised.value.where == where
    assert message in raised.value.problem


def test_json_that_is_not_an_object_is_refused():
    with pytest.raises(MappingError, match=r"^\$: expected a JSON object, got a list"):
        to_xml([])


def test_xml_that_does_not_fit_the_schema_is_refused_with_line_and_path(reference_dir):
    with pytest.raises(MappingError) as raised:
        to_json(example(reference_dir, "JW318"))  # RetourCode where RetourCodes belongs
    assert raised.value.where == "/Bericht/Client/Verzoek/RetourCode"
    assert raised.value.line == 33
    assert "element RetourCode is not allowed in Verzoek" in raised.value.problem


@pytest.mark.parametrize("xml, where, message", [
    (b"<Bericht xmlns='urn:other'/>", "/Bericht", "not an iWmo/iJw 3.2 message"),
    (b"<Header xmlns='http://www.istandaarden.nl/iwmo/3_2/wmo305/schema'/>", "/Header",
     "root element must be Bericht"),
    (b"<Bericht xmlns='http://www.istandaarden.nl/iwmo/3_2/wmo305/schema'>tekst<Header/></Bericht>", "/Bericht",
     "text is not allowed between the child elements"),
    (b"<Bericht xmlns='http://www.istandaarden.nl/iwmo/3_2/wmo305/schema'><Header id='1'/></Bericht>",
     "/Bericht/Header", "unexpected attribute 'id'"),
    (b"<Bericht xmlns='http://www.istandaarden.nl/iwmo/3_2/wmo305/schema'><Header><BerichtCode><x/></BerichtCode>"
     b"</Header></Bericht>", "/Bericht/Header/BerichtCode", "expected a value, found child elements"),
    (b"<Bericht xmlns='http://www.istandaarden.nl/iwmo/3_2/wmo305/schema'><Header/><Header/></Bericht>",
     "/Bericht/Header", "occurs more than once"),
    (b"<Bericht xmlns='http://www.istandaarden.nl/iwmo/3_2/wmo305/schema'><Header xmlns='urn:x'/></Bericht>",
     "/Bericht/Header", "element Header is in namespace urn:x"),
])
def test_bad_xml_is_refused_with_its_element_path(xml, where, message):
    with pytest.raises(MappingError) as raised:
        to_json(etree.fromstring(xml))
    assert raised.value.where == where
    assert message in raised.value.problem
