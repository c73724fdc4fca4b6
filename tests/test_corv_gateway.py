"""CORV → gateway → backoffice end to end: the real gateway on loopback with TLS, CORV with its client certificate,
the backoffice reading its inbox as XML and JSON."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
import requests
import zeep
from corv_gateway_support import (
    SERVICE_PATH, VTO, corv_config, fout_code, post_as_corv, same_xml, to_texel, with_public_port,
)
from gateway_support import DEN_HELDER_TOKEN, running_gateway, store_of, with_den_helder_backoffice
from lxml import etree

import corv_messages as m
from connectors.corv import json_mapping, soap
from connectors.corv.stuf import read_stuurgegevens
from queues import SearchFilters

MESSAGES = {
    "vtoDi01": lambda: to_texel(m.vto_di01(VTO)),
    "notificatieDi01": lambda: m.notificatie_di01(),
    "notificatiejrDi01": lambda: m.notificatiejr_di01(("OM", "CORV")),
    "zorgmeldingDi01": lambda: m.zorgmelding_di01(),
    "zorgmeldingTerugkoppelingDi01": lambda: to_texel(m.zorgmelding_terugkoppeling_di01()),
}


@pytest.fixture
async def gateway(gateway_config, dev_pki):
    config = with_den_helder_backoffice(corv_config(gateway_config, dev_pki))
    async with running_gateway(config, dev_pki.ca_cert) as running:
        yield running


async def send(client, dev_pki, message: etree._Element, files=None):
    return await post_as_corv(client.base_url, dev_pki.ca_cert, m.soap_request(message), files or dev_pki.corv)


async def rejected_messages(app) -> list:
    return (await store_of(app).search(SearchFilters(standard="corv", status="rejected"))).messages


@pytest.mark.parametrize("name", MESSAGES)
async def test_each_jz_message_is_confirmed_with_bv03_and_read_by_the_backoffice_as_xml_and_json(
        name, gateway, dev_pki, test_tokens):
    client, app = gateway
    message = MESSAGES[name]()
    status, bv03 = await send(client, dev_pki, message)
    assert status == 200 and etree.QName(bv03).localname == "Bv03Bericht"
    answer = read_stuurgegevens(bv03)
    assert (answer.berichtcode, answer.cross_refnummer) == ("Bv03", read_stuurgegevens(message).referentienummer)
    [item] = await client.inbox(test_tokens["backoffice"], "0448")
    assert (item["message"], item["standard"], item["tenant"], item["direction"]) == (name, "corv", "0448", "inbound")
    assert same_xml(item["xml"], message) and soap.SOAP_ENV not in item["xml"]
    assert item["json"] == json_mapping.to_json(message)
    assert await client.inbox(DEN_HELDER_TOKEN, "0400") == []


async def test_an_ontvanger_applicatie_configured_for_a_tenant_routes_there(gateway, dev_pki, test_tokens):
    client, app = gateway
    message = m.zorgmelding_di01()
    message.find("{*}stuurgegevens/{*}ontvanger/{*}organisatie").text = "Regio Kop van Noord-Holland"
    message.find("{*}stuurgegevens/{*}ontvanger/{*}applicatie").text = "JZA-Kop"
    status, _ = await send(client, dev_pki, message)
    assert status == 200
    [item] = await client.inbox(test_tokens["backoffice"], "0448")
    assert item["message"] == "zorgmeldingDi01"


async def test_a_duplicate_gets_fo03_stuf016_and_is_not_accepted_twice(gateway, dev_pki, test_tokens):
    client, app = gateway
    assert (await send(client, dev_pki, m.notificatie_di01(referentienummer="NOT-42")))[0] == 200
    status, fo03 = await send(client, dev_pki, m.notificatie_di01(referentienummer="NOT-42"))
    assert status == 500 and fout_code(fo03) == "StUF016"
    assert fo03.findtext("{*}stuurgegevens/{*}crossRefnummer") == "NOT-42"
    [item] = await client.inbox(test_tokens["backoffice"], "0448")
    events = [event.event for event in await store_of(app).timeline(item["id"])]
    assert "duplicate received" in events
    assert await store_of(app).count(SearchFilters(standard="corv")) == 1


async def test_a_schema_invalid_body_gets_fo03_stuf055_and_is_journaled_rejected_without_its_values(
        gateway, dev_pki, test_tokens):
    client, app = gateway
    message = m.notificatie_di01(bsn="999990019")
    message.find(".//{*}natuurlijkPersoon/{*}inp.bsn").text = "12345"  # too short for a BSN
    status, fo03 = await send(client, dev_pki, message)
    assert status == 500 and fout_code(fo03) == "StUF055"
    details = fo03.findtext("{*}body/{*}details")
    assert "/notificatieDi01/object/heeftBetrekkingOp/gerelateerde/natuurlijkPersoon/inp.bsn" in details
    [rejected] = await rejected_messages(app)
    assert (rejected.message_type, rejected.retourcodes, rejected.tenant, rejected.partner) == (
        "notificatieDi01", ("StUF055",), "0448", "RvdK")
    [event] = [event for event in await store_of(app).timeline(rejected.id) if event.event == "rejected"]
    assert event.detail["problems"][0]["path"].endswith("/natuurlijkPersoon/inp.bsn")
    assert "12345" not in json.dumps(event.detail)
    assert await client.inbox(test_tokens["backoffice"], "0448") == []


@pytest.mark.parametrize("data, code", [
    (b"<not-closed>", "StUF055"),
    (m.soap_request(etree.Element("{http://www.egem.nl/StUF/sector/bg/0310}npsLv01")), "StUF025"),
], ids=["not-xml", "not-a-corv-message"])
async def test_unreadable_or_foreign_requests_get_a_fo03_and_are_journaled(data, code, gateway, dev_pki):
    client, app = gateway
    status, fo03 = await post_as_corv(client.base_url, dev_pki.ca_cert, data, dev_pki.corv)
    assert status == 500 and fout_code(fo03) == code
    [rejected] = await rejected_messages(app)
    assert rejected.retourcodes == (code,)


async def test_a_message_for_a_municipality_not_served_here_gets_fo03_stuf010(gateway, dev_pki, test_tokens):
    client, app = gateway
    message = m.zorgmelding_di01()
    message.find("{*}stuurgegevens/{*}ontvanger/{*}organisatie").text = "0363"
    status, fo03 = await send(client, dev_pki, message)
    assert status == 500 and fout_code(fo03) == "StUF010"
    assert "0363" in fo03.findtext("{*}body/{*}details")
    [rejected] = await rejected_messages(app)
    assert (rejected.tenant, rejected.retourcodes) == (None, ("StUF010",))


async def test_a_message_the_store_cannot_take_gets_fo03_stuf046_not_a_bv03(gateway, dev_pki):
    client, app = gateway
    await store_of(app).close()
    status, fo03 = await send(client, dev_pki, m.notificatie_di01())
    assert status == 500 and fout_code(fo03) == "StUF046"
    assert fo03.findtext("{*}body/{*}plek") == "server"


@pytest.mark.parametrize("who, status", [("nobody", 401), ("provider", 403)])
async def test_only_corvs_certificate_may_post(who, status, gateway, dev_pki, test_tokens):
    client, app = gateway
    files = dev_pki.provider if who == "provider" else None
    answer_status, body = await post_as_corv(client.base_url, dev_pki.ca_cert,
                                             m.soap_request(m.notificatie_di01()), files)
    assert answer_status == status
    assert "client certificate" in json.loads(body)["errors"][0]["message"]
    assert await store_of(app).count(SearchFilters(standard="corv")) == 0


async def test_a_certificate_of_another_ca_is_refused_in_the_tls_handshake(gateway, dev_pki):
    client, app = gateway
    with pytest.raises(aiohttp.ClientError):
        await send(client, dev_pki, m.notificatie_di01(), dev_pki.other_ca_client)
    assert await store_of(app).count(SearchFilters(standard="corv")) == 0


async def test_without_a_corv_section_corv_is_refused(gateway_config, dev_pki):
    async with running_gateway(gateway_config, dev_pki.ca_cert) as (client, app):
        status, body = await post_as_corv(client.base_url, dev_pki.ca_cert, m.soap_request(m.notificatie_di01()),
                                          dev_pki.corv)
    assert status == 403 and "[corv] certificate" in body


async def test_the_wsdl_at_the_public_url_loads_in_zeep_with_every_operation(gateway_config, dev_pki):
    config = with_public_port(corv_config(gateway_config, dev_pki))
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace the dev CA
        session.cert, session.verify = (str(dev_pki.corv.cert), str(dev_pki.corv.key)), str(dev_pki.ca_cert)
        url = f"{config.gateway.public_base_url}{SERVICE_PATH}"
        wsdl = await asyncio.to_thread(zeep.Client, f"{url}?wsdl", transport=zeep.Transport(session=session))
        unknown = await client.call("GET", "/corv/ontvangSynchroon?wsdl", files=dev_pki.corv)
    binding = wsdl.service._binding
    assert wsdl.service._binding_options["address"] == url
    assert sorted(binding._operations) == sorted([*MESSAGES, "bv01Bericht", "fo01Bericht"])
    assert unknown.status == 404



async def test_the_openapi_document_says_corv_calls_with_its_client_certificate(gateway, test_tokens):
    client, app = gateway
    document = (await client.call("GET", "/api/v1/openapi.json", token=test_tokens["operator"])).body
    operations = document["paths"]["/corv/{service}"]
    assert operations["post"]["security"] == operations["get"]["security"] == [{"mutualTLS": []}]
    assert "vtoDi01" in document["paths"]["/api/v1/tenants/{gemeentecode}/outbound"]["post"]["summary"]
