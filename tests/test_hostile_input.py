"""Hostile input over HTTP against the real gateway on loopback with TLS: the providers' ingress (mutual TLS), the
backoffice's outbound route (token) and CORV's SOAP endpoint. Every attack is refused with a clear answer, nothing
is expanded, fetched or read from disk, and nothing is journaled or queued.

Speed and memory of these refusals are measured in bench/hostile.py."""
from __future__ import annotations

import dataclasses
import socket

import pytest
from gateway_support import addressed, example_path, running_gateway, store_of
from hostile_support import (
    FILE_READ, HOSTILE_XML, MB, RawClient, chunked, deep_json, external_dtd, plain, trickled,
)

from gateway.app import ROUTE_MODULES
from gateway.config import Limits
from gateway.tls import client_ssl_context
from queues import SearchFilters

PROVIDER_PATH = "/istandaarden/iwmo/berichten"
OUTBOUND_PATH = "/api/v1/tenants/0448/outbound"
CORV_PATH = "/corv/ontvangAsynchroon"
MAX_BODY = 1 * MB
# What each attack is refused for (the reason in the answer).
REASONS = {
    "xxe": "DTD", "billion-laughs": "DTD", "quadratic-blowup": "DTD", "deep-nesting": "nested deeper than",
    "invalid-utf8": "not valid in the document's encoding",
}
CORV_CONFIGURED = "gateway.corv_routes" in ROUTE_MODULES


@pytest.fixture
async def gateway(gateway_config, dev_pki):
    config = dataclasses.replace(gateway_config, limits=Limits(max_body_bytes=MAX_BODY, body_timeout=0.5,
                                                               idle_timeout=1.0))
    if CORV_CONFIGURED:
        config = dataclasses.replace(config, sections={**config.sections, "corv": {
            "certificate": {"serial_number": dev_pki.corv.serial_number}, "applicaties": {"JZA-Kop": "0448"}}})
    async with running_gateway(config, dev_pki.ca_cert) as running:
        yield running


@pytest.fixture
def listener():
    """A loopback port that notes whether anyone connected (an external DTD must never be fetched)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        yield server


def connected(listener: socket.socket) -> bool:
    try:
        listener.accept()[0].close()
    except BlockingIOError:
        return False
    return True


async def nothing_stored(app) -> bool:
    store = store_of(app)
    return await store.count(SearchFilters()) == 0 and await store.queue_stats() == []


def as_provider(client, dev_pki) -> RawClient:
    return RawClient(client.base_url, client_ssl_context(dev_pki.ca_cert, dev_pki.provider.cert,
                                                         dev_pki.provider.key))


def as_backoffice(client, dev_pki) -> RawClient:
    return RawClient(client.base_url, client_ssl_context(dev_pki.ca_cert))


@pytest.mark.parametrize("attack", REASONS)
async def test_hostile_xml_from_a_provider_is_a_400_naming_the_reason(gateway, dev_pki, attack):
    client, app = gateway
    response = await client.send(dev_pki.provider, "iwmo", HOSTILE_XML[attack])
    assert response.status == 400, response.body
    assert REASONS[attack] in response.body["errors"][0]["message"]
    assert FILE_READ not in str(response.body).encode()
    assert await nothing_stored(app)


@pytest.mark.parametrize("attack", REASONS)
async def test_hostile_xml_from_a_backoffice_is_a_400_naming_the_reason(gateway, dev_pki, test_tokens, attack):
    client, app = gateway
    response = await client.call("POST", OUTBOUND_PATH, token=test_tokens["backoffice"], data=HOSTILE_XML[attack],
                                 content_type="application/xml")
    assert response.status == 400, response.body
    assert REASONS[attack] in response.body["errors"][0]["message"]
    assert FILE_READ not in str(response.body).encode()
    assert await nothing_stored(app)


async def test_an_external_dtd_is_refused_and_never_fetched(gateway, dev_pki, test_tokens, listener):
    client, _ = gateway
    data = external_dtd(f"http://127.0.0.1:{listener.getsockname()[1]}/evil.dtd")
    provider = await client.send(dev_pki.provider, "iwmo", data)
    backoffice = await client.call("POST", OUTBOUND_PATH, token=test_tokens["backoffice"], data=data,
                                   content_type="application/xml")
    for response in (provider, backoffice):
        assert response.status == 400 and "DTD" in response.body["errors"][0]["message"], response.body
    assert not connected(listener)


@pytest.mark.parametrize("body, reason", [
    (deep_json(), "nested too deeply"),
    (b'{"standard": "iwmo", "message": "WMO301", \xff}', "not valid JSON"),
    (b"[" * 10_000, "not valid JSON"),
], ids=["deep", "invalid-utf8", "unclosed"])
async def test_hostile_json_from_a_backoffice_is_a_400(gateway, test_tokens, body, reason):
    client, app = gateway
    response = await client.call("POST", OUTBOUND_PATH, token=test_tokens["backoffice"], data=body,
                                 content_type="application/json")
    assert response.status == 400, response.body
    assert reason in response.body["errors"][0]["message"]
    assert await nothing_stored(app)


async def test_deeply_nested_json_in_an_ack_is_a_400(gateway, test_tokens):
    client, _ = gateway
    response = await client.call("POST", "/api/v1/inbox/some-id/ack", token=test_tokens["backoffice"],
                                 data=deep_json(), content_type="application/json")
    assert response.status in (400, 404), response.body
    assert "internal error" not in response.body["errors"][0]["message"]


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x", "text/plain"])
async def test_a_provider_message_of_another_content_type_is_a_415(gateway, dev_pki, content_type):
    client, app = gateway
    response = await client.call("POST", PROVIDER_PATH, files=dev_pki.provider, content_type=content_type,
                                 data=addressed(example_path("WMO315")))
    assert response.status == 415, response.body
    assert "application/xml or text/xml" in response.body["errors"][0]["message"]
    assert await nothing_stored(app)


async def test_the_backoffice_route_takes_xml_and_json_only(gateway, test_tokens):
    client, _ = gateway
    response = await client.call("POST", OUTBOUND_PATH, token=test_tokens["backoffice"], data=b"--x--",
                                 content_type="multipart/form-data; boundary=x")
    assert response.status == 415
    assert response.body["errors"][0]["message"] == (
        "Content-Type multipart/form-data is not accepted here; send application/json or application/xml or "
        "text/xml")


async def test_a_content_length_over_the_limit_is_refused_before_the_body_is_read(gateway, dev_pki):
    client, app = gateway
    raw = as_provider(client, dev_pki)
    head = raw.head("POST", PROVIDER_PATH, {"Content-Type": "application/xml", "Content-Length": str(100 * MB)})
    answer = await raw.request(head)  # not a byte of the 100 MB follows: the answer must not wait for it
    assert answer.status == 413
    assert answer.message == f"the body of {100 * MB} bytes (Content-Length) is over the limit of {MAX_BODY} bytes"
    assert await nothing_stored(app)


async def test_a_chunked_body_is_cut_off_at_the_limit(gateway, dev_pki):
    client, app = gateway
    raw = as_provider(client, dev_pki)
    head = raw.head("POST", PROVIDER_PATH, {"Content-Type": "application/xml", "Transfer-Encoding": "chunked"})
    answer = await raw.request(head, chunked(100 * MB))
    assert answer.status == 413, answer.body
    assert str(MAX_BODY) in answer.message
    assert await nothing_stored(app)


async def test_a_lying_content_length_under_the_limit_reads_no_further(gateway, dev_pki):
    client, _ = gateway
    raw = as_provider(client, dev_pki)
    head = raw.head("POST", PROVIDER_PATH, {"Content-Type": "application/xml", "Content-Length": "1000"})
    answer = await raw.request(head, plain(10 * MB))
    assert answer.status == 400  # the first 1000 bytes of filler, read as (not) XML


async def test_a_trickled_body_is_dropped_after_the_body_timeout(gateway, dev_pki, test_tokens):
    client, app = gateway
    data = addressed(example_path("WMO315"))
    for raw, path, headers in [
        (as_provider(client, dev_pki), PROVIDER_PATH, {}),
        (as_backoffice(client, dev_pki), OUTBOUND_PATH, {"Authorization": f"Bearer {test_tokens['backoffice']}"}),
    ]:
        head = raw.head("POST", path, {**headers, "Content-Type": "application/xml",
                                       "Content-Length": str(len(data))})
        answer = await raw.request(head, trickled(data, 0.05), timeout=30)
        assert answer.status == 408, answer.body
        assert answer.message == "the body did not arrive within 0.5 s"
    assert await nothing_stored(app)


async def test_trickled_headers_are_dropped_after_the_idle_timeout(gateway, dev_pki):
    client, _ = gateway
    raw = as_provider(client, dev_pki)
    head = raw.head("POST", PROVIDER_PATH, {"Content-Type": "application/xml", "Content-Length": "10"})
    answer = await raw.request(head[:20], trickled(head[20:], 0.1), timeout=30)
    assert answer.status is None  # closed without an answer, before the headers were complete
    assert answer.seconds < len(head) * 0.1


async def test_a_connection_that_sends_nothing_is_closed(gateway, dev_pki):
    client, _ = gateway
    answer = await as_provider(client, dev_pki).request(b"", timeout=30)
    assert answer.status is None


@pytest.mark.skipif(not CORV_CONFIGURED, reason="the CORV endpoint is not part of the gateway yet")
@pytest.mark.parametrize("attack", REASONS)
async def test_hostile_xml_from_corv_is_a_fo03_fault(gateway, dev_pki, attack):
    client, app = gateway
    response = await client.call("POST", CORV_PATH, files=dev_pki.corv, data=HOSTILE_XML[attack],
                                 content_type="text/xml; charset=utf-8")
    assert response.status == 500 and "StUF055" in response.body, response.body
    assert FILE_READ not in response.body.encode()
    assert await store_of(app).queue_stats() == []


@pytest.mark.skipif(not CORV_CONFIGURED, reason="the CORV endpoint is not part of the gateway yet")
async def test_corv_refuses_other_content_types_and_oversized_bodies(gateway, dev_pki):
    client, _ = gateway
    wrong = await client.call("POST", CORV_PATH, files=dev_pki.corv, data=b"{}", content_type="application/json")
    assert wrong.status == 415 and "text/xml" in wrong.body["errors"][0]["message"]
    raw = RawClient(client.base_url, client_ssl_context(dev_pki.ca_cert, dev_pki.corv.cert, dev_pki.corv.key))
    answer = await raw.request(raw.head("POST", CORV_PATH, {"Content-Type": "text/xml",
                                                            "Content-Length": str(100 * MB)}))
    assert answer.status == 413
