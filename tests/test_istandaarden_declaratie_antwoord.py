"""The Declaratie-antwoord (325): its own header, only the afgewezen Prestaties, and the toegekend total (TR342)."""
from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from connectors.istandaarden import catalogue
from connectors.istandaarden.retour import RetourError, RetourIdentity, build_retour
from connectors.istandaarden.validation import SchemaRegistry
from istandaarden_examples import example

IDENTITY = RetourIdentity("ANTW-1", date(2026, 6, 1))
# JW323: Client 999900006 with RN001 (D 5000), RN002 (D 24000); Client 999900018 with RN003 (D 5000),
# RN004 (D 24000) and RN004 (D 21000); TotaalIngediendBedrag D 79000.


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


@pytest.fixture
def declaratie(reference_dir) -> etree._Element:
    return example(reference_dir, "JW323")


def _answer(declaratie, registry, codes=None) -> etree._Element:
    answer = build_retour(declaratie, codes, identity=IDENTITY, registry=registry)
    assert registry.problems(answer, catalogue.by_code("JW325")) == []
    return answer


def _value(element: etree._Element, path: str) -> str:
    return element.xpath("string(" + "/".join(f"*[local-name()='{step}']" for step in path.split("/")) + ")")


def _all(element: etree._Element, name: str) -> list[etree._Element]:
    return element.xpath(f".//*[local-name()='{name}']")


def _codes(element: etree._Element) -> list[str]:
    return [code.text for code in element.xpath("*[local-name()='RetourCodes']/*")]


def _toegekend(answer: etree._Element) -> tuple[str, str]:
    return (_value(answer, "DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag"),
            _value(answer, "DeclaratieAntwoord/TotaalToegekendBedrag/DebetCredit"))


def test_header_answers_the_declaratie(declaratie, registry):
    answer = _answer(declaratie, registry)
    assert _value(answer, "Header/BerichtCode") == "491"
    # sent by the gemeente: Afzender and Ontvanger are the Declaratie's swapped
    assert _value(answer, "Header/Afzender") == _value(declaratie, "Header/Ontvanger") == "0384"
    assert _value(answer, "Header/Ontvanger") == _value(declaratie, "Header/Afzender") == "65656055"
    assert _value(answer, "Header/BerichtIdentificatie/Identificatie") == "ANTW-1"
    assert _value(answer, "Header/BerichtIdentificatie/Dagtekening") == "2026-06-01"
    assert _value(answer, "Header/DeclaratieIdentificatie/Identificatie") == "765432198"
    assert _value(answer, "Header/DeclaratieIdentificatie/Dagtekening") == "2026-05-06"
    assert _value(answer, "Header/XsdVersieDeclaratie/BerichtXsdVersie") == "1.0.0"
    assert _codes(answer[0]) == ["0200"]


def test_a_fully_accepted_declaratie_has_no_clienten_and_8001(declaratie, registry):
    answer = _answer(declaratie, registry)
    assert _all(answer, "Client") == []
    assert _toegekend(answer) == ("79000", "D")
    assert _value(answer, "DeclaratieAntwoord/TotaalIngediendBedrag/TotaalBedrag") == "79000"
    assert _codes(answer[1]) == ["8001"]


def test_only_afgewezen_prestaties_are_sent_and_subtracted(declaratie, registry):
    answer = _answer(declaratie, registry, {"Prestatie": {"RN002": ["9339", "9340"], "RN004": ["0611"]}})
    prestaties = _all(answer, "Prestatie")
    assert [_value(p, "ProductReferentie/ReferentieNummer") for p in prestaties] == ["RN002", "RN004", "RN004"]
    assert [_codes(p) for p in prestaties] == [["9339", "9340"], ["0611"], ["0611"]]
    assert [_value(c, "Bsn") for c in _all(answer, "Client")] == ["999900006", "999900018"]
    assert [_codes(c) for c in _all(answer, "Client")] == [["0200"], ["0200"]]
    assert _toegekend(answer) == ("10000", "D")  # 79000 - 24000 - 24000 - 21000
    assert _codes(answer[1]) == ["0200"]


def test_a_code_on_a_client_rejects_all_its_prestaties(declaratie, registry):
    answer = _answer(declaratie, registry, {"Client": {"999900018": ["8187"]}, "Prestatie": {"#4": ["9307"]}})
    (client,) = _all(answer, "Client")
    assert _codes(client) == ["8187"]
    assert [_codes(p) for p in _all(client, "Prestatie")] == [["0233"], ["9307"], ["0233"]]  # 0233: niet beoordeeld
    assert _toegekend(answer) == ("29000", "D")


def test_a_code_on_the_declaratie_rejects_it_as_a_whole(declaratie, registry):
    answer = _answer(declaratie, registry, {"DeclaratieAntwoord": ["S300"], "Prestatie": {"#1": ["9307"]}})
    assert _all(answer, "Clienten") == []
    assert _toegekend(answer) == ("0", "D")
    assert _codes(answer[1]) == ["S300"]


def test_credit_amounts_count_down(declaratie, registry):
    for debet_credit in declaratie.xpath("//*[local-name()='DebetCredit']"):
        debet_credit.text = "C"
    answer = _answer(declaratie, registry, {"Prestatie": {"RN001": ["9307"]}})
    assert _toegekend(answer) == ("74000", "C")


def test_a_header_code_gives_the_header_alone(declaratie, registry):
    answer = _answer(declaratie, registry, {"Header": ["9056"]})
    assert [etree.QName(child).localname for child in answer] == ["Header"]
    assert _codes(answer[0]) == ["9056"]


def test_8001_contradicting_afgewezen_prestaties_is_refused(declaratie, registry):
    with pytest.raises(RetourError, match="8001 .* while Prestaties are afgewezen"):
        build_retour(declaratie, {"DeclaratieAntwoord": ["8001"], "Prestatie": ["9307"]}, registry=registry)
