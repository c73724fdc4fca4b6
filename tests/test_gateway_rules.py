"""The technical rules in the running gateway: the tenant's outside lists from the config, the rules on the
backoffice's own 301/319, and one sender's messages checked one at a time against the register."""
from __future__ import annotations

import asyncio
import dataclasses
import uuid
from copy import deepcopy as copy_element

import pytest
from gateway_support import addressed, example_path, running_gateway, store_of, with_key_ring
from lxml import etree

from gateway.config import parse_config
from gateway.pipeline import INLINE_BYTES

PRODUCT_NOT_LISTED, TARIFF_NOT_CONTRACTUAL, DECLARATIENUMMER_USED = "S329", "0611", "9333"
# Texel lists one of the two ProductCodes of the WMO323 example, and a tariff for it that differs from the 1250
# the example declares; Den Helder has no lists.
TENANTS_TOML = {"tenants": [
    {"gemeentecode": "0448", "name": "Texel", "products_file": "texel-products.csv",
     "tariffs": {"01A03": {"bedrag": 1300, "eenheid": "04"}}},
    {"gemeentecode": "0400", "name": "Den Helder"},
]}


@pytest.fixture
def lists_config(gateway_config, tmp_path):
    (tmp_path / "texel-products.csv").write_text("categorie,code\n01,01A01\n01,01A03\n")
    tenants = parse_config(TENANTS_TOML, base_dir=tmp_path).tenants
    return dataclasses.replace(gateway_config, tenants=tenants)


def declaratie(gemeente: str, declaratienummer: str | None = None) -> bytes:
    root = etree.parse(str(example_path("WMO323"))).getroot()
    if declaratienummer:
        root.find("{*}Declaratie/{*}DeclaratieNummer").text = declaratienummer
    return addressed(root, gemeente=gemeente)


async def retour_codes_per_product(client, dev_pki) -> dict[str, set[str]]:
    """The RetourCodes of the rejected Prestaties in the provider's WMO325, per ProductCode."""
    [retour] = await client.pull(dev_pki.provider, "/istandaarden/iwmo/retour")
    codes: dict[str, set[str]] = {}
    for prestatie in etree.fromstring(retour["xml"].encode()).iter("{*}Prestatie"):
        codes.setdefault(prestatie.findtext("{*}ProductCode"), set()).update(
            code.text for code in prestatie.findall("{*}RetourCodes/{*}RetourCode"))
    return codes


async def test_a_declaratie_is_checked_against_its_tenants_products_and_tariffs(lists_config, dev_pki):
    async with running_gateway(lists_config, dev_pki.ca_cert) as (client, _app):
        sent = await client.send(dev_pki.provider, "iwmo", declaratie("0448"))
        assert sent.status == 202, sent.body
        assert {PRODUCT_NOT_LISTED, TARIFF_NOT_CONTRACTUAL} <= set(sent.body["retourcodes"])
        assert await retour_codes_per_product(client, dev_pki) == {
            "01A04": {PRODUCT_NOT_LISTED},      # TR381: not in Texel's productcodelijst
            "01A03": {TARIFF_NOT_CONTRACTUAL},  # TR418: 1250 declared, 1300 agreed
        }


async def test_a_tenant_without_lists_skips_the_rules_that_need_them(lists_config, dev_pki):
    async with running_gateway(lists_config, dev_pki.ca_cert) as (client, _app):
        sent = await client.send(dev_pki.provider, "iwmo", declaratie("0400"))
        assert sent.status == 202, sent.body
        assert not {PRODUCT_NOT_LISTED, TARIFF_NOT_CONTRACTUAL} & set(sent.body["retourcodes"])


async def send_outbound(client, token: str, root: etree._Element):
    return await client.call("POST", "/api/v1/tenants/0448/outbound", token=token,
                             data=addressed(root, gemeente="0448"), content_type="application/xml")


async def test_a_backoffice_message_rejected_by_a_rule_is_refused_before_the_provider_sees_it(
        lists_config, dev_pki, test_tokens):
    root = etree.parse(str(example_path("WMO301"))).getroot()
    root.find("{*}Client/{*}Bsn").text = "123456789"  # fails the eleven test: retourcode 0001
    async with running_gateway(lists_config, dev_pki.ca_cert) as (client, app):
        refused = await send_outbound(client, test_tokens["backoffice"], root)
        assert refused.status == 422, refused.body
        [error] = refused.body["errors"]
        assert error["message"].startswith("ELFPROEF (retourcode 0001)") and error["path"].endswith("Bsn")
        assert (await store_of(app).get(refused.body["id"])).status == "rejected"
        assert await client.pull(dev_pki.provider, "/istandaarden/iwmo/berichten") == []


async def test_a_backoffice_message_with_a_lesser_finding_goes_out_with_the_finding_on_its_timeline(
        lists_config, dev_pki, test_tokens):
    root = etree.parse(str(example_path("WMO301"))).getroot()
    for code in root.iter("{*}Code"):
        code.text = "01A09"  # not in Texel's productcodelijst: S329 on the ToegewezenProduct
    async with running_gateway(lists_config, dev_pki.ca_cert) as (client, app):
        sent = await send_outbound(client, test_tokens["backoffice"], root)
        assert sent.status == 202, sent.body
        assert {f["message"].split(" ", 1)[0] for f in sent.body["findings"]} == {"TR381"}
        [accepted] = [event for event in await store_of(app).timeline(sent.body["id"]) if event.event == "accepted"]
        assert {(f["rule"], f["retourcode"]) for f in accepted.detail["findings"]} == {("TR381", PRODUCT_NOT_LISTED)}
        [delivered] = await client.pull(dev_pki.provider, "/istandaarden/iwmo/berichten")
        assert delivered["id"] == sent.body["id"]


async def test_concurrent_declaraties_with_one_declaratienummer_are_accepted_once(gateway_config, dev_pki,
                                                                                     tmp_path):
    config = with_key_ring(gateway_config, tmp_path)
    nummer = f"DN{uuid.uuid4().hex[:8]}"
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        answers = await asyncio.gather(*(client.send(dev_pki.provider, "iwmo", declaratie("0448", nummer))
                                         for _ in range(6)))
        assert [answer.status for answer in answers] == [202] * 6, [answer.body for answer in answers]
        fresh = [answer for answer in answers if DECLARATIENUMMER_USED not in answer.body["retourcodes"]]
        assert len(fresh) == 1


async def fresh_declaraties_through_two_gateways(config, dev_pki) -> int:
    """Six Declaraties with one DeclaratieNummer at once, three through each of two gateways that share only the
    database: how many were accepted without retourcode 9333."""
    nummer = f"DN{uuid.uuid4().hex[:8]}"
    async with running_gateway(config, dev_pki.ca_cert) as (one, _), running_gateway(config, dev_pki.ca_cert) as (
            two, _):
        answers = await asyncio.gather(*(client.send(dev_pki.provider, "iwmo", declaratie("0448", nummer))
                                         for client in (one, two) * 3))
    assert [answer.status for answer in answers] == [202] * 6, [answer.body for answer in answers]
    return sum(DECLARATIENUMMER_USED not in answer.body["retourcodes"] for answer in answers)


async def test_two_gateways_on_one_sqlite_file_accept_a_declaratienummer_once(gateway_config, dev_pki, tmp_path):
    """The file's write lock keeps their check+append apart."""
    assert await fresh_declaraties_through_two_gateways(with_key_ring(gateway_config, tmp_path), dev_pki) == 1


@pytest.mark.postgres
async def test_two_gateway_processes_on_one_postgresql_database_accept_a_declaratienummer_once(
        gateway_config, dev_pki, tmp_path, postgres_register_schemas):
    """The database's transaction lock keeps their check+append apart."""
    schema, _ = postgres_register_schemas.take()  # dropped at the end of the session
    config = with_key_ring(gateway_config, tmp_path)
    url = f"{postgres_register_schemas.dsn}{'&' if '?' in postgres_register_schemas.dsn else '?'}schema={schema}"
    config = dataclasses.replace(config, storage=dataclasses.replace(config.storage, url=url))
    assert await fresh_declaraties_through_two_gateways(config, dev_pki) == 1


async def test_a_declaratie_too_large_to_check_inline_is_checked_and_answered(gateway_config, dev_pki, tmp_path):
    """Above `INLINE_BYTES` the retour is built in a thread, with the check's transaction open: a Declaratie of a
    hundred more Prestaties (each its own ToewijzingNummer, the total adjusted) gets its 202 and its retour."""
    root = etree.fromstring(declaratie("0448", f"DN{uuid.uuid4().hex[:8]}"))
    prestaties = root.find(".//{*}Client/{*}Prestaties")
    first = prestaties.find("{*}Prestatie")
    for number in range(100):
        copy = copy_element(first)
        copy.find("{*}ProductReferentie/{*}ReferentieNummer").text = f"RN{number:04}"
        copy.find("{*}ToewijzingNummer").text = f"{30000 + number}"
        prestaties.append(copy)
    total = root.find("{*}Declaratie/{*}TotaalIngediendBedrag/{*}TotaalBedrag")
    total.text = str(int(total.text) + 100 * int(first.findtext("{*}IngediendBedrag/{*}Bedrag")))
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert len(data) > INLINE_BYTES
    async with running_gateway(with_key_ring(gateway_config, tmp_path), dev_pki.ca_cert) as (client, _app):
        sent = await client.send(dev_pki.provider, "iwmo", data)
        assert sent.status == 202, [error["message"][:70] for error in sent.body["errors"]]
        [retour] = await client.pull(dev_pki.provider, "/istandaarden/iwmo/retour")
    assert retour["id"] == sent.body["retour_id"]
    prestaties_in_retour = etree.fromstring(retour["xml"].encode()).findall(".//{*}Prestatie")
    assert len(prestaties_in_retour) == len(root.findall(".//{*}Prestatie"))
