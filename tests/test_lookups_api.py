"""`POST /api/v1/lookups/{service}` through the gateway over TLS: refused before any call, audited, end to end."""
from __future__ import annotations

import dataclasses
import json

import aiohttp
import pytest

from connectors.suwinet.services import SERVICES
from gateway.app import create_app
from gateway.config import LookupGrant, Token, hash_token
from gateway.config_reader import ConfigError
from gateway.lookup_config import lookup_clients
from gateway.lookups import LOOKUP_AUDIT_KEY, LookupAudit
from gateway.server import start_server
from gateway.tls import client_ssl_context
from lookup_support import BSN, envelope, soap_fault
from queues.audit import canonical_json
from queues.encryption import KeyRing

SERVICE = "BRPDossierPersoonGSD"
PARTNER_PATH = f"/suwibroker/soap/{SERVICE}-v0200"
PURPOSE = "Participatiewet: beoordeling aanvraag bijstand"
TOKENS = {"granted": "backoffice-lookup-token-0001", "ungranted": "backoffice-plain-token-0002"}
FWI_NS = "http://bkwi.nl/SuwiML/FWI/v0205"


def partner_answer(content: str) -> bytes:
    namespace = SERVICES[SERVICE].namespace
    return envelope(f'<smls:AanvraagPersoonResponse xmlns:smls="{namespace}" xmlns:fwi="{FWI_NS}">{content}'
                    "</smls:AanvraagPersoonResponse>")


class RecordingAudit:
    """An audit trail that keeps what it is given; `failing` makes it refuse like an unreachable store."""

    def __init__(self) -> None:
        self.events = []
        self.failing = False

    async def append(self, event):
        if self.failing:
            raise ConnectionError("store unreachable")
        self.events.append(event)
        return event


def lookup_config(gateway_config, dev_pki, partner):
    grant = LookupGrant(SERVICE, (PURPOSE,))
    tokens = (Token("backoffice Texel lookups", hash_token(TOKENS["granted"]), "backoffice", ("0448",), (grant,)),
              Token("backoffice Texel", hash_token(TOKENS["ungranted"]), "backoffice", ("0448",)))
    section = {SERVICE: {"url": partner.url_for(PARTNER_PATH), "cert": str(dev_pki.gateway_client.cert),
                         "key": str(dev_pki.gateway_client.key), "ca": str(dev_pki.ca_cert), "timeout": 5}}
    return dataclasses.replace(gateway_config, tokens=tokens, sections={"lookups": section})


@pytest.fixture
async def gateway(gateway_config, dev_pki, mtls_partner):
    ring = KeyRing.generate()
    audit = RecordingAudit()
    config = lookup_config(gateway_config, dev_pki, mtls_partner)
    app = create_app(config)
    app[LOOKUP_AUDIT_KEY] = LookupAudit(audit, ring.bsn_search_key)
    server = await start_server(app, config.gateway)
    yield server.base_url.replace("127.0.0.1", "localhost"), audit, ring
    await server.stop()


async def post(base, dev_pki, body, *, token="granted", service=SERVICE):
    headers = {"Authorization": f"Bearer {TOKENS[token]}", "Content-Type": "application/json"}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/api/v1/lookups/{service}", data=data, headers=headers,
                                ssl=client_ssl_context(dev_pki.ca_cert)) as response:
            return response.status, await response.json()


async def test_lookup_end_to_end_over_tls_is_answered_and_audited(gateway, dev_pki, mtls_partner):
    base, audit, ring = gateway
    mtls_partner.expect_request(PARTNER_PATH, method="POST").respond_with_data(partner_answer(
        f"<ClientSuwi><Voornamen>Media</Voornamen><Burgerservicenr>{BSN}</Burgerservicenr></ClientSuwi>"))

    status, body = await post(base, dev_pki, {"bsn": BSN, "purpose": PURPOSE})

    assert status == 200
    assert body["answer"]["ClientSuwi"][0]["Voornamen"] == "Media"
    assert (body["service"], body["purpose"]) == (SERVICE, PURPOSE)
    [event] = audit.events
    assert (event.actor, event.role, event.action, event.purpose, event.outcome) == (
        "backoffice Texel lookups", "backoffice", "lookup", PURPOSE, "found")
    assert event.object_id == f"bsn:{ring.bsn_search_key(BSN)}"
    assert event.detail == {"service": SERVICE}
    assert BSN not in canonical_json(dataclasses.asdict(event))


@pytest.mark.parametrize("body, field, message", [
    ({"bsn": BSN}, "purpose", "purpose: required"),
    ({"bsn": BSN, "purpose": "   "}, "purpose", "purpose: required"),
    ({"bsn": "123456789", "purpose": PURPOSE}, "bsn", "bsn: the BSN fails the 11-proof"),
    ({"bsn": 999992314, "purpose": PURPOSE}, "bsn", "bsn: a BSN must be a string"),
])
async def test_refused_before_any_call_without_purpose_or_valid_bsn(gateway, dev_pki, mtls_partner, body, field,
                                                                     message):
    base, audit, _ = gateway

    status, answer = await post(base, dev_pki, body)

    assert status == 400
    assert answer["errors"][0]["field"] == field and answer["errors"][0]["message"].startswith(message)
    assert mtls_partner.log == [] and audit.events == []


async def test_body_that_is_not_a_json_object_is_refused(gateway, dev_pki, mtls_partner):
    base, _, _ = gateway
    for body in (b"bsn=999992314", b'["999992314"]'):
        status, answer = await post(base, dev_pki, body)
        assert status == 400 and "JSON" in answer["errors"][0]["message"]
    assert mtls_partner.log == []


@pytest.mark.parametrize("token, purpose", [("ungranted", PURPOSE), ("granted", "nieuwsgierigheid")])
async def test_token_without_that_service_and_purpose_is_refused_and_audited(gateway, dev_pki, mtls_partner,
                                                                             token, purpose):
    base, audit, _ = gateway

    status, answer = await post(base, dev_pki, {"bsn": BSN, "purpose": purpose}, token=token)

    assert status == 403 and f"may not look up {SERVICE}" in answer["errors"][0]["message"]
    assert mtls_partner.log == []
    assert [(event.outcome, event.purpose) for event in audit.events] == [("refused", purpose)]


async def test_unknown_service_is_404_and_names_the_known_ones(gateway, dev_pki, mtls_partner):
    base, _, _ = gateway
    status, answer = await post(base, dev_pki, {"bsn": BSN, "purpose": PURPOSE}, service="RDWDossierGSD")
    assert status == 404 and answer["errors"][0]["known"] == [SERVICE]


async def test_partner_not_found_and_fault_are_answered_and_audited(gateway, dev_pki, mtls_partner):
    base, audit, _ = gateway
    mtls_partner.expect_ordered_request(PARTNER_PATH).respond_with_data(partner_answer("<fwi:NietsGevonden/>"))
    mtls_partner.expect_ordered_request(PARTNER_PATH).respond_with_data(
        soap_fault("soapenv:Server", "Broker overbelast"), status=500)

    not_found = await post(base, dev_pki, {"bsn": BSN, "purpose": PURPOSE})
    fault = await post(base, dev_pki, {"bsn": BSN, "purpose": PURPOSE})

    assert not_found[0] == 404 and not_found[1]["errors"][0]["outcome"] == "not_found"
    assert fault[0] == 502 and fault[1]["errors"][0]["code"] == "soapenv:Server"
    assert [(event.outcome, event.detail.get("code")) for event in audit.events] == [
        ("not_found", None), ("partner_fault", "soapenv:Server")]


async def test_no_answer_leaves_without_an_audit_record(gateway, dev_pki, mtls_partner):
    base, audit, _ = gateway
    audit.failing = True
    mtls_partner.expect_request(PARTNER_PATH).respond_with_data(partner_answer(
        f"<ClientSuwi><Voornamen>Media</Voornamen><Burgerservicenr>{BSN}</Burgerservicenr></ClientSuwi>"))

    status, body = await post(base, dev_pki, {"bsn": BSN, "purpose": PURPOSE})

    assert status == 503 and "audit trail cannot be written" in body["errors"][0]["message"]
    assert "Media" not in json.dumps(body)


def test_lookup_config_mistakes_name_the_key(gateway_config, dev_pki, tmp_path):
    def clients(section):
        return lookup_clients(dataclasses.replace(gateway_config, sections={"lookups": section}))

    with pytest.raises(ConfigError, match=r"lookups.brp.backend: missing"):
        clients({"brp": {"url": "https://brp.example"}})
    with pytest.raises(ConfigError, match=r"lookups.brp.backend: 'soap' is not one of"):
        clients({"brp": {"backend": "soap", "url": "https://brp.example"}})
    with pytest.raises(ConfigError, match=r"lookups.RDW.*unknown Suwinet service"):
        clients({"RDW": {"backend": "suwinet", "url": "https://broker.example"}})
    with pytest.raises(ConfigError, match=r"lookups.brp.zender.applicatie: missing"):
        clients({"brp": {"backend": "stuf-bg", "url": "https://brp.example", "zender": {"organisatie": "0448"}}})
    with pytest.raises(ConfigError, match=r"lookups.brp.cert"):
        clients({"brp": {"backend": "haal-centraal", "url": "https://brp.example", "cert": str(dev_pki.ca_cert),
                         "key": str(dev_pki.provider.key)}})
    assert set(clients({SERVICE: {"url": "https://broker.example"},
                        "brp": {"backend": "haal-centraal", "url": "https://brp.example/personen"}})) == {SERVICE, "brp"}
