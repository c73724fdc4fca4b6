"""Retour messages: every example heenbericht gets a retour that is valid against our retour XSD, carries its
content, 0200 where there is no remark, the given codes on the addressed record, and 0001 when rejected."""
from __future__ import annotations

import copy
from datetime import date

import pytest
from lxml import etree

from connectors.istandaarden import catalogue
from connectors.istandaarden.retour import (
    RetourError, RetourIdentity, build_retour, retour_message_for, retour_record_classes,
)
from connectors.istandaarden.validation import SchemaRegistry
from istandaarden_examples import canonical, example, example_params, load

HEEN_EXAMPLES = example_params(heen_only=True)
RETOUR_HEADER_FIELDS = {"IdentificatieRetour", "DagtekeningRetour", "XsltVersie", "XsdVersieRetour"}
IDENTITY = RetourIdentity("RETOUR-0001", date(2026, 6, 1))


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _codes(element: etree._Element) -> list[str]:
    """The RetourCode values of a retour record."""
    container = next(child for child in element if _local(child) == "RetourCodes")
    return [code.text for code in container]


def _records(retour: etree._Element, name: str) -> list[etree._Element]:
    return [element for element in retour.iter(etree.Element) if _local(element) == name]


def _valid(retour: etree._Element, registry: SchemaRegistry) -> etree._Element:
    problems = registry.problems(retour, catalogue.by_namespace(etree.QName(retour).namespace))
    assert problems == []
    return retour


@pytest.mark.parametrize("path", HEEN_EXAMPLES)
def test_the_retour_of_every_example_is_valid_with_0200_everywhere(path, registry):
    heen = load(path)
    retour = _valid(build_retour(heen, identity=IDENTITY), registry)
    _, retour_type = retour_message_for(heen)
    assert etree.QName(retour).namespace == retour_type.namespace
    all_codes = {tuple(code.text for code in container) for container in _records(retour, "RetourCodes")}
    if retour_type.number == 325:
        assert all_codes == {("0200",), ("8001",)}  # Header 0200; DeclaratieAntwoord: volledig toegewezen
    else:
        assert all_codes == {("0200",)}


@pytest.mark.parametrize("path", [p for p in HEEN_EXAMPLES if p.values[0] is None or "323" not in p.id])
def test_the_retour_carries_the_heen_content_and_the_retour_header(path, registry):
    heen = load(path)
    retour = build_retour(heen, identity=IDENTITY)
    _, retour_type = retour_message_for(heen)
    header = retour[0]
    fields = {_local(child): child for child in header}
    assert fields["BerichtCode"].text == str(retour_type.berichtcode)
    assert fields["IdentificatieRetour"].text == "RETOUR-0001"
    assert fields["DagtekeningRetour"].text == "2026-06-01"
    versions = [child.text for child in fields["XsdVersieRetour"]]
    appinfo = etree.parse(str(registry.directory(retour_type.standard) / retour_type.schema_file))
    assert versions == [appinfo.xpath(f"string(//*[local-name()='{name}'])")
                        for name in ("BasisschemaXsdVersie", "BerichtXsdVersie")]
    # Strip what the retour adds: what is left is the heenbericht, element for element, value for value.
    stripped = copy.deepcopy(retour)
    for element in list(stripped.iter(etree.Element)):
        if _local(element) in RETOUR_HEADER_FIELDS | {"RetourCodes"}:
            element.getparent().remove(element)
    stripped[0][0].text = heen[0][0].text  # BerichtCode
    heen_namespace = etree.QName(heen).namespace
    renamed = canonical(stripped)
    assert _renamed(renamed, etree.QName(retour).namespace, heen_namespace) == canonical(heen)


def _renamed(node: tuple, old: str, new: str) -> tuple:
    tag, value, children = node
    return tag.replace(f"{{{old}}}", f"{{{new}}}"), value, tuple(_renamed(c, old, new) for c in children)


@pytest.mark.parametrize("path", [p for p in HEEN_EXAMPLES if p.values[0] is None or "323" not in p.id])
def test_a_code_lands_on_the_addressed_record_only(path, registry):
    heen = load(path)
    classes = _classes_present(heen) - {"Header"}
    assert classes, "every heenbericht has records below the Header"
    for name in classes:
        retour = _valid(build_retour(heen, {name: {"#1": ["9056", "8848"]}}), registry)
        assert _codes(_records(retour, name)[0]) == ["9056", "8848"]
        assert len([c for c in _records(retour, "RetourCode") if c.text == "9056"]) == 1
        assert all(_codes(record) == ["0200"] for record in _records(retour, name)[1:])


def _classes_present(heen: etree._Element) -> set[str]:
    retour = build_retour(heen)
    return {_local(container.getparent()) for container in _records(retour, "RetourCodes")}


def test_a_record_is_addressed_by_its_key(reference_dir, registry):
    heen = example(reference_dir, "JW301")
    retour = _valid(build_retour(heen, {"ToegewezenProduct": {"300202": ["9332"]}, "Client": ["9379"],
                                        "Relatie": {"2": ["9385"]}}), registry)
    products = _records(retour, "ToegewezenProduct")
    assert [_codes(p) for p in products] == [["0200"], ["9332"]]
    assert _codes(_records(retour, "Client")[0]) == ["9379"]
    assert [_codes(r) for r in _records(retour, "Relatie")] == [["0200"], ["9385"]]


@pytest.mark.parametrize("path", HEEN_EXAMPLES)
def test_a_rejected_message_gets_a_header_only_retour_with_0001(path, registry):
    retour = _valid(build_retour(load(path), rejected=True), registry)
    assert [_local(child) for child in retour] == ["Header"]
    assert _codes(retour[0]) == ["0001"]


def test_a_message_invalid_below_its_header_still_gets_a_valid_rejection(reference_dir, registry):
    heen = example(reference_dir, "JW315")  # an impossible date in the AangevraagdeProducten
    retour = _valid(build_retour(heen, rejected=True), registry)
    assert _codes(retour[0]) == ["0001"]


def test_a_header_too_broken_to_answer_is_a_retour_error(reference_dir):
    heen = example(reference_dir, "WMO301")
    heen[0].remove(heen[0][0])  # BerichtCode
    with pytest.raises(RetourError, match="BerichtCode missing"):
        build_retour(heen, rejected=True)
    heen.remove(heen[0])  # the Header
    with pytest.raises(RetourError, match="the message has no Header record"):
        build_retour(heen, rejected=True)


def test_any_header_code_rejects_the_whole_message(reference_dir, registry):
    retour = _valid(build_retour(example(reference_dir, "WMO305"), {"Header": ["8848"]}), registry)
    assert [_local(child) for child in retour] == ["Header"]
    assert _codes(retour[0]) == ["8848"]


def test_the_retour_keeps_the_heen_sender_and_receiver(reference_dir):
    heen = example(reference_dir, "WMO305")  # sent by the aanbieder to the gemeente
    retour = build_retour(heen)
    fields = {_local(child): child.text for child in retour[0]}
    assert (fields["Afzender"], fields["Ontvanger"]) == (heen[0][3].text, heen[0][4].text)


@pytest.mark.parametrize("codes, where, message", [
    ({"Beschikking": ["9332"]}, "Beschikking", "no such record class in this retour (classes: Header, Client"),
    ({"TeWijzigenProduct": ["9349"]}, "TeWijzigenProduct", "the message has no TeWijzigenProduct record"),
    ({"Client": ["1234"]}, "Client", "unknown retourcode '1234': not in codelist WJ001"),
    ({"Client": "9349"}, "Client", "expected a non-empty list of retourcodes"),
    ({"Client": []}, "Client", "expected a non-empty list of retourcodes"),
    ({"Client": ["0200", "9349"]}, "Client", "0200 (geen opmerking) cannot be combined"),
    ({"Client": ["9349", "9349"]}, "Client", "a code is given twice"),
    ({"NieuwProduct": {"#9": ["9349"]}}, "NieuwProduct[#9]", "no such position; the message has 1 NieuwProduct"),
    ({"Verzoek": {"nope": ["9349"]}}, "Verzoek[nope]", "no Verzoek with this key (keys: "),
])
def test_codes_that_do_not_fit_are_refused_with_the_place(reference_dir, codes, where, message):
    with pytest.raises(RetourError) as raised:
        build_retour(example(reference_dir, "JW317"), codes)
    assert raised.value.where == where
    assert message in raised.value.problem


def test_only_a_heenbericht_gets_a_retour(reference_dir):
    with pytest.raises(RetourError, match=r"JW302 \(iJw 3.2 Retour toewijzing\) is not a heenbericht"):
        build_retour(example(reference_dir, "JW302"))
    with pytest.raises(RetourError, match="not an iWmo/iJw 3.2 message"):
        build_retour(etree.fromstring(b"<Bericht xmlns='urn:other'/>"))


def test_the_record_classes_of_a_retour_come_from_its_schema():
    assert retour_record_classes(catalogue.by_code("JW302")) == (
        "Header", "Client", "Relatie", "Contact", "ToegewezenProduct")
    assert retour_record_classes(catalogue.by_code("WMO325")) == ("Header", "DeclaratieAntwoord", "Client", "Prestatie")


def test_what_the_retour_does_not_declare_is_left_out_and_the_codes_still_land_on_their_record(reference_dir,
                                                                                               registry):
    codes = {"ToegewezenProduct": {"#2": ["9332"]}, "Relatie": {"#1": ["9385"]}}
    heen = example(reference_dir, "JW301")
    plain = _valid(build_retour(heen, codes, identity=IDENTITY), registry)
    namespace = etree.QName(heen).namespace
    stray = etree.Element(f"{{{namespace}}}Onbekend")  # not in the retour, with a record's name inside
    etree.SubElement(stray, f"{{{namespace}}}ToegewezenProduct").text = "not a record here"
    heen.find(f"{{{namespace}}}Client").insert(1, stray)
    retour = build_retour(heen, codes, identity=IDENTITY)
    assert etree.tostring(retour) == etree.tostring(plain)
    assert [_codes(r) for r in _records(retour, "ToegewezenProduct")] == [["0200"], ["9332"]]


def test_a_message_without_a_header_is_a_retour_error(reference_dir):
    heen = example(reference_dir, "WMO315")
    heen.remove(heen[0])
    with pytest.raises(RetourError, match="Header missing"):
        build_retour(heen)
