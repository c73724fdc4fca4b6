"""The two BRP backends (StUF-BG 3.10 and Haal Centraal BRP Personen) over mutual TLS, behind one person shape."""
from __future__ import annotations

import json

import pytest
from lxml import etree
from werkzeug import Response

from connectors.brp.haalcentraal import HaalCentraalClient
from connectors.brp.stufbg import StufBgClient
from connectors.common.bsn import InvalidBsn
from connectors.common.errors import MalformedAnswer, NotFound, PartnerFault, Timeout, TlsError
from lookup_support import BSN, OTHER_BSN, SOAP_ENV, SlowAnswer, endpoint, render_stuf_bg_example, soap_fault

STUF_PATH = "/brp/stuf-bg"
HC_PATH = "/haalcentraal/api/brp/personen"
BG = "http://www.egem.nl/StUF/sector/bg/0310"
STUF = "http://www.egem.nl/StUF/StUF0301"
PURPOSE = "Wmo: onderzoek maatwerkvoorziening"

# The person of the reference's StufBgResponse.xml, in the shape both backends answer with.
MAYKIN = {
    "burgerservicenummer": BSN,
    "naam": {"voornamen": "Media", "voorletters": "M", "geslachtsnaam": "Maykin"},
    "geslacht": "M",
    "geboorte": {"datum": "1980-09-15", "plaats": "Amsterdam", "land": "6030"},
    "overlijden": {"datum": "1980-09-15"},
    "verblijfplaats": {"straat": "Keizersgracht", "huisnummer": 117, "huisletter": "A", "huisnummertoevoeging": "B",
                       "postcode": "1015CJ", "woonplaats": "Amsterdam"},
    "gemeenteVanInschrijving": "1000",
    "partners": [{"burgerservicenummer": OTHER_BSN}],
}
# The same person as the Haal Centraal BRP Personen API answers RaadpleegMetBurgerservicenummer.
MAYKIN_HC = {
    "burgerservicenummer": BSN,
    "naam": {"voornamen": "Media", "voorletters": "M", "geslachtsnaam": "Maykin", "volledigeNaam": "Media Maykin"},
    "geslacht": {"code": "M", "omschrijving": "man"},
    "geboorte": {"datum": {"type": "Datum", "datum": "1980-09-15", "langFormaat": "15 september 1980"},
                 "plaats": {"code": "0363", "omschrijving": "Amsterdam"},
                 "land": {"code": "6030", "omschrijving": "Nederland"}},
    "overlijden": {"datum": {"type": "Datum", "datum": "1980-09-15"}},
    "verblijfplaats": {"type": "Adres", "verblijfadres": {
        "officieleStraatnaam": "Keizersgracht", "korteStraatnaam": "Keizersgracht", "huisnummer": 117,
        "huisletter": "A", "huisnummertoevoeging": "B", "postcode": "1015CJ", "woonplaats": "Amsterdam"}},
    "gemeenteVanInschrijving": {"code": "1000", "omschrijving": "Testgemeente"},
    "partners": [{"burgerservicenummer": OTHER_BSN}],
}


def fo02(code: str, omschrijving: str, details: str = "") -> bytes:
    details_xml = f"<StUF:details>{details}</StUF:details>" if details else ""
    return soap_fault("soapenv:Server", "Proces voor afhandelen bericht geeft fout", (
        f'<StUF:Fo02Bericht xmlns:StUF="{STUF}"><StUF:stuurgegevens><StUF:berichtcode>Fo02</StUF:berichtcode>'
        f"</StUF:stuurgegevens><StUF:body><StUF:code>{code}</StUF:code><StUF:plek>server</StUF:plek>"
        f"<StUF:omschrijving>{omschrijving}</StUF:omschrijving>{details_xml}</StUF:body></StUF:Fo02Bericht>"))


def stuf_client(dev_pki, server, **options) -> StufBgClient:
    return StufBgClient(endpoint(dev_pki, server, STUF_PATH, **options), zender={"organisatie": "0448",
                        "applicatie": "Ketenpoort"}, ontvanger={"organisatie": "0448", "applicatie": "BRP"})


def hc_client(dev_pki, server, **options) -> HaalCentraalClient:
    return HaalCentraalClient(endpoint(dev_pki, server, HC_PATH, **options), origin_oin="00000099000000000010")


async def ask(client, bsn: str = BSN):
    try:
        return await client.lookup(bsn, PURPOSE, caller="medewerker-17")
    finally:
        await client.close()


# --- StUF-BG ---------------------------------------------------------------------------------------------------

async def test_stuf_bg_found_person_and_a_valid_npslv01_question(dev_pki, mtls_partner, reference_dir):
    mtls_partner.expect_request(STUF_PATH, method="POST").respond_with_data(
        render_stuf_bg_example(reference_dir, "StufBgResponse.xml"), content_type="text/xml")

    assert await ask(stuf_client(dev_pki, mtls_partner)) == MAYKIN

    request = mtls_partner.log[0][0]
    assert request.headers["SOAPAction"].strip('"') == "http://www.egem.nl/StUF/sector/bg/0310/npsLv01"
    question = etree.fromstring(request.data).find(f"{{{SOAP_ENV}}}Body/{{{BG}}}npsLv01")
    assert question.findtext(f"{{{BG}}}gelijk/{{{BG}}}inp.bsn") == BSN
    assert question.findtext(f"{{{BG}}}stuurgegevens/{{{STUF}}}zender/{{{STUF}}}gebruiker") == "medewerker-17"
    assert question.find(f"{{{BG}}}scope/{{{BG}}}object/{{{BG}}}geslachtsnaam") is not None


@pytest.mark.parametrize("example, expected", [
    ("StufBgResponseWithVoorvoegsel.xml", {"naam": {"voornamen": "Media", "voorvoegsel": "van",
                                                     "geslachtsnaam": "Maykin"}}),
    ("StufBgResponseOnvolledigeDatum.xml", {"geboorte": {"datum": "1960", "plaats": "Amsterdam", "land": "6030"}}),
    ("StufBgResponseMissingSomeData.xml", {"verblijfplaats": {"straat": "Keizersgracht", "huisnummer": 117,
                                                              "postcode": "1015CJ", "woonplaats": "Amsterdam"}}),
    ("StufBgResponseGemeenteVanInschrijving.xml", {"gemeenteVanInschrijving": "0363"}),
])
async def test_stuf_bg_reference_answers_map_to_the_person(dev_pki, mtls_partner, reference_dir, example, expected):
    mtls_partner.expect_request(STUF_PATH).respond_with_data(render_stuf_bg_example(reference_dir, example))

    person = await ask(stuf_client(dev_pki, mtls_partner))

    assert {key: person.get(key) for key in expected} == expected


@pytest.mark.parametrize("example", [
    "StufBgNoObjectResponse.xml", "StufBgNoAnswerResponse.xml", "StufBgNotFoundResponse.xml",
])
async def test_stuf_bg_answers_without_a_person_are_not_found(dev_pki, mtls_partner, reference_dir, example):
    status = 500 if "NotFound" in example else 200
    mtls_partner.expect_request(STUF_PATH).respond_with_data(
        render_stuf_bg_example(reference_dir, example), status=status)

    with pytest.raises(NotFound):
        await ask(stuf_client(dev_pki, mtls_partner))


async def test_stuf_bg_fo02_is_a_partner_fault_with_the_stuf_code(dev_pki, mtls_partner):
    mtls_partner.expect_request(STUF_PATH).respond_with_data(
        fo02("StUF058", "Afnemer niet geautoriseerd", "geen afnemersindicatie"), status=500)

    with pytest.raises(PartnerFault) as caught:
        await ask(stuf_client(dev_pki, mtls_partner))

    assert caught.value.code == "StUF058"
    assert caught.value.detail == "Afnemer niet geautoriseerd (geen afnemersindicatie)"


async def test_stuf_bg_gateway_policy_fault_is_a_partner_fault(dev_pki, mtls_partner, reference_dir):
    mtls_partner.expect_request(STUF_PATH).respond_with_data(
        render_stuf_bg_example(reference_dir, "StufBgErrorResponse.xml"), status=500)

    with pytest.raises(PartnerFault) as caught:
        await ask(stuf_client(dev_pki, mtls_partner))

    assert (caught.value.code, caught.value.detail) == ("soapenv:Server", "Policy Falsified")


async def test_stuf_bg_answer_about_another_person_is_malformed(dev_pki, mtls_partner, reference_dir):
    mtls_partner.expect_request(STUF_PATH).respond_with_data(render_stuf_bg_example(reference_dir, "StufBgResponse.xml"))

    with pytest.raises(MalformedAnswer, match="another person"):
        await ask(stuf_client(dev_pki, mtls_partner), bsn="111222333")


async def test_stuf_bg_answer_invalid_against_the_schema_is_malformed(dev_pki, mtls_partner, reference_dir):
    answer = render_stuf_bg_example(reference_dir, "StufBgResponse.xml").replace(
        b"<ns:geslachtsaanduiding>M<", b"<ns:geslachtsaanduiding>X<")
    mtls_partner.expect_request(STUF_PATH).respond_with_data(answer)

    with pytest.raises(MalformedAnswer, match="geslachtsaanduiding"):
        await ask(stuf_client(dev_pki, mtls_partner))


# --- Haal Centraal BRP Personen --------------------------------------------------------------------------------

async def test_haal_centraal_found_person_with_purpose_headers(dev_pki, mtls_partner):
    mtls_partner.expect_request(HC_PATH, method="POST").respond_with_json(
        {"type": "RaadpleegMetBurgerservicenummer", "personen": [MAYKIN_HC]})

    assert await ask(hc_client(dev_pki, mtls_partner)) == MAYKIN

    request = mtls_partner.log[0][0]
    question = json.loads(request.data)
    assert question["type"] == "RaadpleegMetBurgerservicenummer"
    assert question["burgerservicenummer"] == [BSN]
    assert "naam" in question["fields"]
    assert request.headers["x-doelbinding"] == PURPOSE
    assert request.headers["x-gebruiker"] == "medewerker-17"
    assert request.headers["x-origin-oin"] == "00000099000000000010"


async def test_both_backends_answer_the_same_person_alike(dev_pki, mtls_partner, reference_dir):
    mtls_partner.expect_request(STUF_PATH).respond_with_data(render_stuf_bg_example(reference_dir, "StufBgResponse.xml"))
    mtls_partner.expect_request(HC_PATH).respond_with_json({"personen": [MAYKIN_HC]})

    assert await ask(stuf_client(dev_pki, mtls_partner)) == await ask(hc_client(dev_pki, mtls_partner))


async def test_haal_centraal_partial_dates_keep_what_is_known(dev_pki, mtls_partner):
    person = {**MAYKIN_HC, "geboorte": {"datum": {"type": "JaarMaandDatum", "jaar": 1960, "maand": 7}},
              "overlijden": {"datum": {"type": "DatumOnbekend", "onbekend": True}}}
    mtls_partner.expect_request(HC_PATH).respond_with_json({"personen": [person]})

    result = await ask(hc_client(dev_pki, mtls_partner))

    assert result["geboorte"] == {"datum": "1960-07"}
    assert "overlijden" not in result


async def test_haal_centraal_no_personen_is_not_found(dev_pki, mtls_partner):
    mtls_partner.expect_request(HC_PATH).respond_with_json({"type": "RaadpleegMetBurgerservicenummer", "personen": []})

    with pytest.raises(NotFound):
        await ask(hc_client(dev_pki, mtls_partner))


async def test_haal_centraal_problem_answer_is_a_partner_fault(dev_pki, mtls_partner):
    mtls_partner.expect_request(HC_PATH).respond_with_json({
        "type": "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1", "title": "Een of meerdere parameters "
        "zijn niet correct.", "status": 400, "code": "paramsValidation",
        "invalidParams": [{"name": "fields[0]", "code": "field", "reason": "Parameter bevat een niet bestaande veldnaam."}],
    }, status=400, content_type="application/problem+json")

    with pytest.raises(PartnerFault) as caught:
        await ask(hc_client(dev_pki, mtls_partner))

    assert caught.value.code == "paramsValidation"
    assert "fields[0]: Parameter bevat een niet bestaande veldnaam." in caught.value.detail


@pytest.mark.parametrize("body, reason", [
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    (b'{"personen": "Maykin"}', "no list 'personen'"),
    (json.dumps({"personen": [{**MAYKIN_HC, "burgerservicenummer": OTHER_BSN}]}).encode(), "another person"),
])
async def test_haal_centraal_malformed_answers(dev_pki, mtls_partner, body, reason):
    mtls_partner.expect_request(HC_PATH).respond_with_data(body, content_type="application/json")

    with pytest.raises(MalformedAnswer, match=reason):
        await ask(hc_client(dev_pki, mtls_partner))


# --- both backends ----------------------------------------------------------------------------------------------

BACKENDS = pytest.mark.parametrize("make, path", [(stuf_client, STUF_PATH), (hc_client, HC_PATH)],
                                   ids=["stuf-bg", "haal-centraal"])


@BACKENDS
async def test_no_answer_within_the_timeout_is_a_timeout(dev_pki, mtls_partner, make, path):
    slow = SlowAnswer(mtls_partner, Response(b""))
    mtls_partner.expect_request(path).respond_with_handler(slow)

    with pytest.raises(Timeout):
        await ask(make(dev_pki, mtls_partner, timeout=0.2))
    slow.finish()


@BACKENDS
async def test_partner_rejects_a_client_certificate_of_another_ca(dev_pki, mtls_partner, make, path):
    with pytest.raises(TlsError):
        await ask(make(dev_pki, mtls_partner, client=dev_pki.other_ca_client))
    assert mtls_partner.log == []


@BACKENDS
async def test_client_rejects_a_partner_it_does_not_trust(dev_pki, mtls_partner, make, path):
    with pytest.raises(TlsError, match="certificate"):
        await ask(make(dev_pki, mtls_partner, ca=dev_pki.other_ca_cert))
    assert mtls_partner.log == []


@pytest.mark.parametrize("make", [stuf_client, hc_client])
async def test_invalid_bsn_and_missing_purpose_are_refused_before_any_call(dev_pki, mtls_partner, make):
    client = make(dev_pki, mtls_partner)
    with pytest.raises(InvalidBsn):
        await client.lookup("12345678", PURPOSE)
    with pytest.raises(ValueError, match="purpose"):
        await client.lookup(BSN, "  ")
    await client.close()

    assert mtls_partner.log == []
