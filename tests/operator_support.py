"""A journal with a bit of everything for the operator API and console tests, made through the real data path."""
from __future__ import annotations

import dataclasses

from gateway_support import DEN_HELDER_TOKEN, addressed, example_path, store_of
from lxml import etree

from connectors.istandaarden.retour import build_retour
from connectors.istandaarden.validation import SchemaRegistry
from gateway.config import Config, DeliverySettings

REGISTRY = SchemaRegistry()


def with_two_attempts(config: Config) -> Config:
    """`config` where a message is dead-lettered after its second failed delivery."""
    return dataclasses.replace(config, delivery=DeliverySettings(max_attempts=2))


@dataclasses.dataclass
class Journal:
    start_zorg: str          # WMO305 from the provider to Texel, accepted
    start_zorg_retour: str   # the WMO306 the gateway made for it
    toewijzing: str          # WMO301 from Texel's backoffice to the provider
    toewijzing_retour: str   # the provider's WMO302 with RetourCode 0233
    rejected: str            # an XSD-invalid JW315 to Texel, rejected with a 0001 retour
    den_helder: str          # JW305 to Den Helder
    declaratie: str          # WMO323 to Texel, accepted (its WMO325 Declaratie-antwoord made by the gateway)
    dead_letter: str         # WMO317 that Texel's backoffice nacked until it was dead-lettered


async def make_journal(client, app, dev_pki, tokens) -> Journal:
    provider, texel = dev_pki.provider, tokens["backoffice"]
    start = await client.send(provider, "iwmo", addressed(example_path("WMO305")))
    assert start.status == 202, start.body

    toewijzing_xml = addressed(example_path("WMO301"))
    toewijzing = await client.call("POST", "/api/v1/tenants/0448/outbound", token=texel, data=toewijzing_xml,
                                   content_type="application/xml")
    assert toewijzing.status == 202, toewijzing.body
    retour = build_retour(etree.fromstring(toewijzing_xml), {"Client": ["0233"]}, registry=REGISTRY)
    answer = await client.send(provider, "iwmo", etree.tostring(retour, xml_declaration=True, encoding="UTF-8"))
    assert answer.status == 202, answer.body

    rejected = await client.send(provider, "ijw", addressed(example_path("JW315")))  # an impossible date
    assert rejected.status == 422, rejected.body

    den_helder = await client.send(provider, "ijw", addressed(example_path("JW305"), gemeente="0400"))
    assert den_helder.status == 202, den_helder.body
    for item in await client.inbox(DEN_HELDER_TOKEN, "0400"):
        await client.call("POST", f"/api/v1/inbox/{item['id']}/ack", token=DEN_HELDER_TOKEN,
                          json_body={"lease_token": item["lease_token"]})

    declaratie = await client.send(provider, "iwmo", addressed(example_path("WMO323")))
    assert declaratie.status == 202, declaratie.body
    for item in await client.inbox(texel):  # 305, 302 and 323: taken
        await client.call("POST", f"/api/v1/inbox/{item['id']}/ack", token=texel,
                          json_body={"lease_token": item["lease_token"]})
    doomed = await client.send(provider, "iwmo", addressed(example_path("WMO317")))
    assert doomed.status == 202, doomed.body
    for _ in range(2):
        [item] = await client.inbox(texel)
        nacked = await client.call("POST", f"/api/v1/inbox/{item['id']}/nack", token=texel,
                                   json_body={"lease_token": item["lease_token"], "delay": 0,
                                              "reason": "backoffice refused"})
        assert nacked.status == 200, nacked.body
    assert [dead.message.id for dead in await store_of(app).dead_letters()] == [doomed.body["id"]]

    return Journal(start.body["id"], start.body["retour_id"], toewijzing.body["id"], answer.body["id"],
                   rejected.body["id"], den_helder.body["id"], declaratie.body["id"], doomed.body["id"])
