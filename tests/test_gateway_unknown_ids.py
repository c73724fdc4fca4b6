"""An id or lease token in a request that the gateway never handed out answers as an unknown one does (404, 409),
on SQLite and on PostgreSQL alike: PostgreSQL refuses a NUL character in text, which once made such a request a 500
or a 503 there. The real gateway on loopback, over HTTPS."""
from __future__ import annotations

import dataclasses

import pytest
from gateway_support import addressed, example_path, running_gateway, store_of

NUL_ID = "ab\x00cd"
IN_A_PATH = "ab%00cd"


@pytest.fixture
async def leased(storage_url, gateway_config, dev_pki, test_tokens):
    """(client, app, one inbox message as leased by the backoffice) on a gateway storing at `storage_url`."""
    config = dataclasses.replace(gateway_config, storage=dataclasses.replace(gateway_config.storage, url=storage_url))
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        assert (await client.send(dev_pki.provider, "iwmo", addressed(example_path("WMO315")))).status == 202
        [item] = await client.inbox(test_tokens["backoffice"])
        yield client, app, item


@pytest.mark.parametrize("method, path", [
    ("GET", f"/api/v1/messages/{IN_A_PATH}"),
    ("GET", f"/api/v1/messages/{IN_A_PATH}/payload"),
    ("POST", f"/api/v1/dead-letters/{IN_A_PATH}/replay"),
])
async def test_an_operator_asking_for_an_id_never_given_gets_a_404(leased, test_tokens, method, path):
    client, app, _ = leased
    answer = await client.call(method, path, token=test_tokens["operator"])
    assert answer.status == 404 and answer.body["errors"][0]["message"] == f"no message with id {NUL_ID!r}"


async def test_the_attempt_on_an_id_never_given_is_audited_with_the_id_escaped(leased, test_tokens):
    client, app, _ = leased
    assert (await client.call("GET", f"/api/v1/messages/{IN_A_PATH}/payload", token=test_tokens["operator"])
            ).status == 404
    store = store_of(app)
    [attempt] = await store.audit_records(object_id="ab\\x00cd")
    assert (attempt.action, attempt.outcome) == ("payload.view", "not_found")
    assert (await store.verify_audit()).intact


async def test_the_console_answers_an_id_never_given_with_its_404_page(leased, test_tokens):
    client, _, _ = leased
    answer = await client.call("GET", f"/console/messages/{IN_A_PATH}", token=test_tokens["operator"])
    assert answer.status == 404 and "There is no message with id" in answer.body


async def test_a_backoffice_acking_an_id_never_given_gets_a_404_and_a_token_never_given_a_409(leased, test_tokens):
    client, app, item = leased
    backoffice = test_tokens["backoffice"]
    unknown = await client.call("POST", f"/api/v1/inbox/{IN_A_PATH}/ack", token=backoffice,
                                json_body={"lease_token": item["lease_token"]})
    assert unknown.status == 404, unknown.body
    for path in (f"/api/v1/inbox/{item['id']}/ack", f"/api/v1/inbox/{item['id']}/nack"):
        stale = await client.call("POST", path, token=backoffice, json_body={"lease_token": "x\x00"})
        assert stale.status == 409, stale.body
    page = await client.call("POST", "/api/v1/inbox/ack", token=backoffice, json_body={"acks": [
        {"id": NUL_ID, "lease_token": item["lease_token"]}, {"id": item["id"], "lease_token": item["lease_token"]}]})
    assert page.status == 200, page.body
    assert page.body["acked"] == [item["id"]]
    assert [(failed["id"], failed["status"]) for failed in page.body["failed"]] == [(NUL_ID, 404)]
    assert (await store_of(app).get(item["id"], payload=False)).status == "acked"


async def test_a_nack_reason_with_a_control_character_is_refused_and_one_with_line_breaks_dead_letters(
        leased, test_tokens):
    client, app, item = leased
    backoffice, path = test_tokens["backoffice"], f"/api/v1/inbox/{item['id']}/nack"
    refused = await client.call("POST", path, token=backoffice,
                                json_body={"lease_token": item["lease_token"], "reason": "bad\x00input"})
    assert refused.status == 400 and refused.body["errors"][0]["path"] == "$.reason"
    store = store_of(app)
    store.retry = dataclasses.replace(store.retry, max_attempts=1)  # this nack is the last attempt
    kept = await client.call("POST", path, token=backoffice,
                             json_body={"lease_token": item["lease_token"], "reason": "line 1\n\tline 2"})
    assert kept.status == 200 and kept.body["result"] == "dead-lettered", kept.body
    [letter] = await store.dead_letters()
    assert letter.reason == "line 1\n\tline 2"
