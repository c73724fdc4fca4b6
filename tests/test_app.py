"""The application base on a real TLS server on loopback: who may call what, health, metrics, OpenAPI."""
from __future__ import annotations

import asyncio
import dataclasses

import aiohttp
import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.appkeys import CONFIG_KEY, READINESS_CHECKS_KEY, STORE_KEY
from gateway.auth import (
    BACKOFFICE, OPERATOR, PROVIDER, authenticated_provider, authenticated_token, require_tenant,
)
from gateway.config import Config, Limits
from gateway.http_errors import json_error
from gateway.routing import add_route
from gateway.server import start_server
from gateway.tls import client_ssl_context
from queues import Store

from gateway_support import running_gateway


def with_limits(config: Config, **limits) -> Config:
    return dataclasses.replace(config, limits=Limits(**limits))


async def whoami_provider(request: web.Request) -> web.Response:
    return web.json_response({"agb": authenticated_provider(request).agb})


async def tenant_inbox(request: web.Request) -> web.Response:
    tenant = require_tenant(request, request.match_info["gemeentecode"])
    return web.json_response({"tenant": tenant.name, "token": authenticated_token(request).name})


async def echo_size(request: web.Request) -> web.Response:
    return web.json_response({"size": len(await request.read())})


async def broken(request: web.Request) -> web.Response:
    raise RuntimeError("BSN 123456782 must not reach the client")


async def refuse(request: web.Request) -> web.Response:
    raise json_error(422, "WMO315 is not well-formed", line=3, path="/Bericht")


def install_example_routes(app: web.Application) -> None:
    add_route(app, "GET", "/istandaarden/whoami", whoami_provider, access=PROVIDER, summary="who am I")
    add_route(app, "GET", "/api/v1/tenants/{gemeentecode}/inbox", tenant_inbox, access=BACKOFFICE | OPERATOR,
              summary="inbox", operation={"tags": ["backoffice"]})
    add_route(app, "POST", "/echo", echo_size, access=BACKOFFICE, summary="echo")
    add_route(app, "GET", "/broken", broken, access=OPERATOR, summary="broken")
    add_route(app, "GET", "/refuse", refuse, access=OPERATOR, summary="refuse")
    app.router.add_get("/undeclared", whoami_provider)


@pytest.fixture
async def gateway(gateway_config):
    app = create_app(with_limits(gateway_config, max_body_bytes=4096), route_modules=())
    install_example_routes(app)
    server = await start_server(app, app[CONFIG_KEY].gateway)
    yield app, server.base_url.replace("127.0.0.1", "localhost")
    await server.stop()


async def call(url, *, files=None, ca=None, token=None, method="GET", data=None):
    context = client_ssl_context(ca, files.cert if files else None, files.key if files else None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, ssl=context, headers=headers, data=data) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            return response.status, body, response.headers


async def test_healthz_is_open_without_certificate_or_token(gateway, dev_pki):
    app, base = gateway
    status, body, _ = await call(f"{base}/healthz", ca=dev_pki.ca_cert)
    assert (status, body) == (200, {"status": "ok"})


async def test_provider_certificate_maps_to_the_provider(gateway, dev_pki):
    _, base = gateway
    status, body, _ = await call(f"{base}/istandaarden/whoami", files=dev_pki.provider, ca=dev_pki.ca_cert)
    assert (status, body) == (200, {"agb": "12345678"})
    status, body, _ = await call(f"{base}/istandaarden/whoami", files=dev_pki.second_provider, ca=dev_pki.ca_cert)
    assert (status, body) == (200, {"agb": "87654321"})


async def test_provider_route_without_certificate_is_401(gateway, dev_pki):
    _, base = gateway
    status, body, _ = await call(f"{base}/istandaarden/whoami", ca=dev_pki.ca_cert)
    assert status == 401
    assert body == {"errors": [{"message": "a client certificate is required for this route"}]}


async def test_unknown_certificate_of_the_right_ca_is_403(gateway, dev_pki):
    _, base = gateway
    status, body, _ = await call(f"{base}/istandaarden/whoami", files=dev_pki.corv, ca=dev_pki.ca_cert)
    assert status == 403
    assert "belongs to no configured provider" in body["errors"][0]["message"]


@pytest.mark.parametrize("partner", ["expired", "revoked", "other_ca_client"])
async def test_bad_certificates_fail_the_handshake(gateway, dev_pki, partner):
    _, base = gateway
    with pytest.raises(aiohttp.ClientError):
        await call(f"{base}/healthz", files=getattr(dev_pki, partner), ca=dev_pki.ca_cert)


async def test_token_route_needs_a_token(gateway, dev_pki):
    _, base = gateway
    status, body, headers = await call(f"{base}/api/v1/tenants/0448/inbox", ca=dev_pki.ca_cert)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert body["errors"][0]["message"].startswith("a bearer token is required")
    status, body, _ = await call(f"{base}/api/v1/tenants/0448/inbox", ca=dev_pki.ca_cert, token="wrong-token-0000000")
    assert (status, body) == (401, {"errors": [{"message": "unknown bearer token"}]})


async def test_token_roles_and_tenants_are_enforced(gateway, dev_pki, test_tokens):
    _, base = gateway
    inbox = f"{base}/api/v1/tenants/%s/inbox"
    ok = await call(inbox % "0448", ca=dev_pki.ca_cert, token=test_tokens["backoffice"])
    assert ok[:2] == (200, {"tenant": "Texel", "token": "backoffice Texel"})
    other_tenant = await call(inbox % "0400", ca=dev_pki.ca_cert, token=test_tokens["backoffice"])
    assert other_tenant[:2] == (403, {"errors": [{"message": "not authorised for tenant 0400"}]})
    unknown_tenant = await call(inbox % "0363", ca=dev_pki.ca_cert, token=test_tokens["operator"])
    assert unknown_tenant[0] == 404
    operator = await call(inbox % "0400", ca=dev_pki.ca_cert, token=test_tokens["operator"])
    assert operator[:2] == (200, {"tenant": "Den Helder", "token": "operator"})
    wrong_role = await call(f"{base}/metrics", ca=dev_pki.ca_cert, token=test_tokens["backoffice"])
    assert wrong_role[0] == 403 and "role backoffice" in wrong_role[1]["errors"][0]["message"]


async def test_provider_certificate_does_not_open_token_routes(gateway, dev_pki):
    _, base = gateway
    status, _, _ = await call(f"{base}/api/v1/tenants/0448/inbox", files=dev_pki.provider, ca=dev_pki.ca_cert)
    assert status == 401


async def test_token_does_not_open_provider_routes(gateway, dev_pki, test_tokens):
    _, base = gateway
    status, body, _ = await call(f"{base}/istandaarden/whoami", ca=dev_pki.ca_cert, token=test_tokens["operator"])
    assert status == 403 and "this route is for provider" in body["errors"][0]["message"]


async def test_route_without_access_rule_is_refused(gateway, dev_pki):
    _, base = gateway
    status, body, _ = await call(f"{base}/undeclared", files=dev_pki.provider, ca=dev_pki.ca_cert)
    assert (status, body) == (403, {"errors": [{"message": "this route has no access rule"}]})


async def test_errors_are_json(gateway, dev_pki, test_tokens):
    _, base = gateway
    status, body, _ = await call(f"{base}/nope", ca=dev_pki.ca_cert)
    assert (status, body) == (404, {"errors": [{"message": "Not Found"}]})
    status, body, headers = await call(f"{base}/healthz", ca=dev_pki.ca_cert, method="POST")
    assert status == 405 and body["errors"] and headers["Allow"] == "GET"
    status, body, _ = await call(f"{base}/broken", ca=dev_pki.ca_cert, token=test_tokens["operator"])
    assert status == 500 and "123456782" not in str(body)
    status, body, _ = await call(f"{base}/refuse", ca=dev_pki.ca_cert, token=test_tokens["operator"])
    assert (status, body) == (
        422, {"errors": [{"message": "WMO315 is not well-formed", "line": 3, "path": "/Bericht"}]}
    )


async def test_body_over_the_limit_is_413(gateway, dev_pki, test_tokens):
    _, base = gateway
    token = test_tokens["backoffice"]
    small = await call(f"{base}/echo", ca=dev_pki.ca_cert, token=token, method="POST", data=b"x" * 100)
    assert small[:2] == (200, {"size": 100})
    status, body, _ = await call(f"{base}/echo", ca=dev_pki.ca_cert, token=token, method="POST", data=b"x" * 5000)
    assert status == 413 and "4096" in body["errors"][0]["message"]


async def test_metrics_count_requests_by_route_template(gateway, dev_pki, test_tokens):
    _, base = gateway
    await call(f"{base}/api/v1/tenants/0448/inbox", ca=dev_pki.ca_cert, token=test_tokens["backoffice"])
    status, text, headers = await call(f"{base}/metrics", ca=dev_pki.ca_cert, token=test_tokens["operator"])
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert ('ketenpoort_http_requests_total{method="GET",route="/api/v1/tenants/{gemeentecode}/inbox",'
            'status="200"} 1.0') in text
    assert "/api/v1/tenants/0448" not in text


async def test_readyz_runs_the_registered_checks(dev_pki, gateway_config, test_tokens):
    app = create_app(gateway_config, route_modules=())
    state = {"up": True}

    async def store_check():
        if not state["up"]:
            raise ConnectionError("store unreachable")

    app[READINESS_CHECKS_KEY]["store"] = store_check
    server = await start_server(app, app[CONFIG_KEY].gateway)
    try:
        url = server.base_url.replace("127.0.0.1", "localhost") + "/readyz"
        status, body, _ = await call(url, ca=dev_pki.ca_cert, token=test_tokens["operator"])
        assert (status, body) == (200, {"status": "ready", "checks": {"store": "ok"}})
        state["up"] = False
        status, body, _ = await call(url, ca=dev_pki.ca_cert, token=test_tokens["operator"])
        assert (status, body) == (503, {"status": "not ready",
                                        "checks": {"store": "ConnectionError: store unreachable"}})
    finally:
        await server.stop()


async def test_openapi_lists_routes_with_their_security(gateway, dev_pki):
    _, base = gateway
    status, document, _ = await call(f"{base}/api/v1/openapi.json", files=dev_pki.provider, ca=dev_pki.ca_cert)
    assert status == 200 and document["openapi"].startswith("3.")
    inbox = document["paths"]["/api/v1/tenants/{gemeentecode}/inbox"]["get"]
    assert inbox["security"] == [{"bearer": []}] and inbox["tags"] == ["backoffice"]
    assert inbox["parameters"][0]["name"] == "gemeentecode"
    assert document["paths"]["/istandaarden/whoami"]["get"]["security"] == [{"mutualTLS": []}]
    assert document["paths"]["/healthz"]["get"]["security"] == []
    assert "/undeclared" not in document["paths"]


async def test_request_time_limit_answers_503(gateway_config, aiohttp_client, test_tokens):
    async def slow(request):
        await asyncio.sleep(5)
        return web.json_response({})

    app = create_app(with_limits(gateway_config, request_timeout=0.1), route_modules=())
    add_route(app, "GET", "/slow", slow, access=OPERATOR, summary="slow")
    client = await aiohttp_client(app)
    response = await client.get("/slow", headers={"Authorization": "Bearer " + test_tokens["operator"]})
    assert response.status == 503
    assert await response.json() == {"errors": [{"message": "the request took longer than 0.1 s"}]}


async def test_access_log_leaves_out_the_query_string(gateway, dev_pki, caplog):
    _, base = gateway
    with caplog.at_level("INFO", logger="aiohttp.access"):
        await call(f"{base}/healthz?bsn=123456782", ca=dev_pki.ca_cert)
    lines = [record.getMessage() for record in caplog.records if record.name == "aiohttp.access"]
    assert any("GET /healthz 200" in line for line in lines)
    assert "123456782" not in caplog.text


async def test_readyz_asks_the_store_without_counting_its_queues(gateway_config, dev_pki, test_tokens, monkeypatch):
    """A probe must answer at once also with a million messages waiting, when counting them takes a second."""
    async def counting_everything(self):
        raise AssertionError("readiness counted the queues")

    monkeypatch.setattr(Store, "queue_stats", counting_everything)
    async with running_gateway(gateway_config, dev_pki.ca_cert) as (client, app):
        ready = await client.call("GET", "/readyz", token=test_tokens["operator"])
        assert (ready.status, ready.body) == (200, {"status": "ready", "checks": {"store": "ok"}})
        await app[STORE_KEY].close()
        ready = await client.call("GET", "/readyz", token=test_tokens["operator"])
        assert ready.status == 503 and ready.body["checks"]["store"].startswith("StoreError: ")
