"""backoffice → gateway → CORV end to end: the backoffice posts a vtoDi01 (XML or JSON), the gateway sends it over
mutual TLS to a fake CORV (pytest-httpserver) and records CORV's Bv03 or Fo03."""
from __future__ import annotations

import contextlib
import dataclasses
import time

import pytest
from corv_gateway_support import VTO, answer_bv03, answer_fo03, corv_config, fout_code, post_as_corv, same_xml
from gateway_support import running_gateway, store_of
from lxml import etree
from test_gateway_delivery import eventually, status_becomes
from werkzeug import Response

import corv_messages as m
from connectors.corv import json_mapping, soap
from gateway.config import DeliverySettings
from queues import MessageRecord, SearchFilters

PATH = "/corv/jz0100/ontvangAsynchroon"
OUTBOUND = "/api/v1/tenants/0448/outbound"


def delivery_config(gateway_config, dev_pki, corv, **delivery):
    """CORV at `corv`'s PATH; tiny retry delays, half a second per attempt."""
    settings = dict(max_attempts=3, backoff_base=0.01, backoff_max=0.05, timeout=0.5,
                    circuit_breaker_threshold=100, circuit_breaker_reset=0.0) | delivery
    config = corv_config(gateway_config, dev_pki, corv.url_for(PATH))
    return dataclasses.replace(config, delivery=DeliverySettings(**settings))


def bv03(request) -> Response:
    return Response(answer_bv03(request.data), content_type=soap.CONTENT_TYPE)


def fo03(code: str):
    def answer(request) -> Response:
        return Response(answer_fo03(request.data, code, "kind zonder gezagsdrager"), status=500,
                        content_type=soap.CONTENT_TYPE)
    return answer


def xml(message: etree._Element) -> bytes:
    return etree.tostring(message, xml_declaration=True, encoding="UTF-8")


async def post_outbound(client, test_tokens, message: etree._Element, *, as_json: bool = False):
    if as_json:
        return await client.call("POST", OUTBOUND, token=test_tokens["backoffice"],
                                 json_body=json_mapping.to_json(message))
    return await client.call("POST", OUTBOUND, token=test_tokens["backoffice"], data=xml(message),
                             content_type="application/xml")


async def sent_vto(client, test_tokens, **options) -> str:
    sent = await post_outbound(client, test_tokens, m.vto_di01(VTO), **options)
    assert sent.status == 202, sent.body
    return sent.body["id"]


@contextlib.asynccontextmanager
async def corv_answering(answer, gateway_config, dev_pki, corv):
    """A gateway whose CORV (`corv`) answers every message with `answer(request)`."""
    corv.expect_request(PATH, method="POST").respond_with_handler(answer)
    async with running_gateway(delivery_config(gateway_config, dev_pki, corv), dev_pki.ca_cert) as running:
        yield running


async def vto_until(status: str, client, app, test_tokens, **options) -> MessageRecord:
    """Post a vtoDi01 and wait until its status is `status`: its record then."""
    message_id = await sent_vto(client, test_tokens, **options)
    await status_becomes(app, message_id, status)
    return await store_of(app).get(message_id)


def requests_to(corv) -> list:
    return [request for request, _ in corv.log if request.path == PATH]


@pytest.mark.parametrize("as_json", [False, True], ids=["xml", "json"])
async def test_a_backoffice_message_reaches_corv_over_mutual_tls_and_the_bv03_is_recorded(
        as_json, gateway_config, dev_pki, mtls_partner, test_tokens):
    async with corv_answering(bv03, gateway_config, dev_pki, mtls_partner) as (client, app):
        record = await vto_until("delivered", client, app, test_tokens, as_json=as_json)
        timeline = await store_of(app).timeline(record.id)
    [request] = requests_to(mtls_partner)
    assert request.headers["SOAPAction"] == '"http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01"'
    assert same_xml(xml(soap.body_payload(request.data)).decode(), m.vto_di01(VTO))
    assert (record.standard, record.message_type, record.direction, record.tenant, record.partner) == (
        "corv", "vtoDi01", "outbound", "0448", "RvdK")
    [delivered] = [event.detail for event in timeline if event.event == "delivered"]
    assert (delivered["answer"], delivered["attempt"]) == ("Bv03", 1) and delivered["referentienummer"]


async def test_an_error_and_a_timeout_of_corv_are_retried_until_the_bv03(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    def slow(request):
        time.sleep(1.0)  # longer than the delivery timeout of 0.5 s
        return bv03(request)

    mtls_partner.expect_oneshot_request(PATH, method="POST").respond_with_data("<html>down</html>", status=500)
    mtls_partner.expect_oneshot_request(PATH, method="POST").respond_with_handler(slow)
    async with corv_answering(bv03, gateway_config, dev_pki, mtls_partner) as (client, app):
        record = await vto_until("delivered", client, app, test_tokens)
        timeline = await store_of(app).timeline(record.id)
    await eventually(lambda: len(requests_to(mtls_partner)) == 3, "the late answer")  # keep it out of the next test
    reasons = [event.detail["reason"] for event in timeline if event.event == "retried"]
    assert len(reasons) == 2 and "HTTP 500" in reasons[0] and "no answer" in reasons[1]
    assert [event.detail["attempt"] for event in timeline if event.event == "delivered"] == [3]


async def test_a_fo03_for_our_message_fails_it_at_once_and_the_backoffice_reads_the_fo03(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    async with corv_answering(fo03("StUF055"), gateway_config, dev_pki, mtls_partner) as (client, app):
        record = await vto_until("failed", client, app, test_tokens)
        [answer] = await client.inbox(test_tokens["backoffice"], "0448")
    assert len(requests_to(mtls_partner)) == 1
    assert (record.retourcodes, record.queue) == (("StUF055",), None)
    assert (answer["message"], answer["correlation_id"], answer["retourcodes"]) == (
        "Fo03Bericht", record.id, ["StUF055"])
    assert answer["json"]["Fo03Bericht"]["body"]["details"] == "kind zonder gezagsdrager"
    assert fout_code(etree.fromstring(answer["xml"].encode())) == "StUF055"


async def test_a_fo03_for_corvs_own_trouble_is_retried_and_dead_lettered_after_the_last_attempt(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    async with corv_answering(fo03("StUF046"), gateway_config, dev_pki, mtls_partner) as (client, app):
        record = await vto_until("dead-lettered", client, app, test_tokens)
        [dead] = await store_of(app).dead_letters("outbound:corv")
    assert (dead.message.id, dead.attempts) == (record.id, 3) and "StUF046" in dead.reason
    assert len(requests_to(mtls_partner)) == 3


async def test_corvs_asynchronous_answer_lands_in_the_inbox_linked_to_our_message(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    async with corv_answering(bv03, gateway_config, dev_pki, mtls_partner) as (client, app):
        record = await vto_until("delivered", client, app, test_tokens)
        fo01 = m.answer_from_corv("Fo01", VTO.referentienummer, fout="StUF058")
        status, _ = await post_as_corv(client.base_url, dev_pki.ca_cert, m.soap_request(fo01), dev_pki.corv)
        [answer] = await client.inbox(test_tokens["backoffice"], "0448")
        events = [event.event for event in await store_of(app).timeline(record.id)]
    assert status == 200
    assert (answer["message"], answer["correlation_id"], answer["retourcodes"]) == (
        "Fo01Bericht", record.id, ["StUF058"])
    assert "answer received" in events


@pytest.mark.parametrize("element, value, path", [
    ("{*}object/{*}startdatum", "2025-03-01", "/vtoDi01/object/startdatum"),
    ("{*}stuurgegevens/{*}zender/{*}organisatie", "0400", "/vtoDi01/stuurgegevens/zender"),
], ids=["schema-invalid", "zender-is-another-gemeente"])
async def test_a_message_corv_would_refuse_is_refused_to_the_backoffice_and_not_sent(
        element, value, path, gateway_config, dev_pki, mtls_partner, test_tokens):
    message = m.vto_di01(VTO)
    message.find(element).text = value
    async with corv_answering(bv03, gateway_config, dev_pki, mtls_partner) as (client, app):
        sent = await post_outbound(client, test_tokens, message)
        rejected = await store_of(app).search(SearchFilters(standard="corv", status="rejected"))
    assert sent.status == 422 and sent.body["errors"][0]["path"].startswith(path), sent.body
    assert [record.id for record in rejected.messages] == [sent.body["id"]]
    assert requests_to(mtls_partner) == []


async def test_messages_a_gemeente_does_not_send_or_wrapped_in_soap_are_refused(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    async with corv_answering(bv03, gateway_config, dev_pki, mtls_partner) as (client, app):
        notificatie = await post_outbound(client, test_tokens, m.notificatie_di01())
        wrapped = await client.call("POST", OUTBOUND, token=test_tokens["backoffice"],
                                    data=soap.envelope(m.vto_di01(VTO)), content_type="text/xml")
        again = [await post_outbound(client, test_tokens, m.vto_di01(VTO)) for _ in range(2)]
    assert notificatie.status == 422 and "not a message a gemeente sends" in notificatie.body["errors"][0]["message"]
    assert wrapped.status == 422 and "not a SOAP envelope" in wrapped.body["errors"][0]["message"]
    assert [response.status for response in again] == [202, 200] and again[1].body["duplicate"] is True


async def test_without_a_corv_endpoint_the_backoffice_is_told_so(gateway_config, dev_pki, test_tokens):
    async with running_gateway(corv_config(gateway_config, dev_pki), dev_pki.ca_cert) as (client, app):
        with_section = await post_outbound(client, test_tokens, m.vto_di01(VTO))
    async with running_gateway(gateway_config, dev_pki.ca_cert) as (client, app):
        without = await post_outbound(client, test_tokens, m.vto_di01(VTO), as_json=True)
    assert with_section.status == 503 and "[corv] endpoint" in with_section.body["errors"][0]["message"]
    assert without.status == 503 and "[corv]" in without.body["errors"][0]["message"]
