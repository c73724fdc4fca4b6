"""The operator console in real headless Chromium at 1366×768, against a real gateway over TLS on loopback.

Every figure a page shows is compared with the journal, computed here message by message. Each page's screenshot
goes to test-output/screenshots/ (git-ignored).
"""
from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from console_support import (
    browser_page, cells, count_by, deliveries_per_party, every_message, log_in, require_chromium, screenshot,
)
from gateway_support import running_gateway, store_of, with_den_helder_backoffice
from operator_support import Journal, make_journal, with_two_attempts

from connectors.istandaarden import catalogue, retourcodes
from queues import SearchFilters, Store


@dataclasses.dataclass
class Console:
    page: object
    store: Store
    journal: Journal
    tokens: dict[str, str]


@pytest.fixture
async def console(gateway_config, dev_pki, test_tokens):
    require_chromium()
    config = with_two_attempts(with_den_helder_backoffice(gateway_config))
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        journal = await make_journal(client, app, dev_pki, test_tokens)
        async with browser_page(client.base_url) as page:
            yield Console(page, store_of(app), journal, test_tokens)


async def logged_in(console: Console):
    await log_in(console.page, console.tokens["operator"])
    return console.page


async def audit_actions(store: Store, object_id: str | None = None) -> list[tuple[str, str, str]]:
    return [(record.action, record.outcome, record.detail.get("via", ""))
            for record in await store.audit_records(object_id=object_id)]


async def test_log_in_filter_and_page_through_the_message_log(console):
    page, store = console.page, console.store
    await page.goto("/console/queues")
    assert "/console/login?next=/console/queues" in page.url
    await page.fill("#token", "not-a-token-at-all-000")
    await page.click("button[type=submit]")
    assert await page.text_content(".problem") == "Unknown token."
    await page.fill("#token", console.tokens["backoffice"])
    await page.click("button[type=submit]")
    assert await page.text_content(".problem") == "This is not an operator token."
    await page.fill("#token", console.tokens["operator"])
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/queues")
    assert [(a, o) for a, o, _ in await audit_actions(store)] == [
        ("login", "failure"), ("login", "failure"), ("login", "success")]

    await page.goto("/console/messages")
    assert await page.text_content("#total") == str(await store.count())
    shown = await page.eval_on_selector_all("table.log tbody tr", "rows => rows.map(row => row.dataset.id)")
    assert shown == [record.id for record in (await store.search(limit=50)).messages]
    await screenshot(page, "messages")

    await page.select_option("select[name=message]", "WMO305")
    await page.select_option("select[name=tenant]", "0448")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**/console/messages?message=WMO305&tenant=0448")  # empty fields stay out
    shown = await page.eval_on_selector_all("table.log tbody tr", "rows => rows.map(row => row.dataset.id)")
    assert shown == [record.id for record in (await store.search(SearchFilters(
        message_type="WMO305", tenant="0448"))).messages] == [console.journal.start_zorg]
    assert await page.text_content("#total") == "1"
    await screenshot(page, "messages-filtered")

    await page.goto("/console/messages?limit=3")
    seen = []
    while True:
        seen += await page.eval_on_selector_all("table.log tbody tr", "rows => rows.map(row => row.dataset.id)")
        older = page.locator("a[rel=next]")
        if not await older.count():
            break
        await older.click()
    assert seen == [record.id for record in await every_message(store)]

    await page.goto("/console/messages?tenant=Texel")
    assert "tenant: 'Texel' is not a gemeentecode" in await page.text_content(".problem")


async def test_a_message_shows_its_retour_and_the_payload_only_on_request(console):
    page, store, journal = await logged_in(console), console.store, console.journal
    await page.goto("/console/messages?message=WMO301")
    await page.click(f"tr[data-id='{journal.toewijzing}'] a")
    await page.wait_for_url(f"**/console/messages/{journal.toewijzing}")
    assert await page.text_content("h1") == "WMO301 Toewijzing"
    meanings = [" ".join(item.split()) for item in await page.eval_on_selector_all(
        "section ul.meanings:first-of-type li", "items => items.map(item => item.textContent)")]
    assert meanings[:2] == [f"{code} {retourcodes.meaning('iwmo', code)}" for code in ("0200", "0233")]
    related = await page.eval_on_selector_all(
        "table.related tbody tr", "rows => rows.map(row => [row.dataset.id, row.dataset.relation])")
    assert related == [[journal.toewijzing_retour, "retour"]]
    events = [row[1] for row in await cells(page, "table.timeline tbody tr")]
    assert events == [event.event for event in await store.timeline(journal.toewijzing)]
    assert await page.locator("#payload").count() == 0
    assert await audit_actions(store, journal.toewijzing) == []
    await screenshot(page, "message")

    await page.click("#show-payload")
    await page.wait_for_selector("#payload")
    assert await page.text_content("#payload") == (await store.get(journal.toewijzing)).payload.decode()
    assert await audit_actions(store, journal.toewijzing) == [("payload.view", "success", "console")]
    await screenshot(page, "message-payload")

    await page.click(f"tr[data-id='{journal.toewijzing_retour}'] a")
    await page.wait_for_url(f"**/console/messages/{journal.toewijzing_retour}")
    related = await page.eval_on_selector_all(
        "table.related tbody tr", "rows => rows.map(row => [row.dataset.id, row.dataset.relation])")
    assert related == [[journal.toewijzing, "heenbericht"]]

    await page.goto(f"/console/messages/{journal.rejected}")
    assert "rejected" in await page.text_content("dl.facts")
    [[retour_id, relation]] = await page.eval_on_selector_all(
        "table.related tbody tr", "rows => rows.map(row => [row.dataset.id, row.dataset.relation])")
    assert relation == "retour" and (await store.get(retour_id)).retourcodes == ("0001",)
    assert f"0001 {retourcodes.meaning('ijw', '0001')}" in " ".join((await page.text_content("table.related")).split())
    await screenshot(page, "message-rejected")


async def test_a_dead_letter_is_replayed_from_the_console_with_csrf_and_audit(console):
    page, store, journal = await logged_in(console), console.store, console.journal
    await page.goto("/console/dead-letters")
    rows = await cells(page, "table.dead tbody tr")
    assert len(rows) == 1 and "inbox:0448" in rows[0] and "backoffice refused" in rows[0]
    await screenshot(page, "dead-letters")

    forged = await page.request.post(f"/console/dead-letters/{journal.dead_letter}/replay", form={"csrf": "x"})
    assert forged.status == 403
    assert (await store.get(journal.dead_letter)).queue_state == "dead"

    page.once("dialog", lambda dialog: dialog.accept())
    await page.click(f"tr[data-id='{journal.dead_letter}'] button")
    await page.wait_for_url(f"**/console/dead-letters?replayed={journal.dead_letter}")
    assert "is back on its queue" in await page.text_content(".done")
    assert await page.locator("table.dead tbody tr[data-id]").count() == 0
    record = await store.get(journal.dead_letter)
    assert (record.queue, record.queue_state) == ("inbox:0448", "ready")
    assert await audit_actions(store, journal.dead_letter) == [("replay", "success", "console")]


async def test_queues_and_partner_health_match_the_journal(console):
    page, store = await logged_in(console), console.store
    await page.goto("/console/queues")
    expected: dict[str, Counter] = {}
    for record in await every_message(store):
        if record.queue:
            expected.setdefault(record.queue, Counter())[record.queue_state] += 1
    shown = await page.eval_on_selector_all("table.queues tbody tr", """rows => rows.map(row => [row.dataset.queue,
        ...['depth', 'in_flight', 'dead'].map(f => Number(row.querySelector(`[data-field=${f}]`).textContent))])""")
    assert shown == [[queue, states["ready"] + states["delayed"], states["leased"], states["dead"]]
                     for queue, states in sorted(expected.items())]
    await screenshot(page, "queues")

    await page.goto("/console/partners")
    deliveries = await deliveries_per_party(store)
    shown = await page.eval_on_selector_all("table.partners tbody tr", """rows => rows.map(row => [row.dataset.party,
        ...['successes', 'failures'].map(f => Number(row.querySelector(`[data-field=${f}]`).textContent)),
        row.querySelector('[data-field=circuit]').textContent.trim()])""")
    assert {party for party, *_ in shown} == {"0448", "0400", "12345678", "87654321"}
    for party, successes, failures, circuit in shown:
        assert (successes, failures) == (deliveries[party].successes, deliveries[party].failures), party
        assert circuit == "—"  # every party pulls in this configuration
    assert deliveries["0448"].failures == 2 and deliveries["0448"].successes >= 2
    await screenshot(page, "partners")


async def test_the_charts_match_the_journal(console):
    page, store = await logged_in(console), console.store
    await page.goto("/console/charts")
    records = await every_message(store)

    def totals(table: str):
        return page.eval_on_selector_all(f"#{table} tbody tr", """rows => Object.fromEntries(rows.map(row =>
            [row.dataset.series, Number(row.lastElementChild.textContent)]))""")

    assert await totals("volume-by-type-numbers") == count_by(records, lambda r: r.message_type)
    tenant_names = {"0448": "0448 Texel", "0400": "0400 Den Helder"}
    assert await totals("volume-by-tenant-numbers") == count_by(records, lambda r: tenant_names.get(r.tenant, "—"))
    bars = await page.eval_on_selector_all("#volume-by-type rect[data-value]", """bars => bars.reduce((sums, bar) =>
        ({...sums, [bar.dataset.series]: (sums[bar.dataset.series] || 0) + Number(bar.dataset.value)}), {})""")
    assert bars == count_by(records, lambda r: r.message_type)

    retour_codes = Counter(code for record in records if catalogue.by_code(record.message_type).answers
                           for code in record.retourcodes)
    shown = await page.eval_on_selector_all("#retourcode-numbers tbody tr", """rows => Object.fromEntries(rows.map(
        row => [row.dataset.code, Number(row.lastElementChild.textContent)]))""")
    assert shown == retour_codes and {"0200", "0233", "0001"} <= set(shown)

    answered = {record.correlation_id for record in records if record.correlation_id}
    expected_answers = count_by([r for r in records if r.id in answered], lambda r: r.message_type)
    assert await totals("answer-time-numbers") == expected_answers
    await screenshot(page, "charts")

    await page.goto("/console/charts?days=7")
    assert len(await page.query_selector_all("#volume-by-type-numbers thead th")) == 1 + 7 + 1
    await page.select_option("select[name=tenant]", "0400")  # applied at once by the page's script
    await page.wait_for_url("**/console/charts?days=7&tenant=0400")
    assert await totals("volume-by-type-numbers") == count_by(
        [r for r in records if r.tenant == "0400"], lambda r: r.message_type)


async def test_the_management_figures_match_the_journal(console):
    page, store = await logged_in(console), console.store
    await page.goto("/console/figures")
    expected: dict[tuple[str, str], Counter] = {}
    for record in await every_message(store):
        number = catalogue.by_code(record.message_type).number
        for key in ((record.tenant or "", record.partner or ""), (record.tenant or "", "*"), ("*", "*")):
            figures = expected.setdefault(key, Counter())
            figures["messages"] += 1
            figures["rejected"] += record.status == "rejected"
            figures["toewijzingen"] += number == 301 and record.status != "rejected"
            figures["declaraties"] += number == 323 and record.status != "rejected"
    shown = await page.eval_on_selector_all("table.figures tr[data-tenant]", """rows => rows.map(row => [
        row.dataset.tenant, row.dataset.partner, ...['toewijzingen', 'declaraties', 'rejected', 'messages'].map(
        f => Number(row.querySelector(`[data-field=${f}]`).textContent))])""")
    assert {(tenant, partner): [a, b, c, d] for tenant, partner, a, b, c, d in shown} == {
        key: [figures["toewijzingen"], figures["declaraties"], figures["rejected"], figures["messages"]]
        for key, figures in expected.items()}
    assert (expected[("0448", "12345678")]["toewijzingen"], expected[("0448", "12345678")]["declaraties"],
            expected[("*", "*")]["rejected"]) == (1, 1, 1)
    await screenshot(page, "figures")


async def test_logging_out_ends_the_session(console):
    page, store = await logged_in(console), console.store
    await page.click("header button.link")
    await page.wait_for_url("**/console/login")
    await page.goto("/console/dead-letters")
    assert "/console/login?next=/console/dead-letters" in page.url
    assert [action for action, _, _ in await audit_actions(store)] == ["login", "logout"]
    await screenshot(page, "login")
