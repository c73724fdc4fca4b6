"""The operator API on a real TLS server on loopback, over a journal made through the real data path."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from gateway_support import addressed, example_path, running_gateway, store_of, with_den_helder_backoffice
from lxml import etree
from operator_support import make_journal, with_two_attempts

from gateway.operator_views import message_query
from queues import SearchFilters
from queues.encryption import KeyRing


@pytest.fixture
async def gateway(gateway_config, dev_pki, test_tokens):
    config = with_two_attempts(with_den_helder_backoffice(gateway_config))
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        journal = await make_journal(client, app, dev_pki, test_tokens)
        yield client, app, journal, test_tokens["operator"]


async def all_ids(store, filters: SearchFilters) -> list[str]:
    page = await store.search(filters, limit=1000)
    return [record.id for record in page.messages]


async def test_only_operators_may_use_it(gateway, test_tokens, dev_pki):
    client, _, journal, _ = gateway
    for path in ("/api/v1/messages", f"/api/v1/messages/{journal.start_zorg}",
                 f"/api/v1/messages/{journal.start_zorg}/payload", "/api/v1/dead-letters", "/api/v1/queues"):
        assert (await client.call("GET", path)).status == 401, path
        assert (await client.call("GET", path, token=test_tokens["backoffice"])).status == 403, path
        assert (await client.call("GET", path, files=dev_pki.provider)).status in (401, 403), path
    replayed = await client.call("POST", f"/api/v1/dead-letters/{journal.dead_letter}/replay",
                                 token=test_tokens["backoffice"])
    assert replayed.status == 403


@pytest.mark.parametrize("query, filters", [
    ("", SearchFilters()),
    ("message=wmo305", SearchFilters(message_type="WMO305")),
    ("status=rejected", SearchFilters(status="rejected")),
    ("tenant=0400", SearchFilters(tenant="0400")),
    ("partner=12345678&direction=outbound", SearchFilters(partner="12345678", direction="outbound")),
    ("standard=ijw", SearchFilters(standard="ijw")),
    ("retourcode=0233", SearchFilters(retourcode="0233")),
    ("retourcode=0001&tenant=0448", SearchFilters(retourcode="0001", tenant="0448")),
])
async def test_search_filters_the_log_as_the_store_does(gateway, query, filters):
    client, app, _, operator = gateway
    response = await client.call("GET", f"/api/v1/messages?{query}&limit=200", token=operator)
    assert response.status == 200, response.body
    expected = await all_ids(store_of(app), filters)
    assert expected, "the journal should have such messages"
    assert [message["id"] for message in response.body["messages"]] == expected
    assert response.body["next_cursor"] is None
    assert all("payload" not in message and "xml" not in message for message in response.body["messages"])


async def test_search_by_period_takes_whole_days_in_the_consoles_time_zone(gateway):
    client, app, _, operator = gateway
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    everything = await all_ids(store_of(app), SearchFilters())
    cases = {f"from={today}&until={today}": everything, f"until={today - timedelta(days=1)}": [],
             f"from={today + timedelta(days=1)}": [], f"from={today}T00:00:00%2B14:00": everything}
    for query, expected in cases.items():
        response = await client.call("GET", f"/api/v1/messages?{query}&limit=200", token=operator)
        assert [message["id"] for message in response.body["messages"]] == expected, query


async def test_search_pages_with_a_cursor_through_every_message_once(gateway):
    client, app, _, operator = gateway
    seen, cursor = [], ""
    while True:
        response = await client.call("GET", f"/api/v1/messages?limit=3{cursor}", token=operator)
        assert response.status == 200 and len(response.body["messages"]) <= 3
        seen += [message["id"] for message in response.body["messages"]]
        if response.body["next_cursor"] is None:
            break
        cursor = f"&cursor={response.body['next_cursor']}"
    assert seen == await all_ids(store_of(app), SearchFilters())


@pytest.mark.parametrize("query, parameter", [
    ("message=WMO999X", "message"), ("tenant=Texel", "tenant"), ("direction=sideways", "direction"),
    ("from=2026-13-01", "from"), ("until=yesterday", "until"), ("limit=0", "limit"), ("limit=201", "limit"),
    ("retourcode=02", "retourcode"), ("cursor=bm90LWEtY3Vyc29y", "cursor"),
])
async def test_a_bad_filter_is_a_400_naming_the_parameter(gateway, query, parameter):
    client, _, _, operator = gateway
    response = await client.call("GET", f"/api/v1/messages?{query}", token=operator)
    assert response.status == 400
    [error] = response.body["errors"]
    assert error["parameter"] == parameter and error["message"].startswith(f"{parameter}:")


async def test_a_long_bad_value_is_not_echoed_whole(gateway):
    client, _, _, operator = gateway
    value = "123456782" * 10
    response = await client.call("GET", f"/api/v1/messages?bericht_identificatie={value}", token=operator)
    assert response.status == 400 and value not in response.body["errors"][0]["message"]


async def test_a_message_has_its_timeline_retourcodes_with_meaning_and_related_messages_but_no_payload(gateway):
    client, app, journal, operator = gateway
    response = await client.call("GET", f"/api/v1/messages/{journal.toewijzing}", token=operator)
    assert response.status == 200, response.body
    body = response.body
    assert (body["message_type"], body["message_title"], body["status"]) == ("WMO301", "Toewijzing", "retour received")
    assert [code["code"] for code in body["retourcodes"]] == ["0200", "0233"]
    events = [event["event"] for event in body["timeline"]]
    assert events[:2] == ["accepted", "queued"] and events[-1] == "retour received"
    assert [(item["id"], item["relation"], item["message_type"]) for item in body["related"]] == [
        (journal.toewijzing_retour, "retour", "WMO302")]
    assert "payload" not in body and "xml" not in body

    retour = await client.call("GET", f"/api/v1/messages/{journal.toewijzing_retour}", token=operator)
    assert [(item["id"], item["relation"]) for item in retour.body["related"]] == [(journal.toewijzing, "heenbericht")]

    start = await client.call("GET", f"/api/v1/messages/{journal.start_zorg}", token=operator)
    assert [(item["id"], item["relation"], item["message_type"]) for item in start.body["related"]] == [
        (journal.start_zorg_retour, "retour", "WMO306")]


async def test_the_retourcodes_meanings_are_those_of_codelist_wj001(gateway, reference_dir):
    client, _, journal, operator = gateway
    codelist = json.loads((reference_dir / "istandaarden" / "iwmo-3.2" / "iwmo-3.2-retourcodes.json").read_text())
    response = await client.call("GET", f"/api/v1/messages/{journal.toewijzing}", token=operator)
    assert response.body["retourcodes"] == [{"code": code, "meaning": codelist[code]["meaning"]}
                                            for code in ("0200", "0233")]
    [retour] = response.body["related"]
    assert retour["retourcodes"] == response.body["retourcodes"]


async def test_an_unknown_message_is_a_404(gateway):
    client, _, _, operator = gateway
    response = await client.call("GET", "/api/v1/messages/no-such-id", token=operator)
    assert response.status == 404 and "no-such-id" in response.body["errors"][0]["message"]


async def test_viewing_a_payload_is_audited_before_it_is_shown(gateway):
    client, app, journal, operator = gateway
    store = store_of(app)
    response = await client.call("GET", f"/api/v1/messages/{journal.start_zorg}/payload", token=operator)
    assert response.status == 200
    assert response.body.encode() == (await store.get(journal.start_zorg)).payload
    [record] = await store.audit_records(object_id=journal.start_zorg)
    assert (record.actor, record.role, record.action, record.outcome) == ("operator", "operator", "payload.view",
                                                                          "success")
    assert record.detail["via"] == "api"

    missing = await client.call("GET", "/api/v1/messages/no-such-id/payload", token=operator)
    assert missing.status == 404
    [attempt] = await store.audit_records(object_id="no-such-id")
    assert (attempt.action, attempt.outcome) == ("payload.view", "not_found")
    assert (await store.verify_audit()).intact


async def test_no_payload_goes_out_when_the_audit_trail_cannot_be_written(gateway, monkeypatch):
    client, app, journal, operator = gateway
    store = store_of(app)

    async def broken_audit(event):
        raise OSError("disk full")

    monkeypatch.setattr(store, "audit", broken_audit)
    response = await client.call("GET", f"/api/v1/messages/{journal.start_zorg}/payload", token=operator)
    assert response.status == 503 and "audit trail" in response.body["errors"][0]["message"]
    assert "<" not in str(response.body)


async def test_dead_letters_are_listed_and_replayed_with_an_audit_record(gateway):
    client, app, journal, operator = gateway
    store = store_of(app)
    listed = await client.call("GET", "/api/v1/dead-letters", token=operator)
    assert listed.status == 200
    [dead] = listed.body["dead_letters"]
    assert (dead["id"], dead["queue"], dead["attempts"], dead["reason"]) == (
        journal.dead_letter, "inbox:0448", 2, "backoffice refused")
    assert (await client.call("GET", "/api/v1/dead-letters?queue=inbox:0400", token=operator)).body == {
        "dead_letters": []}

    replayed = await client.call("POST", f"/api/v1/dead-letters/{journal.dead_letter}/replay", token=operator)
    assert (replayed.status, replayed.body) == (200, {"id": journal.dead_letter, "status": "queued"})
    record = await store.get(journal.dead_letter)
    assert (record.queue, record.queue_state, record.attempts) == ("inbox:0448", "ready", 0)
    again = await client.call("POST", f"/api/v1/dead-letters/{journal.dead_letter}/replay", token=operator)
    assert again.status == 409
    unknown = await client.call("POST", "/api/v1/dead-letters/no-such-id/replay", token=operator)
    assert unknown.status == 404
    audited = [(r.action, r.object_id, r.outcome) for r in await store.audit_records() if r.action == "replay"]
    assert audited == [("replay", journal.dead_letter, "success"), ("replay", journal.dead_letter, "not_dead_lettered"),
                       ("replay", "no-such-id", "not_found")]


async def test_queues_show_depth_in_flight_dead_letters_and_age_as_the_store_counts_them(gateway):
    client, app, _, operator = gateway
    response = await client.call("GET", "/api/v1/queues", token=operator)
    assert response.status == 200
    stats = await store_of(app).queue_stats()
    shown = {queue["queue"]: queue for queue in response.body["queues"]}
    assert set(shown) == {stats_row.queue for stats_row in stats}
    for row in stats:
        assert (shown[row.queue]["depth"], shown[row.queue]["in_flight"], shown[row.queue]["dead"]) == (
            row.depth, row.in_flight, row.dead)
    assert shown["inbox:0448"]["dead"] == 1
    assert shown["retour:iwmo:12345678"]["depth"] >= 1 and shown["retour:iwmo:12345678"]["oldest_age_seconds"] >= 0


async def test_the_operator_routes_are_in_the_openapi_document(gateway):
    client, _, _, operator = gateway
    document = (await client.call("GET", "/api/v1/openapi.json", token=operator)).body
    for path, method in [("/api/v1/messages", "get"), ("/api/v1/messages/{id}", "get"),
                         ("/api/v1/messages/{id}/payload", "get"), ("/api/v1/dead-letters", "get"),
                         ("/api/v1/dead-letters/{id}/replay", "post"), ("/api/v1/queues", "get")]:
        operation = document["paths"][path][method]
        assert operation["security"] == [{"bearer": []}] and operation["tags"] == ["operator"], path
    parameters = {p["name"] for p in document["paths"]["/api/v1/messages"]["get"]["parameters"]}
    assert {"standard", "message", "status", "tenant", "partner", "retourcode", "direction", "from", "until",
            "limit", "cursor"} <= parameters


def about_toewijzing(code: str, toewijzingnummer: str) -> bytes:
    """The `code` example with every ToewijzingNummer set to `toewijzingnummer`, addressed to Texel."""
    root = etree.parse(str(example_path(code))).getroot()
    for nummer in root.iter("{*}ToewijzingNummer"):
        nummer.text = toewijzingnummer
    return addressed(root)


async def test_messages_about_one_toewijzing_are_related_through_the_register(gateway_config, dev_pki, test_tokens,
                                                                             tmp_path):
    keys_file = tmp_path / "keys.json"
    KeyRing.generate().save(keys_file, create=True)  # the store keeps the register only with a key ring
    config = dataclasses.replace(gateway_config, storage=dataclasses.replace(gateway_config.storage,
                                                                             keys_file=keys_file))
    async with running_gateway(config, dev_pki.ca_cert) as (client, _):
        allocation_xml = addressed(example_path("WMO301"))
        nummer = etree.fromstring(allocation_xml).findtext(".//{*}ToewijzingNummer")
        allocation = await client.call("POST", "/api/v1/tenants/0448/outbound", token=test_tokens["backoffice"],
                                       data=allocation_xml, content_type="application/xml")
        start = await client.send(dev_pki.provider, "iwmo", about_toewijzing("WMO305", nummer))
        other = await client.send(dev_pki.provider, "iwmo", about_toewijzing("WMO305", "999999"))
        assert (allocation.status, start.status, other.status) == (202, 202, 202), (start.body, other.body)

        response = await client.call("GET", f"/api/v1/messages/{allocation.body['id']}", token=test_tokens["operator"])
        chain = [(item["id"], item["message_type"]) for item in response.body["related"]
                 if item["relation"] == "same ToewijzingNummer"]
        assert chain == [(start.body["id"], "WMO305")]
        back = await client.call("GET", f"/api/v1/messages/{start.body['id']}", token=test_tokens["operator"])
        assert (allocation.body["id"], "same ToewijzingNummer") in [
            (item["id"], item["relation"]) for item in back.body["related"]]


@pytest.mark.parametrize("query, filters", [
    ({"message": "wmo301"}, SearchFilters(message_type="WMO301")),
    ({"message": "VTODI01", "standard": "corv"}, SearchFilters(message_type="vtoDi01", standard="corv")),
    ({"tenant": " 0448 ", "status": "", "partner": "00000001234567890000"},
     SearchFilters(tenant="0448", partner="00000001234567890000")),
])
def test_query_parameters_become_the_stores_filters_in_its_spelling(query, filters):
    assert message_query(query, ZoneInfo("Europe/Amsterdam")).filters == filters
