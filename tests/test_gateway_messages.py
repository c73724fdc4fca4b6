"""The iWmo/iJw data path end to end: a real gateway on loopback with TLS, providers with client certificates,
backoffice systems with tokens, the reference examples addressed to the test configuration."""
from __future__ import annotations

import dataclasses
import re

import aiohttp
import pytest
from gateway_support import (
    DEN_HELDER_TOKEN, PROVIDER_AGB, addressed, example_path, running_gateway, store_of, with_den_helder_backoffice,
    with_key_ring,
)
from istandaarden_examples import KNOWN_INVALID, example_params
from lxml import etree

from connectors.istandaarden import catalogue, json_mapping
from connectors.istandaarden.header import read_header
from connectors.istandaarden.retour import build_retour
from connectors.istandaarden.validation import SchemaRegistry
from gateway import leases
from gateway.rules_register import StoreRegister

REGISTRY = SchemaRegistry()
# Valid by the XSD, rejected by a technical rule: JW323 has Prestatie RN004 twice in one Client (TR101, 0001).
REJECTED_BY_RULES = {"JW323": "TR101"}


def provider_heen_examples() -> list:
    return [param for param in example_params(heen_only=True, valid_only=False)
            if param.values[0] is None or catalogue.by_code(param.values[0].stem).sender == catalogue.AANBIEDER]


@pytest.fixture
async def gateway(gateway_config, dev_pki):
    async with running_gateway(with_den_helder_backoffice(gateway_config), dev_pki.ca_cert) as running:
        yield running


def tenant_of(standard: str, test_tokens) -> tuple[str, str, str, str]:
    """iWmo examples go to Texel, iJw ones to Den Helder: (tenant, its token, the other tenant, its token)."""
    texel, den_helder = ("0448", test_tokens["backoffice"]), ("0400", DEN_HELDER_TOKEN)
    return (*texel, *den_helder) if standard == "iwmo" else (*den_helder, *texel)


@pytest.mark.parametrize("path", [p for p in provider_heen_examples() if p.values[0] is None
                                  or p.values[0].name not in KNOWN_INVALID])
async def test_a_providers_message_reaches_its_tenants_inbox_and_the_provider_gets_a_valid_retour(
        path, gateway, dev_pki, test_tokens):
    client, app = gateway
    kind = catalogue.by_code(path.stem)
    tenant, token, other_tenant, other_token = tenant_of(kind.standard, test_tokens)
    data = addressed(path, gemeente=tenant)

    sent = await client.send(dev_pki.provider, kind.standard, data)
    if kind.code in REJECTED_BY_RULES:
        assert sent.status == 422 and REJECTED_BY_RULES[kind.code] in sent.body["errors"][0]["message"]
        assert await client.inbox(token, tenant) == []
    else:
        assert sent.status == 202, sent.body
        [item] = await client.inbox(token, tenant)
        assert (item["id"], item["message"], item["tenant"], item["partner"]) == (
            sent.body["id"], kind.code, tenant, PROVIDER_AGB)
        assert item["xml"].encode() == data
        assert item["json"]["message"] == kind.code
        assert item["json"]["Bericht"]["Header"]["Ontvanger"] == tenant
        acked = await client.call("POST", f"/api/v1/inbox/{item['id']}/ack", token=token,
                                  json_body={"lease_token": item["lease_token"]})
        assert acked.status == 200, acked.body
        record = await store_of(app).get(item["id"])
        assert (record.status, record.queue) == ("acked", None)
    assert await client.inbox(other_token, other_tenant) == []

    [retour] = await client.pull(dev_pki.provider, f"/istandaarden/{kind.standard}/retour")
    assert (retour["id"], retour["message"], retour["correlation_id"]) == (
        sent.body["retour_id"], kind.retour_code, sent.body["id"])
    retour_root = etree.fromstring(retour["xml"].encode())
    assert REGISTRY.validate(retour_root) == []
    answered = read_header(retour_root)  # a Declaratie-antwoord names the Declaratie it answers apart
    assert (answered.declaratie_identificatie or answered.identificatie) == \
        read_header(etree.fromstring(data)).identificatie
    assert ("0001" in retour["retourcodes"]) == (kind.code in REJECTED_BY_RULES)
    acked = await client.call("POST", f"/istandaarden/{kind.standard}/retour/{retour['id']}/ack",
                              files=dev_pki.provider, json_body={"lease_token": retour["lease_token"]})
    assert acked.status == 200, acked.body
    assert (await store_of(app).get(retour["id"])).status == "acked"


async def test_the_same_message_is_not_accepted_twice(gateway, dev_pki, test_tokens):
    client, app = gateway
    data = addressed(example_path("WMO315"))
    first = await client.send(dev_pki.provider, "iwmo", data)
    again = await client.send(dev_pki.provider, "iwmo", data)
    assert first.status == 202
    assert (again.status, again.body["id"], again.body["duplicate"]) == (200, first.body["id"], True)
    assert [item["id"] for item in await client.inbox(test_tokens["backoffice"])] == [first.body["id"]]
    assert len(await client.pull(dev_pki.provider, "/istandaarden/iwmo/retour")) == 1

    changed = data.replace(b"<wmo315:Header>", b"<wmo315:Header>\n")
    conflict = await client.send(dev_pki.provider, "iwmo", changed)
    assert (conflict.status, conflict.body["id"]) == (409, first.body["id"])
    assert "different content" in conflict.body["errors"][0]["message"]


async def test_an_xsd_invalid_message_is_answered_with_its_errors_journaled_and_rejected_with_0001(
        gateway, dev_pki, test_tokens, reference_dir):
    client, app = gateway
    data = addressed(example_path("JW315"))  # its impossible date is a known fact of the reference
    response = await client.send(dev_pki.provider, "ijw", data)
    assert response.status == 422
    assert [(error["line"], error["path"]) for error in response.body["errors"]] == [
        (44, "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]/ToewijzingEinddatum"),
        (66, "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]/ToewijzingEinddatum")]
    assert "'2027-06-31' is not a valid value" in response.body["errors"][0]["message"]

    record = await store_of(app).get(response.body["id"])
    assert (record.status, record.queue, record.partner, record.tenant) == ("rejected", None, PROVIDER_AGB, "0448")
    assert await client.inbox(test_tokens["backoffice"]) == []
    [retour] = await client.pull(dev_pki.provider, "/istandaarden/ijw/retour")
    retour_root = etree.fromstring(retour["xml"].encode())
    assert REGISTRY.validate(retour_root) == []
    assert retour["retourcodes"] == ["0001"] and retour_root.find("{*}Client") is None


async def test_a_provider_may_only_send_what_its_contract_allows(gateway, dev_pki, test_tokens):
    client, _ = gateway
    second = dev_pki.second_provider  # 87654321: WMO315 to Den Helder (0400) only
    cases = [
        (dev_pki.provider, "iwmo", addressed(example_path("WMO305"), gemeente="9999"), 422,
         "Ontvanger 9999 is not a gemeente served by this gateway"),
        (second, "iwmo", addressed(example_path("WMO305"), gemeente="0400", agb="87654321"), 403,
         "may not send WMO305"),
        (second, "iwmo", addressed(example_path("WMO315"), gemeente="0448", agb="87654321"), 403,
         "has no contract with gemeente 0448"),
        (dev_pki.provider, "iwmo", addressed(example_path("WMO315"), agb="87654321"), 403,
         "Afzender 87654321 is not the AGB code of your certificate"),
        (dev_pki.provider, "iwmo", addressed(example_path("JW305")), 422, "post it to /istandaarden/ijw/berichten"),
        (dev_pki.provider, "iwmo", addressed(example_path("WMO301")), 422, "sent by a gemeente"),
        (dev_pki.provider, "iwmo", b"this is not XML", 400, ""),
        (dev_pki.provider, "iwmo", b'{"message": "WMO305"}', 400, ""),
        (dev_pki.provider, "iwmo", b"", 400, ""),
    ]
    for files, standard, data, status, message in cases:
        response = await client.send(files, standard, data)
        assert response.status == status, (message, response.body)
        assert message in response.body["errors"][0]["message"]
    assert await client.inbox(test_tokens["backoffice"]) == []


async def test_callers_without_the_right_credentials_get_defined_json_errors(gateway, dev_pki, test_tokens):
    client, _ = gateway
    data = addressed(example_path("WMO315"))
    cases = [
        (dict(method="POST", path="/istandaarden/iwmo/berichten", data=data), 401, "client certificate is required"),
        (dict(method="POST", path="/istandaarden/iwmo/berichten", data=data, files=dev_pki.corv), 403,
         "belongs to no configured provider"),
        (dict(method="POST", path="/istandaarden/iwmo/berichten", data=data, token=test_tokens["backoffice"]), 403,
         "this route is for provider"),
        (dict(method="GET", path="/api/v1/tenants/0448/inbox"), 401, "bearer token is required"),
        (dict(method="GET", path="/api/v1/tenants/0448/inbox", token=test_tokens["operator"]), 403,
         "this route is for backoffice"),
        (dict(method="GET", path="/api/v1/tenants/0400/inbox", token=test_tokens["backoffice"]), 403,
         "not authorised for tenant 0400"),
        (dict(method="GET", path="/api/v1/tenants/9999/inbox", token=test_tokens["backoffice"]), 404,
         "unknown tenant"),
        (dict(method="GET", path="/api/v1/tenants/0448/inbox?limit=0", token=test_tokens["backoffice"]), 400,
         "limit"),
        (dict(method="POST", path="/api/v1/inbox/no-such-id/ack", token=test_tokens["backoffice"],
              json_body={"lease_token": "x"}), 404, "no message"),
        (dict(method="GET", path="/istandaarden/wmo/retour", files=dev_pki.provider), 404, "Not Found"),
    ]
    for request, status, message in cases:
        response = await client.call(**request)
        assert response.status == status, (request, response.body)
        assert message in response.body["errors"][0]["message"], response.body


async def test_a_client_certificate_of_another_ca_is_refused_during_the_handshake(gateway, dev_pki):
    client, _ = gateway
    with pytest.raises(aiohttp.ClientError) as raised:
        await client.send(dev_pki.other_ca_client, "iwmo", addressed(example_path("WMO315")))
    assert isinstance(raised.value, (aiohttp.ClientOSError, aiohttp.ClientConnectorError))


@pytest.mark.parametrize("inline_bytes", [leases.INLINE_PAGE_BYTES, 0], ids=["on the event loop", "in a thread"])
async def test_a_page_of_the_inbox_is_made_alike_on_the_event_loop_or_in_a_thread(gateway, dev_pki, test_tokens,
                                                                                  monkeypatch, inline_bytes):
    monkeypatch.setattr(leases, "INLINE_PAGE_BYTES", inline_bytes)
    client, _ = gateway
    data = addressed(example_path("WMO317"))
    sent = await client.send(dev_pki.provider, "iwmo", data)
    [item] = await client.inbox(test_tokens["backoffice"])
    assert (item["id"], item["message"], item["xml"]) == (sent.body["id"], "WMO317", data.decode("utf-8"))
    assert item["json"] == json_mapping.to_json(etree.fromstring(data))


async def test_a_backoffice_that_reads_the_xml_may_lease_without_the_json_form(gateway, dev_pki, test_tokens):
    client, _ = gateway
    data = addressed(example_path("WMO317"))
    sent = await client.send(dev_pki.provider, "iwmo", data)
    token = test_tokens["backoffice"]
    page = await client.call("GET", "/api/v1/tenants/0448/inbox?json=false", token=token)
    [item] = page.body["messages"]
    assert (item["id"], item["xml"], "json" in item) == (sent.body["id"], data.decode("utf-8"), False)
    refused = await client.call("GET", "/api/v1/tenants/0448/inbox?json=no", token=token)
    assert (refused.status, refused.body["errors"][0]["path"]) == (400, "json")


async def test_an_inbox_message_comes_again_after_a_nack_and_the_lease_token_is_checked(gateway, dev_pki,
                                                                                         test_tokens):
    client, app = gateway
    sent = await client.send(dev_pki.provider, "iwmo", addressed(example_path("WMO317")))
    token = test_tokens["backoffice"]
    [item] = await client.inbox(token)
    wrong = await client.call("POST", f"/api/v1/inbox/{item['id']}/ack", token=token,
                              json_body={"lease_token": "not-the-token"})
    assert wrong.status == 409
    nacked = await client.call("POST", f"/api/v1/inbox/{item['id']}/nack", token=token,
                               json_body={"lease_token": item["lease_token"], "delay": 0, "reason": "later"})
    assert (nacked.status, nacked.body["result"]) == (200, "retried")
    [again] = await client.inbox(token)
    assert (again["id"], again["attempt"]) == (sent.body["id"], 2)
    other = await client.call("POST", f"/api/v1/inbox/{item['id']}/ack", token=DEN_HELDER_TOKEN,
                              json_body={"lease_token": again["lease_token"]})
    assert other.status == 403
    for _ in range(2):  # the 403 left the lease alone; an ack repeated is answered as the first was
        acked = await client.call("POST", f"/api/v1/inbox/{item['id']}/ack", token=token,
                                  json_body={"lease_token": again["lease_token"]})
        assert (acked.status, acked.body) == (200, {"id": item["id"], "status": "acked"})
    assert await client.inbox(token) == []


async def test_a_page_of_the_inbox_is_acked_in_one_request_and_each_refused_ack_says_why(gateway, dev_pki,
                                                                                          test_tokens):
    client, _ = gateway
    token = test_tokens["backoffice"]
    for name in ("WMO315", "WMO317"):
        assert (await client.send(dev_pki.provider, "iwmo", addressed(example_path(name)))).status == 202
    sent = await client.send(dev_pki.provider, "ijw", addressed(example_path("JW317"), gemeente="0400"))
    assert sent.status == 202, sent.body
    first, second = await client.inbox(token)
    [den_helder] = await client.inbox(DEN_HELDER_TOKEN, "0400")

    def acks(*pairs: tuple[str, str]) -> dict:
        return {"acks": [{"id": message_id, "lease_token": lease_token} for message_id, lease_token in pairs]}

    answer = await client.call("POST", "/api/v1/inbox/ack", token=token, json_body=acks(
        (first["id"], first["lease_token"]), (second["id"], "not-the-token"),
        (den_helder["id"], den_helder["lease_token"]), ("no-such-id", "x")))
    assert answer.status == 200, answer.body
    assert answer.body["acked"] == [first["id"]]
    failed = answer.body["failed"]
    assert [(item["id"], item["status"]) for item in failed] == [
        (second["id"], 409), (den_helder["id"], 403), ("no-such-id", 404)]
    assert "not authorised for tenant 0400" in failed[1]["errors"][0]["message"]
    # The refused ones were left as they were: their owners ack them with their leases; an ack repeated is an ack.
    again = await client.call("POST", "/api/v1/inbox/ack", token=token, json_body=acks(
        (first["id"], first["lease_token"]), (second["id"], second["lease_token"])))
    assert again.body == {"acked": [first["id"], second["id"]], "failed": []}
    theirs = await client.call("POST", "/api/v1/inbox/ack", token=DEN_HELDER_TOKEN,
                               json_body=acks((den_helder["id"], den_helder["lease_token"])))
    assert theirs.body == {"acked": [den_helder["id"]], "failed": []}
    assert await client.inbox(token) == [] and await client.inbox(DEN_HELDER_TOKEN, "0400") == []

    for body, path in [({"acks": []}, "$.acks"), ({"acks": [{"id": "x"}] * 101}, "$.acks"), ({}, "$.acks"),
                       ({"acks": [{"id": "x", "lease_token": "y"}, "z"]}, "$.acks[1]"),
                       ({"acks": [{"id": "x", "lease_token": "y"}, {"id": "x"}]}, "$.acks[1].lease_token"),
                       ({"acks": [{"lease_token": "y"}]}, "$.acks[0].id")]:
        refused = await client.call("POST", "/api/v1/inbox/ack", token=token, json_body=body)
        assert (refused.status, refused.body["errors"][0]["path"]) == (400, path), body


async def test_a_provider_acks_its_page_of_retours_in_one_request(gateway, dev_pki, test_tokens):
    client, _ = gateway
    for name in ("WMO315", "WMO317"):
        assert (await client.send(dev_pki.provider, "iwmo", addressed(example_path(name)))).status == 202
    retours = await client.pull(dev_pki.provider, "/istandaarden/iwmo/retour")
    body = {"acks": [{"id": item["id"], "lease_token": item["lease_token"]} for item in retours]}
    elsewhere = await client.call("POST", "/istandaarden/iwmo/berichten/ack", files=dev_pki.provider, json_body=body)
    assert (elsewhere.body["acked"], [item["status"] for item in elsewhere.body["failed"]]) == ([], [404, 404])
    [inbox_item, _] = await client.inbox(test_tokens["backoffice"])
    body["acks"].append({"id": inbox_item["id"], "lease_token": inbox_item["lease_token"]})
    answer = await client.call("POST", "/istandaarden/iwmo/retour/ack", files=dev_pki.provider, json_body=body)
    assert answer.body["acked"] == [item["id"] for item in retours]
    assert [(item["id"], item["status"]) for item in answer.body["failed"]] == [(inbox_item["id"], 404)]
    assert await client.pull(dev_pki.provider, "/istandaarden/iwmo/retour") == []


async def test_a_backoffice_message_goes_to_the_provider_and_its_302_comes_back_correlated(
        gateway, dev_pki, test_tokens):
    client, app = gateway
    token = test_tokens["backoffice"]
    data = addressed(example_path("WMO301"))
    sent = await client.call("POST", "/api/v1/tenants/0448/outbound", token=token, data=data,
                             content_type="application/xml")
    assert sent.status == 202, sent.body

    [message] = await client.pull(dev_pki.provider, "/istandaarden/iwmo/berichten")
    assert (message["id"], message["message"], message["xml"].encode()) == (sent.body["id"], "WMO301", data)
    acked = await client.call("POST", f"/istandaarden/iwmo/berichten/{message['id']}/ack", files=dev_pki.provider,
                              json_body={"lease_token": message["lease_token"]})
    assert acked.status == 200

    retour = build_retour(etree.fromstring(data), {"Client": ["0233"]}, registry=REGISTRY)
    answer = await client.send(dev_pki.provider, "iwmo", etree.tostring(retour, xml_declaration=True,
                                                                       encoding="UTF-8"))
    assert (answer.status, answer.body["correlation_id"]) == (202, sent.body["id"]), answer.body
    original = await store_of(app).get(sent.body["id"])
    assert (original.status, original.retourcodes) == ("retour received", ("0200", "0233"))
    [item] = await client.inbox(token)
    assert (item["message"], item["correlation_id"], item["retourcodes"]) == ("WMO302", sent.body["id"],
                                                                             ["0200", "0233"])

    again = await client.call("POST", "/api/v1/tenants/0448/outbound", token=token, data=data,
                              content_type="application/xml")
    assert (again.status, again.body["id"], again.body["duplicate"]) == (200, sent.body["id"], True)
    never_sent = build_retour(etree.fromstring(addressed(example_path("WMO301"))), registry=REGISTRY)
    orphan = await client.send(dev_pki.provider, "iwmo", etree.tostring(never_sent))
    assert (orphan.status, orphan.body["correlation_id"]) == (202, None)  # kept for the backoffice all the same
    assert [item["message"] for item in await client.inbox(token)] == ["WMO302"]


async def test_a_backoffice_may_send_the_json_form(gateway, dev_pki, test_tokens):
    client, _ = gateway
    root = etree.fromstring(addressed(example_path("JW319")))
    sent = await client.call("POST", "/api/v1/tenants/0448/outbound", token=test_tokens["backoffice"],
                             json_body=json_mapping.to_json(root))
    assert sent.status == 202, sent.body
    [message] = await client.pull(dev_pki.provider, "/istandaarden/ijw/berichten")
    assert json_mapping.to_json(etree.fromstring(message["xml"].encode())) == json_mapping.to_json(root)


async def test_a_backoffice_message_that_does_not_fit_is_refused(gateway, dev_pki, gateway_config, test_tokens):
    client, _ = gateway
    token = test_tokens["backoffice"]
    invalid = etree.fromstring(addressed(example_path("WMO301")))
    invalid.find("{*}Client/{*}Bsn").text = "not-a-bsn"
    cases = [
        (addressed(example_path("WMO301"), agb="87654321"), "application/xml", 422,
         "no provider with a contract with gemeente 0448"),
        (addressed(example_path("WMO301"), gemeente="0400"), "application/xml", 422, "Afzender 0400 is not gemeente"),
        (addressed(example_path("WMO305")), "application/xml", 422, "not a message a backoffice sends"),
        (etree.tostring(invalid), "application/xml", 422, "Bsn"),
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b'{"standard": "iwmo", "message": "WMO301", "Bericht": {"Kop": {}}}', "application/json", 422, "Kop"),
    ]
    for data, content_type, status, message in cases:
        response = await client.call("POST", "/api/v1/tenants/0448/outbound", token=token, data=data,
                                     content_type=content_type)
        assert response.status == status, (message, response.body)
        assert any(message in str(error) for error in response.body["errors"]), response.body
    assert await client.pull(dev_pki.provider, "/istandaarden/iwmo/berichten") == []


async def test_a_provider_with_a_delivery_url_does_not_pull(gateway_config, dev_pki):
    pushed = dataclasses.replace(gateway_config.providers[0],
                                 delivery=dataclasses.replace(gateway_config.providers[0].delivery, mode="push",
                                                              url="https://localhost:9/in"))
    config = dataclasses.replace(gateway_config, providers=(pushed, *gateway_config.providers[1:]))
    async with running_gateway(config, dev_pki.ca_cert) as (client, _):
        response = await client.call("GET", "/istandaarden/iwmo/retour", files=dev_pki.provider)
    assert response.status == 409 and "pushed" in response.body["errors"][0]["message"]


async def test_metrics_count_messages_by_standard_type_status_and_partner(gateway, dev_pki, test_tokens):
    client, _ = gateway
    await client.send(dev_pki.provider, "iwmo", addressed(example_path("WMO315")))
    await client.send(dev_pki.provider, "ijw", addressed(example_path("JW315")))
    metrics = await client.call("GET", "/metrics", token=test_tokens["operator"])
    assert ('ketenpoort_messages_total{message_type="WMO315",partner="12345678",standard="iwmo",'
            'status="accepted"} 1.0') in metrics.body
    assert ('ketenpoort_messages_total{message_type="JW315",partner="12345678",standard="ijw",'
            'status="rejected"} 1.0') in metrics.body
    assert 'ketenpoort_pipeline_seconds_count{source="provider",status="accepted"} 1.0' in metrics.body
    assert "999900006" not in metrics.body  # the examples' BSN
    for phase in ("waiting", "running", "committing"):  # the journal's write transactions, timed
        [count] = re.findall(rf'ketenpoort_store_write_seconds_count{{phase="{phase}"}} (\S+)', metrics.body)
        assert float(count) >= 1
    # the accepted WMO315 waits on Texel's inbox, its retour (and the JW315's) on the provider's queue
    assert 'ketenpoort_queue_messages{queue="inbox:0448",state="waiting"} 1.0' in metrics.body
    assert 'ketenpoort_queue_messages{queue="inbox:0448",state="dead"} 0.0' in metrics.body
    assert re.search(r'ketenpoort_queue_oldest_seconds\{queue="inbox:0448"\} \d', metrics.body)
    document = (await client.call("GET", "/api/v1/openapi.json", token=test_tokens["operator"])).body
    assert document["paths"]["/istandaarden/{standard}/berichten"]["post"]["security"] == [{"mutualTLS": []}]
    assert document["paths"]["/api/v1/tenants/{gemeentecode}/inbox"]["get"]["security"] == [{"bearer": []}]


def test_the_examples_cover_every_heenbericht_a_provider_sends(reference_dir):
    codes = {param.values[0].stem for param in provider_heen_examples()}
    assert codes == {m.code for m in catalogue.MESSAGES if m.sender == catalogue.AANBIEDER
                     and m.direction == catalogue.HEEN}


async def test_the_rules_register_in_the_store_learns_from_accepted_messages(gateway_config, dev_pki, tmp_path):
    data = addressed(example_path("WMO315"))
    async with running_gateway(with_key_ring(gateway_config, tmp_path), dev_pki.ca_cert) as (client, app):
        assert (await client.send(dev_pki.provider, "iwmo", data)).status == 202
        register = StoreRegister(store_of(app))
        identificatie = read_header(etree.fromstring(data)).identificatie
        assert await register.message_seen("iwmo", "WMO315", PROVIDER_AGB, identificatie)
        assert await register.verzoeken("iwmo", PROVIDER_AGB, tenant="0448")

async def test_the_configured_slow_write_threshold_is_the_stores(gateway_config, dev_pki):
    storage = dataclasses.replace(gateway_config.storage, slow_write_seconds=0.25)
    async with running_gateway(dataclasses.replace(gateway_config, storage=storage), dev_pki.ca_cert) as (_, app):
        assert store_of(app).slow_write_seconds == 0.25
