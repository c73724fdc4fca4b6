"""The CORV connector at its edges: bad requests get a Fo03 naming the problem, duplicates are refused once seen,
and the client reports what CORV (or the network) said."""
from __future__ import annotations

import pytest
from lxml import etree
from pytest_httpserver import HTTPServer

import corv_messages as m
from connectors.corv import soap
from connectors.corv.inbound import MemoryDuplicateRegister, Receiver
from connectors.corv.outbound import CorvClient, CorvSendError, parse_answer
from connectors.corv.stuf import StufFout, Systeem, build_fo03, gemeentecode, read_stuurgegevens
from gateway.tls import client_ssl_context, server_ssl_context

VTO = m.Vto([m.Kind(bsn="999990019", geboortedatum="20150601")], [m.Gezagsdrager("Smit", bsn="999990135")])


def fo03_of(answer) -> etree._Element:
    assert answer.status == 500 and not answer.accepted
    fault = soap.body_payload(answer.body)
    assert fault.tag == f"{{{soap.SOAP_ENV}}}Fault"
    return soap.fault_detail(fault)


def handle(data: bytes, register=None, **options):
    return Receiver(gemeentecodes={"0448"}, **options).handle(data, register or MemoryDuplicateRegister())


def test_a_schema_invalid_body_gets_fo03_stuf055_naming_line_and_element():
    message = m.notificatie_di01()
    status = message.find(".//{*}heeft/{*}gerelateerde/{*}omschrijving")
    status.text = "Onderzoek misschien afgerond"
    answer = handle(etree.tostring(etree.fromstring(m.soap_request(message)), pretty_print=True))
    fo03 = fo03_of(answer)
    assert fo03.findtext("{*}body/{*}code") == "StUF055"
    assert fo03.findtext("{*}body/{*}plek") == "client"
    details = fo03.findtext("{*}body/{*}details")
    assert "/notificatieDi01/object/heeft/gerelateerde/omschrijving" in details
    assert "line " in details and "enumeration" in details
    assert fo03.findtext("{*}stuurgegevens/{*}crossRefnummer") == "NOT-000001"
    assert b"<faultcode>soap:Client</faultcode>" in answer.body


@pytest.mark.parametrize("data, reason", [
    (b"not xml at all", "not well-formed"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DTD"),
    (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', "SOAP 1.2"),
    (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>',
     "exactly one message"),
], ids=["not-xml", "dtd", "soap12", "empty-body"])
def test_unreadable_requests_get_a_fo03_with_the_reason(data, reason):
    fo03 = fo03_of(handle(data))
    assert fo03.findtext("{*}body/{*}code") == "StUF055"
    assert reason in fo03.findtext("{*}body/{*}details")
    assert fo03.findtext("{*}stuurgegevens/{*}berichtcode") == "Fo03"


def test_a_message_this_service_does_not_take_gets_stuf025():
    other = etree.Element("{http://www.egem.nl/StUF/sector/bg/0310}npsLv01")
    fo03 = fo03_of(handle(soap.envelope(other)))
    assert fo03.findtext("{*}body/{*}code") == "StUF025"
    assert "npsLv01" in fo03.findtext("{*}body/{*}details")


def test_a_message_for_a_municipality_not_served_here_gets_stuf010():
    message = m.notificatie_di01()
    message.find("{*}stuurgegevens/{*}ontvanger/{*}organisatie").text = "0400"
    fo03 = fo03_of(handle(m.soap_request(message)))
    assert fo03.findtext("{*}body/{*}code") == "StUF010"


def test_the_tenant_comes_from_the_ontvanger_or_from_the_configured_applicatie():
    assert gemeentecode(Systeem("0448", "JZA")) == "0448"
    assert gemeentecode(Systeem("GM0400", "JZA")) == "0400"
    assert gemeentecode(Systeem("Regio Kop van Noord-Holland", "JZA-Texel"), {"JZA-Texel": "0448"}) == "0448"
    assert gemeentecode(Systeem("Regio Kop van Noord-Holland", "JZA-Elders"), {"JZA-Texel": "0448"}) is None
    message = m.notificatie_di01()
    message.find("{*}stuurgegevens/{*}ontvanger/{*}organisatie").text = "Regio Kop van Noord-Holland"
    answer = handle(m.soap_request(message), applicaties={"JZA-Texel": "0448"})
    assert answer.accepted and answer.received.gemeentecode == "0448"


def test_a_duplicate_is_refused_with_stuf016_but_another_zender_may_reuse_the_number():
    register = MemoryDuplicateRegister()
    first = handle(m.soap_request(m.zorgmelding_di01(referentienummer="ZM-9")), register)
    assert first.accepted and first.status == 200
    assert first.received.duplicate_key == read_stuurgegevens(first.received.message).duplicate_key
    again = handle(m.soap_request(m.zorgmelding_di01(referentienummer="ZM-9")), register)
    assert fo03_of(again).findtext("{*}body/{*}code") == "StUF016"
    other = m.zorgmelding_di01(referentienummer="ZM-9")
    other.find("{*}stuurgegevens/{*}zender/{*}organisatie").text = "Veilig Thuis"
    assert handle(m.soap_request(other), register).accepted


def test_the_bv03_confirms_the_received_message():
    answer = handle(m.soap_request(m.notificatiejr_di01(("OM", "CORV"), referentienummer="JR-7")))
    bv03 = soap.body_payload(answer.body)
    header = read_stuurgegevens(bv03)
    assert (header.berichtcode, header.cross_refnummer) == ("Bv03", "JR-7")
    assert header.zender == Systeem("0448", "JZA-Texel") and header.ontvanger == Systeem("OM", "CORV")
    assert len(header.tijdstip_bericht) == 17 and header.referentienummer


def test_parse_answer_reads_a_fo03_fault_and_refuses_what_is_not_stuf():
    received = read_stuurgegevens(m.vto_di01(VTO))
    fault = soap.fault_envelope("Client", "fout", build_fo03(StufFout("StUF055", "kind ontbreekt"), received))
    result = parse_answer(500, fault)
    assert not result.accepted and result.berichtcode == "Fo03"
    assert (result.fout.code, result.fout.plek, result.fout.details) == ("StUF055", "client", "kind ontbreekt")
    with pytest.raises(CorvSendError, match="HTTP 502: answer is not a SOAP 1.1 message"):
        parse_answer(502, b"<html>Bad gateway</html>")
    with pytest.raises(CorvSendError, match="SOAP fault without a StUF foutbericht"):
        parse_answer(500, soap.fault_envelope("Server", "kapot", etree.Element("iets")))


def test_the_client_refuses_messages_outside_the_wsdl(dev_pki):
    client = CorvClient(client_ssl_context(dev_pki.ca_cert), "https://localhost:1/corv/ontvangAsynchroon")
    with pytest.raises(ValueError, match="npsLv01 is not a message of the ontvangAsynchroon service"):
        client.request(etree.Element("npsLv01"))
    body, headers = client.request(m.vto_di01(VTO))
    assert headers["SOAPAction"] == '"http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01"'
    assert soap.body_payload(body).tag.endswith("vtoDi01")


async def test_without_our_client_certificate_corv_refuses_the_connection(dev_pki):
    server = HTTPServer(host="localhost", port=0,
                        ssl_context=server_ssl_context(dev_pki.server.cert, dev_pki.server.key, [dev_pki.ca_cert]))
    server.expect_request("/corv").respond_with_data("never")
    server.start()
    try:
        client = CorvClient(client_ssl_context(dev_pki.ca_cert), server.url_for("/corv"), timeout=10)
        with pytest.raises(CorvSendError, match="localhost"):
            await client.send(m.vto_di01(VTO))
        assert not server.log
    finally:
        server.stop()


async def test_an_unreachable_corv_is_a_send_error(dev_pki):
    client = CorvClient(client_ssl_context(dev_pki.ca_cert), "https://127.0.0.1:9/corv", timeout=5)
    with pytest.raises(CorvSendError, match="cannot reach"):
        await client.send(m.vto_di01(VTO))
