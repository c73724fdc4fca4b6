"""Console sessions without a browser: the signed cookie, its attributes, CSRF, and who may see console pages."""
from __future__ import annotations

import dataclasses

import aiohttp
import pytest
from gateway_support import running_gateway, store_of

from gateway.app import create_app
from gateway.config import ConfigError, Token, hash_token
from gateway.console import pages
from gateway.console.session import COOKIE_NAME, read_session, session_cookie
from gateway.operator_settings import operator_settings
from gateway.tls import client_ssl_context
from queues import MessageEntry

SECRET = b"s" * 32
OPERATOR = Token("operator", hash_token("operator-token-000000001"), "operator")
NOW = 1_767_225_600.0


def test_a_session_cookie_stands_for_its_operator_until_it_expires():
    cookie = session_cookie(SECRET, OPERATOR, 3600, now=NOW)
    session = read_session(SECRET, (OPERATOR,), cookie, now=NOW + 3599)
    assert session is not None and session.token == OPERATOR
    assert read_session(SECRET, (OPERATOR,), cookie, now=NOW + 3600) is None


@pytest.mark.parametrize("change", ["other secret", "edited body", "edited signature", "token rotated",
                                    "token removed", "token became backoffice", "garbage"])
def test_a_forged_or_outdated_session_cookie_is_refused(change):
    cookie = session_cookie(SECRET, OPERATOR, 3600, now=NOW)
    body, signature = cookie.split(".")
    secret, tokens = SECRET, (OPERATOR,)
    if change == "other secret":
        secret = b"t" * 32
    elif change == "edited body":
        cookie = f"{body[:-2]}AA.{signature}"
    elif change == "edited signature":
        cookie = f"{body}.{signature[:-2]}AA"
    elif change == "token rotated":
        tokens = (dataclasses.replace(OPERATOR, sha256=hash_token("a-new-operator-token-0001")),)
    elif change == "token removed":
        tokens = ()
    elif change == "token became backoffice":
        tokens = (dataclasses.replace(OPERATOR, role="backoffice"),)
    else:
        cookie = "not-a-cookie"
    assert read_session(secret, tokens, cookie, now=NOW) is None


@pytest.fixture
async def gateway(gateway_config, dev_pki):
    async with running_gateway(gateway_config, dev_pki.ca_cert) as running:
        yield running


async def request(client, method: str, path: str, *, session=None, **options):
    context = client_ssl_context(client.ca_cert)
    async with (session or aiohttp.ClientSession()) as owned:
        async with owned.request(method, client.base_url + path, ssl=context, allow_redirects=False,
                                 **options) as response:
            return response.status, response.headers, await response.text()


async def test_login_sets_a_strict_http_only_secure_cookie_and_is_audited(gateway, test_tokens):
    client, app = gateway
    status, headers, _ = await request(client, "POST", "/console/login",
                                       data={"token": test_tokens["operator"], "next": "/console/queues"})
    assert (status, headers["Location"]) == (303, "/console/queues")
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and test_tokens["operator"] not in cookie
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/console"):
        assert attribute in cookie, attribute
    [record] = await store_of(app).audit_records()
    assert (record.actor, record.action, record.outcome, record.detail) == (
        "operator", "login", "success", {"via": "console"})


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/console/", "/api/v1/queues", ""])
async def test_login_only_sends_the_browser_on_to_console_pages(gateway, test_tokens, target):
    client, _ = gateway
    status, headers, _ = await request(client, "POST", "/console/login",
                                       data={"token": test_tokens["operator"], "next": target})
    assert (status, headers["Location"]) == (303, "/console/messages")


async def test_a_failed_login_gets_no_cookie_and_is_audited_without_what_was_typed(gateway):
    client, app = gateway
    status, headers, page = await request(client, "POST", "/console/login", data={"token": "123456782-guess"})
    assert status == 401 and "Set-Cookie" not in headers and "Unknown token." in page
    [record] = await store_of(app).audit_records()
    assert (record.actor, record.outcome) == ("unknown", "failure")
    assert "123456782" not in str(record.content())


async def test_console_pages_need_a_session_or_an_operator_token(gateway, test_tokens):
    client, _ = gateway
    status, headers, _ = await request(client, "GET", "/console/queues")
    assert (status, headers["Location"]) == (303, "/console/login?next=/console/queues")
    status, _, _ = await request(client, "GET", "/console/queues",
                                 headers={"Authorization": f"Bearer {test_tokens['backoffice']}"})
    assert status == 403
    status, headers, page = await request(client, "GET", "/console/queues",
                                          headers={"Authorization": f"Bearer {test_tokens['operator']}"})
    assert status == 200 and "<h1>Queues</h1>" in page
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    status, _, _ = await request(client, "GET", "/console/queues", cookies={COOKIE_NAME: "forged.cookie"})
    assert status == 303


async def test_a_session_post_without_the_forms_csrf_token_is_refused(gateway, test_tokens):
    client, app = gateway
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        context = client_ssl_context(client.ca_cert)
        async with session.post(client.base_url + "/console/login", data={"token": test_tokens["operator"]},
                                ssl=context) as response:
            assert response.status == 200  # followed to the message log
        async with session.post(client.base_url + "/console/messages/any-id/payload", data={"csrf": "guess"},
                                ssl=context) as response:
            assert response.status == 403 and "did not come from the console" in await response.text()
    assert [record.action for record in await store_of(app).audit_records()] == ["login"]


@pytest.mark.parametrize("section, problem", [
    ({"timezone": "Mars/Olympus_Mons"}, "console.timezone: unknown time zone 'Mars/Olympus_Mons'"),
    ({"session_secret": "too-short"}, "console.session_secret: too short"),
    ({"session_hours": 0}, "console.session_hours"),
    ({"sesion_hours": 3}, "console.sesion_hours: unknown key"),
])
def test_a_wrong_console_section_stops_start_up_naming_the_key(gateway_config, section, problem):
    with pytest.raises(ConfigError, match=problem):
        create_app(dataclasses.replace(gateway_config, sections={"console": section}))


def test_a_configured_secret_keeps_sessions_across_restarts_and_the_default_does_not(gateway_config):
    configured = dataclasses.replace(gateway_config, sections={"console": {"session_secret": "x" * 40}})
    assert operator_settings(configured).session_secret == operator_settings(configured).session_secret
    assert operator_settings(gateway_config).session_secret != operator_settings(gateway_config).session_secret


async def test_the_message_log_lists_the_statuses_present_and_counts_no_further_than_its_limit(
        gateway, test_tokens, monkeypatch):
    """Counting a journal of years for "N messages match" takes seconds: the log stops counting at a limit."""
    client, app = gateway
    for status in ("received", "received", "rejected"):
        await store_of(app).append(MessageEntry(payload=b"<Bericht/>", standard="iwmo", message_type="WMO301",
                                                direction="inbound", tenant="0448", partner="12345678",
                                                status=status))
    headers = {"Authorization": f"Bearer {test_tokens['operator']}"}
    _, _, page = await request(client, "GET", "/console/messages", headers=headers)
    assert '<strong id="total">3</strong> messages match' in page
    assert '<option value="received"' in page and '<option value="rejected"' in page
    monkeypatch.setattr(pages, "COUNTED_AT_MOST", 2)
    _, _, page = await request(client, "GET", "/console/messages", headers=headers)
    assert '<strong id="total">2 or more</strong> messages match' in page
