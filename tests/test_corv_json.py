"""The JSON form of CORV messages for the backoffice: lossless both ways, with clear errors for bad input."""
from __future__ import annotations

import json

import pytest
from lxml import etree

import corv_messages as m
from connectors.common.xml_json import MappingError
from connectors.corv.json_mapping import to_json, to_xml
from connectors.corv.schemas import default_schema_set

MESSAGES = {
    "vto": lambda: m.vto_di01(m.Vto([m.Kind(rni="12345678901234567", geboortedatum=None),
                                     m.Kind(bsn="999990019", geboortedatum="20150000")],
                                    [m.Gezagsdrager("Smit", bsn="999990135", geinformeerd="true"),
                                     m.Gezagsdrager("Stichting", vestiging=True)],
                                    bijlagen=["application/pdf", "image/png"])),
    "notificatie": lambda: m.notificatie_di01(bsn=None, moeder="Çelik-Ærøe", geboortedatum=None),
    "notificatiejr": lambda: m.notificatiejr_di01(("OM", "CORV")),
    "zorgmelding": m.zorgmelding_di01,
    "zorgmeldingTerugkoppeling": m.zorgmelding_terugkoppeling_di01,
    "bv01": lambda: m.answer_from_corv("Bv01", "VTO-1"),
    "fo01": lambda: m.answer_from_corv("Fo01", "VTO-1", fout="StUF058"),
}


def canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


@pytest.mark.parametrize("build", MESSAGES.values(), ids=MESSAGES.keys())
def test_xml_json_xml_is_lossless(build):
    message = etree.fromstring(etree.tostring(build()))
    document = json.loads(json.dumps(to_json(message)))
    back = to_xml(document)
    assert canonical(back) == canonical(message)
    assert default_schema_set().validate(back) == []


def test_nil_attributes_and_repeats_have_a_fixed_shape():
    document = to_json(MESSAGES["vto"]())
    assert document["message"] == "vtoDi01" and document["release"] == "jz0100 1.0.9"
    zaak = document["vtoDi01"]["object"]
    assert zaak["@entiteittype"] == "ZAK"
    assert isinstance(zaak["heeftBetrekkingOp"], list) and len(zaak["heeftBetrekkingOp"]) == 2
    kind = zaak["heeftBetrekkingOp"][0]["gerelateerde"]["natuurlijkPersoon"][0]  # a choice of up to 31
    assert kind["geboortedatum"] == {"@nil": "true", "@noValue": "waardeOnbekend"}
    assert zaak["heeftBetrekkingOp"][1]["gerelateerde"]["natuurlijkPersoon"][0]["geboortedatum"] == {
        "@indOnvolledigeDatum": "M", "#text": "20150000"}
    assert zaak["extraElementen"]["extraElement"] == [{"@naam": "rolJeugdzorgVerzoeker", "#text": "gemeente"}]
    assert zaak["identificatie"] == "0448-VTO-2025-001"


@pytest.mark.parametrize("change, where, message", [
    (lambda d: d.update(message="npsLv01"), "$.message", "not a CORV message"),
    (lambda d: d["notificatieDi01"]["object"].update(onbekend="x"), "$.notificatieDi01.object.onbekend",
     "unknown element in object"),
    (lambda d: d["notificatieDi01"]["object"].update({"@kleur": "rood"}), "$.notificatieDi01.object.@kleur",
     "unknown attribute"),
    (lambda d: d["notificatieDi01"]["object"].update(heeftBetrekkingOp=7), "$.notificatieDi01.object",
     "expected an object or a string, got a number"),
    (lambda d: d["notificatieDi01"].update(stuurgegevens="x"), "$.notificatieDi01.stuurgegevens",
     "expected an object with the elements of stuurgegevens"),
    (lambda d: d.update(extra=1), "$", "unexpected key(s) extra"),
])
def test_bad_json_names_the_json_path(change, where, message):
    document = to_json(MESSAGES["notificatie"]())
    change(document)
    with pytest.raises(MappingError) as caught:
        to_xml(document)
    assert caught.value.where.startswith(where) and message in caught.value.problem


def test_xml_that_does_not_fit_the_schema_names_the_element_and_line():
    message = etree.fromstring(etree.tostring(MESSAGES["zorgmelding"](), pretty_print=True))
    message.find("{*}object").append(etree.Element("{http://www.egem.nl/StUF/sector/bg/0310}onbekend"))
    message = etree.fromstring(etree.tostring(message, pretty_print=True))
    with pytest.raises(MappingError, match="/zorgmeldingDi01/object/onbekend") as caught:
        to_json(message)
    assert caught.value.line > 1
