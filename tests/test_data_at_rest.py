"""What a gateway run leaves at rest holds no BSN or name in clear: the real gateway on loopback (TLS, a key ring)
takes a provider's message, a backoffice's message, an XSD-invalid message and a lookup, all about one client, its
backoffice leases and gives back, an operator views the payload; then the raw bytes of the SQLite database and its
WAL, or every PostgreSQL table, and the log, are searched for the client's BSN and names."""
from __future__ import annotations

import dataclasses
import logging

import pytest
from gateway_support import addressed, example_path, running_gateway
from lxml import etree
from test_lookups_api import PARTNER_PATH, PURPOSE, SERVICE, TOKENS, lookup_config, partner_answer

from gateway.config import Config
from queues.encryption import KeyRing

BSN = "999992314"
SURNAME, FIRST_NAMES = "Zwartjesbergh", "Cornelis Adriaan"
SECRETS = (BSN, SURNAME, FIRST_NAMES.split()[0])


def about_the_client(code: str, **address) -> etree._Element:
    """A reference example message about our client (BSN and names replaced), addressed to this gateway."""
    root = etree.fromstring(addressed(example_path(code), **address))
    for bsn in root.iter("{*}Bsn"):
        bsn.text = BSN
    for surname in root.iter("{*}Achternaam"):
        surname.text = SURNAME
    for first_names in root.iter("{*}Voornamen"):
        first_names.text = FIRST_NAMES
    return root


def holds_none_of_the_secrets(data: bytes, where: str) -> None:
    for secret in SECRETS:
        for form in (secret.encode(), secret.encode("utf-16-le"), secret.encode().hex().encode()):
            if form in data or form in data.lower():
                pytest.fail(f"{secret!r} found in {where} (as {form[:40]!r})")


def at_rest_config(config: Config, storage_url: str, tmp_path) -> Config:
    keys_file = tmp_path / "keys.json"
    KeyRing.generate().save(keys_file, create=True)
    return dataclasses.replace(config, storage=dataclasses.replace(config.storage, url=storage_url,
                                                                   keys_file=keys_file))


async def everything_at_rest(storage_url: str, config: Config) -> bytes:
    """The SQLite file, its WAL and shared memory as bytes; for PostgreSQL every table of the schema, row by row."""
    if storage_url.startswith("sqlite:///"):
        path = config.storage.sqlite_path
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    import asyncpg

    dsn, schema = storage_url.split("?search_path=")
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        tables = await connection.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                                        schema)
        rows = [await connection.fetch(f'SELECT * FROM "{table["table_name"]}"') for table in tables]
    finally:
        await connection.close()
    return repr([[tuple(row) for row in table] for table in rows]).encode()


async def test_a_gateway_run_leaves_no_bsn_or_name_in_clear(storage_url, gateway_config, dev_pki, test_tokens,
                                                            mtls_partner, tmp_path, caplog):
    config = at_rest_config(lookup_config(gateway_config, dev_pki, mtls_partner), storage_url, tmp_path)
    config = dataclasses.replace(config, tokens=(*gateway_config.tokens, *config.tokens))
    mtls_partner.expect_request(PARTNER_PATH, method="POST").respond_with_data(partner_answer(
        f"<ClientSuwi><Voornamen>{FIRST_NAMES}</Voornamen><Burgerservicenr>{BSN}</Burgerservicenr></ClientSuwi>"))
    backoffice, operator = test_tokens["backoffice"], test_tokens["operator"]
    caplog.set_level(logging.DEBUG)
    async with running_gateway(config, dev_pki.ca_cert) as (client, _):
        verzoek = await client.send(dev_pki.provider, "iwmo", etree.tostring(about_the_client("WMO315")))
        assert verzoek.status == 202, verzoek.body
        invalid = about_the_client("WMO315")
        invalid.find("{*}Client/{*}Bsn").text = f"{BSN}X"  # XSD-invalid: the error quotes the value
        rejected = await client.send(dev_pki.provider, "iwmo", etree.tostring(invalid))
        assert rejected.status == 422, rejected.body
        toewijzing = await client.call("POST", "/api/v1/tenants/0448/outbound", token=backoffice,
                                       data=etree.tostring(about_the_client("WMO301")), content_type="application/xml")
        assert toewijzing.status == 202, toewijzing.body
        lookup = await client.call("POST", f"/api/v1/lookups/{SERVICE}", token=TOKENS["granted"],
                                   json_body={"bsn": BSN, "purpose": PURPOSE})
        assert lookup.status == 200, lookup.body
        [item] = await client.inbox(backoffice)
        nacked = await client.call("POST", f"/api/v1/inbox/{item['id']}/nack", token=backoffice,
                                   json_body={"lease_token": item["lease_token"], "reason": "backoffice busy"})
        assert nacked.status == 200, nacked.body
        viewed = await client.call("GET", f"/api/v1/messages/{verzoek.body['id']}/payload", token=operator)
        assert viewed.status == 200 and BSN in str(viewed.body)  # shown to an operator, audited, never stored
        while_running = await everything_at_rest(storage_url, config)
    after_stop = await everything_at_rest(storage_url, config)

    for message_id in (verzoek.body["id"], rejected.body["id"], toewijzing.body["id"]):
        assert message_id.encode() in while_running + after_stop  # the dumps are real: they hold the messages
    holds_none_of_the_secrets(while_running, "the store while the gateway ran")
    holds_none_of_the_secrets(after_stop, "the store after the gateway stopped")
    holds_none_of_the_secrets(caplog.text.encode(), "the log")


async def test_a_nack_reason_holding_a_bsn_is_refused(gateway_config, dev_pki, test_tokens):
    backoffice = test_tokens["backoffice"]
    async with running_gateway(gateway_config, dev_pki.ca_cert) as (client, _):
        assert (await client.send(dev_pki.provider, "iwmo", addressed(example_path("WMO315")))).status == 202
        [item] = await client.inbox(backoffice)
        refused = await client.call("POST", f"/api/v1/inbox/{item['id']}/nack", token=backoffice, json_body={
            "lease_token": item["lease_token"], "reason": f"client {BSN} unknown here"})
        assert refused.status == 400 and refused.body["errors"][0]["path"] == "$.reason"
        kept = await client.call("POST", f"/api/v1/inbox/{item['id']}/nack", token=backoffice, json_body={
            "lease_token": item["lease_token"], "reason": "client unknown here (ref 1234567890)"})
        assert kept.status == 200, kept.body
