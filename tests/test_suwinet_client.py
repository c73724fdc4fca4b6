"""Suwinet-Inkijk lookups over mutual TLS against a fake BKWI broker written from the SuwiML facts."""
from __future__ import annotations

import shutil

import pytest
from lxml import etree
from werkzeug import Response

from connectors.common.bsn import InvalidBsn
from connectors.common.errors import MalformedAnswer, NotFound, PartnerFault, Timeout, TlsError
from connectors.suwinet.client import SuwinetClient
from connectors.suwinet.services import SCHEMAS_DIR, SERVICES
from lookup_support import BSN, SOAP_ENV, SlowAnswer, endpoint, envelope, soap_fault

FWI_NS = "http://bkwi.nl/SuwiML/FWI/v0205"
PATH = "/suwibroker/soap/{}"

# A found answer per service: the ClientSuwi content as SuwiML says it.
FOUND = {
    "BRPDossierPersoonGSD": f"""<ClientSuwi><Voornamen>Media</Voornamen><SignificantDeelVanDeAchternaam>Maykin
        </SignificantDeelVanDeAchternaam><Geboortedat>19800915</Geboortedat><Burgerservicenr>{BSN}</Burgerservicenr>
        <Geslacht>1</Geslacht><DomicilieAdres><Postcd>1015CJ</Postcd><Woonplaatsnaam>Amsterdam</Woonplaatsnaam>
        <Straatnaam>Keizersgracht</Straatnaam><Huisnr>117</Huisnr></DomicilieAdres></ClientSuwi>""",
    "UWVDossierInkomstenGSD": f"""<ClientSuwi><Burgerservicenr>{BSN}</Burgerservicenr><Inkomstenverhouding>
        <VolgnrIkv>1</VolgnrIkv><DatBIkv>20200101</DatBIkv><AdministratieveEenheid>
        <NaamAdministratieveEenheid>Bakkerij De Korst</NaamAdministratieveEenheid>
        <Loonheffingennr>123456789L01</Loonheffingennr><RechtspersoonAdministratieveEenh><FiNr>123456782</FiNr>
        </RechtspersoonAdministratieveEenh></AdministratieveEenheid><Inkomstenperiode><DatBIkp>20200101</DatBIkp>
        </Inkomstenperiode><Inkomstenopgave><DatBIko>20240101</DatBIko><DatEIko>20240131</DatEIko></Inkomstenopgave>
        </Inkomstenverhouding></ClientSuwi>""",
    "Bijstandsregelingen": f"""<ClientSuwi><Burgerservicenr>{BSN}</Burgerservicenr><Voornamen>Media</Voornamen>
        <Voorletters>M</Voorletters><SignificantDeelVanDeAchternaam>Maykin</SignificantDeelVanDeAchternaam>
        <CdLeefvorm>01</CdLeefvorm></ClientSuwi>""",
}
ALL_SERVICES = pytest.mark.parametrize("name", list(FOUND))


def answer(name: str, content: str) -> bytes:
    service = SERVICES[name]
    return envelope(f'<smls:{service.operation}Response xmlns:smls="{service.namespace}" xmlns:fwi="{FWI_NS}">'
                    f"{content}</smls:{service.operation}Response>")


def fwi(kind: str, code: str, text: str) -> str:
    return (f"<fwi:FWI><{kind}><Code>{code}</Code><Tekst>{text}</Tekst><Detail>Burgerservicenr</Detail>"
            f"<Bron><DN>cn=broker,o=BKWI</DN></Bron></{kind}></fwi:FWI>")


def client_for(dev_pki, server, name: str, **options) -> SuwinetClient:
    return SuwinetClient(name, endpoint(dev_pki, server, PATH.format(name), **options))


async def ask(client: SuwinetClient, bsn: str = BSN):
    try:
        return await client.lookup(bsn, "Participatiewet: beoordeling aanvraag bijstand", caller="medewerker-17")
    finally:
        await client.close()


@ALL_SERVICES
async def test_found_answer_is_returned_as_data_and_the_request_follows_the_wsdl(dev_pki, mtls_partner, name):
    mtls_partner.expect_request(PATH.format(name), method="POST").respond_with_data(
        answer(name, FOUND[name]), content_type="text/xml")

    result = await ask(client_for(dev_pki, mtls_partner, name))

    assert result["ClientSuwi"][0]["Burgerservicenr"] == BSN if name == "BRPDossierPersoonGSD" \
        else result["ClientSuwi"]["Burgerservicenr"] == BSN
    request = etree.fromstring(mtls_partner.log[0][0].data)
    service = SERVICES[name]
    action = request.findtext(".//{http://www.w3.org/2005/08/addressing}Action")
    assert action == f"http://bkwi.nl/SuwiML/Diensten/{name}-{service.version}/{service.operation}"
    question = request.find(f"{{{SOAP_ENV}}}Body/{{{service.namespace}}}{service.operation}")
    assert question.findtext("Burgerservicenr") == BSN


async def test_found_answer_keeps_its_structure(dev_pki, mtls_partner):
    name = "UWVDossierInkomstenGSD"
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(answer(name, FOUND[name]))

    result = await ask(client_for(dev_pki, mtls_partner, name))

    relation = result["ClientSuwi"]["Inkomstenverhouding"][0]
    assert relation["VolgnrIkv"] == 1
    assert relation["AdministratieveEenheid"]["Loonheffingennr"] == "123456789L01"


async def test_warnings_beside_the_data_do_not_hide_the_data(dev_pki, mtls_partner):
    name = "Bijstandsregelingen"
    content = FOUND[name] + fwi("Waarschuwing", "W001", "Gegevens mogelijk onvolledig")
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(answer(name, content))

    result = await ask(client_for(dev_pki, mtls_partner, name))

    assert result["ClientSuwi"]["CdLeefvorm"] == "01"


@ALL_SERVICES
async def test_niets_gevonden_is_not_found(dev_pki, mtls_partner, name):
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(answer(name, "<fwi:NietsGevonden/>"))

    with pytest.raises(NotFound, match=name):
        await ask(client_for(dev_pki, mtls_partner, name))


@ALL_SERVICES
async def test_fwi_fout_answer_is_a_partner_fault_with_its_code(dev_pki, mtls_partner, name):
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(
        answer(name, fwi("Fout", "SUWI0100", "Bron niet beschikbaar")))

    with pytest.raises(PartnerFault) as caught:
        await ask(client_for(dev_pki, mtls_partner, name))

    assert caught.value.code == "SUWI0100"
    assert "Bron niet beschikbaar" in caught.value.detail


async def test_soap_fault_with_fwi_fout_detail_is_a_partner_fault(dev_pki, mtls_partner):
    name = "BRPDossierPersoonGSD"
    detail = (f'<fwi:Fout xmlns:fwi="{FWI_NS}"><Code>SUWI0010</Code><Tekst>Geen autorisatie voor deze dienst</Tekst>'
              "<Bron><DN>cn=broker</DN></Bron></fwi:Fout>")
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(
        soap_fault("soapenv:Client", "AanvraagNietOk", detail), status=500, content_type="text/xml")

    with pytest.raises(PartnerFault) as caught:
        await ask(client_for(dev_pki, mtls_partner, name))

    assert (caught.value.code, caught.value.detail) == ("SUWI0010", "Geen autorisatie voor deze dienst")


async def test_soap_fault_without_detail_keeps_faultcode_and_faultstring(dev_pki, mtls_partner):
    name = "UWVDossierInkomstenGSD"
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(
        soap_fault("soapenv:Server", "Internal error"), status=500)

    with pytest.raises(PartnerFault) as caught:
        await ask(client_for(dev_pki, mtls_partner, name))

    assert (caught.value.code, caught.value.detail) == ("soapenv:Server", "Internal error")


async def test_no_answer_within_the_timeout_is_a_timeout(dev_pki, mtls_partner):
    name = "BRPDossierPersoonGSD"

    slow = SlowAnswer(mtls_partner, Response(answer(name, FOUND[name]), content_type="text/xml"))
    mtls_partner.expect_request(PATH.format(name)).respond_with_handler(slow)

    with pytest.raises(Timeout, match="no answer within 0.2 s"):
        await ask(client_for(dev_pki, mtls_partner, name, timeout=0.2))
    slow.finish()


@pytest.mark.parametrize("body, reason", [
    (b"<html><body>Bad gateway</body></html>", "not a SOAP 1.1 envelope"),
    (b"Service Unavailable", "not acceptable XML"),
    (envelope(""), "SOAP body is empty"),
])
async def test_answers_that_are_no_soap_are_malformed(dev_pki, mtls_partner, body, reason):
    name = "Bijstandsregelingen"
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(body)

    with pytest.raises(MalformedAnswer, match=reason):
        await ask(client_for(dev_pki, mtls_partner, name))


@pytest.mark.parametrize("content, where", [
    ("<ClientSuwi><Burgerservicenr>12345</Burgerservicenr></ClientSuwi>", "Burgerservicenr"),
    (f"<ClientSuwi><Burgerservicenr>{BSN}</Burgerservicenr><Salaris>1</Salaris></ClientSuwi>", "Salaris"),
])
async def test_answers_invalid_against_the_schema_are_malformed_and_say_where(dev_pki, mtls_partner, content, where):
    name = "UWVDossierInkomstenGSD"
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(answer(name, content))

    with pytest.raises(MalformedAnswer, match=f"invalid against the schema at line 1, .*{where}"):
        await ask(client_for(dev_pki, mtls_partner, name))


async def test_partner_rejects_a_client_certificate_of_another_ca(dev_pki, mtls_partner):
    name = "BRPDossierPersoonGSD"
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(answer(name, FOUND[name]))

    with pytest.raises(TlsError):
        await ask(client_for(dev_pki, mtls_partner, name, client=dev_pki.other_ca_client))

    assert mtls_partner.log == []


async def test_client_rejects_a_partner_certificate_of_another_ca(dev_pki):
    from pytest_httpserver import HTTPServer

    from gateway.tls import server_ssl_context

    impostor = dev_pki.other_ca_client
    context = server_ssl_context(impostor.cert, impostor.key, [dev_pki.ca_cert])
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.start()
    try:
        with pytest.raises(TlsError, match="certificate"):
            await ask(client_for(dev_pki, server, "UWVDossierInkomstenGSD"))
        assert server.log == []
    finally:
        server.stop()


async def test_invalid_bsn_is_refused_before_any_call(dev_pki, mtls_partner):
    with pytest.raises(InvalidBsn, match="11-proof"):
        await ask(client_for(dev_pki, mtls_partner, "BRPDossierPersoonGSD"), bsn="123456789")

    assert mtls_partner.log == []


async def test_a_configured_wsdl_in_another_directory_is_used(dev_pki, mtls_partner, tmp_path):
    # The same service with a schema that knows one extra element: only that WSDL accepts the answer.
    name = "Bijstandsregelingen"
    official = tmp_path / "bkwi"
    shutil.copytree(SCHEMAS_DIR, official)
    xsd = official / "Bijstandsregelingen-v0500" / "Bijstandsregelingen.xsd"
    xsd.write_text(xsd.read_text().replace(
        '<xs:element name="Voornamen" type="basis:NaamPersoonA200" minOccurs="0"/>',
        '<xs:element name="Voornamen" type="basis:NaamPersoonA200" minOccurs="0"/>'
        '<xs:element name="NieuwInVolgendeRelease" type="xs:string" minOccurs="0"/>', 1))
    content = FOUND[name].replace("</Voornamen>", "</Voornamen><NieuwInVolgendeRelease>ja</NieuwInVolgendeRelease>")
    mtls_partner.expect_request(PATH.format(name)).respond_with_data(answer(name, content))

    with pytest.raises(MalformedAnswer, match="NieuwInVolgendeRelease"):
        await ask(client_for(dev_pki, mtls_partner, name))
    configured = client_for(dev_pki, mtls_partner, name, wsdl=official / "Bijstandsregelingen-v0500" / f"{name}.wsdl")
    result = await ask(configured)

    assert result["ClientSuwi"]["NieuwInVolgendeRelease"] == "ja"
