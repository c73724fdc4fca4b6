"""Push delivery to partners: a fake provider and a fake backoffice over mutual TLS (pytest-httpserver), retries with
backoff, timeouts, the dead-letter queue, the circuit breaker and redelivery after a restart."""
from __future__ import annotations

import asyncio
import dataclasses
import inspect
import threading
import time

import pytest
from gateway_support import addressed, example_path, running_gateway, store_of
from werkzeug import Response

from gateway.config import Config, Delivery, DeliverySettings
from gateway.delivery import CircuitBreaker
from gateway.services import PIPELINE_METRICS_KEY

PATH = "/ketenpoort/in"
BACKOFFICE_PUSH_TOKEN = "pushed-to-the-backoffice-1"


def push_config(config: Config, dev_pki, url: str, *, tenant_push: bool = False, **delivery) -> Config:
    """The demo provider (or with `tenant_push` tenant 0448) gets its messages pushed to `url`; tiny delays."""
    settings = dict(max_attempts=3, backoff_base=0.01, backoff_max=0.05, timeout=0.5,
                    circuit_breaker_threshold=100, circuit_breaker_reset=0.0) | delivery
    gateway = dataclasses.replace(config.gateway, client_cert=dev_pki.gateway_client.cert,
                                  client_key=dev_pki.gateway_client.key, partner_ca_files=(dev_pki.ca_cert,))
    config = dataclasses.replace(config, gateway=gateway, delivery=DeliverySettings(**settings))
    if tenant_push:
        texel = dataclasses.replace(config.tenants[0], delivery=Delivery("push", url, BACKOFFICE_PUSH_TOKEN))
        return dataclasses.replace(config, tenants=(texel, *config.tenants[1:]))
    provider = dataclasses.replace(config.providers[0], delivery=Delivery("push", url))
    return dataclasses.replace(config, providers=(provider, *config.providers[1:]))


async def eventually(check, what: str, seconds: float = 20.0):
    """Poll `check` (truthy, or awaitable to truthy, when done) until it is; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        result = await result if inspect.isawaitable(result) else result
        if result:
            return result
        await asyncio.sleep(0.05)
    pytest.fail(f"not within {seconds} s: {what}")


async def status_becomes(app, message_id: str, status: str):
    async def check():
        return (await store_of(app).get(message_id)).status == status
    await eventually(check, f"message {message_id} {status}")


async def send_outbound(client, test_tokens, code: str = "WMO301") -> tuple[str, bytes]:
    data = addressed(example_path(code))
    response = await client.call("POST", "/api/v1/tenants/0448/outbound", token=test_tokens["backoffice"], data=data,
                                 content_type="application/xml")
    assert response.status == 202, response.body
    return response.body["id"], data


def requests_to(partner) -> list:
    return [request for request, _ in partner.log if request.path == PATH]


async def test_outbound_messages_and_retours_are_pushed_to_the_provider_over_mutual_tls(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    mtls_partner.expect_request(PATH, method="POST").respond_with_data("ok")
    config = push_config(gateway_config, dev_pki, mtls_partner.url_for(PATH))
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        message_id, data = await send_outbound(client, test_tokens)
        await status_becomes(app, message_id, "delivered")
        sent = await client.send(dev_pki.provider, "iwmo", addressed(example_path("WMO315")))
        await status_becomes(app, sent.body["retour_id"], "delivered")
    outbound, retour = requests_to(mtls_partner)
    assert outbound.data == data
    assert (outbound.headers["X-Ketenpoort-Message-Id"], outbound.headers["X-Ketenpoort-Message"]) == (
        message_id, "WMO301")
    assert outbound.headers["Content-Type"] == "application/xml" and "Authorization" not in outbound.headers
    assert (retour.headers["X-Ketenpoort-Message-Id"], retour.headers["X-Ketenpoort-Message"]) == (
        sent.body["retour_id"], "WMO316")


async def test_a_tenant_with_a_delivery_url_gets_its_inbox_pushed_with_its_token(
        gateway_config, dev_pki, mtls_partner):
    mtls_partner.expect_request(PATH, method="POST").respond_with_data("ok")
    config = push_config(gateway_config, dev_pki, mtls_partner.url_for(PATH), tenant_push=True)
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        data = addressed(example_path("JW305"))
        sent = await client.send(dev_pki.provider, "ijw", data)
        await status_becomes(app, sent.body["id"], "delivered")
    [request] = requests_to(mtls_partner)
    assert request.data == data and request.headers["Authorization"] == f"Bearer {BACKOFFICE_PUSH_TOKEN}"


async def test_errors_and_timeouts_of_the_provider_are_retried_with_backoff_until_delivered(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    def slow(request):
        time.sleep(1.0)  # longer than the delivery timeout of 0.5 s
        return Response("late")

    mtls_partner.expect_oneshot_request(PATH, method="POST").respond_with_data("busy", status=500)
    mtls_partner.expect_oneshot_request(PATH, method="POST").respond_with_handler(slow)
    mtls_partner.expect_request(PATH, method="POST").respond_with_data("ok")
    config = push_config(gateway_config, dev_pki, mtls_partner.url_for(PATH))
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        message_id, _ = await send_outbound(client, test_tokens)
        await status_becomes(app, message_id, "delivered")
        timeline = await store_of(app).timeline(message_id)
    # the late answer is logged when it is sent: wait for it, so it does not land in the next test's log
    await eventually(lambda: len(requests_to(mtls_partner)) == 3, "the late answer")
    retried = [event.detail for event in timeline if event.event == "retried"]
    assert [detail["reason"] for detail in retried] == ["HTTP 500", "no answer within 0.5 s"]
    assert all(0 < detail["delay_seconds"] <= 0.05 for detail in retried)
    assert [event.detail["attempt"] for event in timeline if event.event == "delivered"] == [3]


async def test_a_message_the_provider_keeps_refusing_goes_to_the_dead_letter_queue(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    mtls_partner.expect_request(PATH, method="POST").respond_with_data("broken", status=503)
    config = push_config(gateway_config, dev_pki, mtls_partner.url_for(PATH), max_attempts=4)
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        message_id, _ = await send_outbound(client, test_tokens)
        await status_becomes(app, message_id, "dead-lettered")
        [dead] = await store_of(app).dead_letters("outbound:iwmo:12345678")
    assert (dead.message.id, dead.attempts, dead.reason) == (message_id, 4, "HTTP 503")
    assert len(requests_to(mtls_partner)) == 4


async def test_the_circuit_breaker_stops_deliveries_to_a_failing_provider(
        gateway_config, dev_pki, mtls_partner, test_tokens):
    mtls_partner.expect_request(PATH, method="POST").respond_with_data("down", status=502)
    config = push_config(gateway_config, dev_pki, mtls_partner.url_for(PATH), max_attempts=10,
                         circuit_breaker_threshold=2, circuit_breaker_reset=3600.0)
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        message_id, _ = await send_outbound(client, test_tokens)
        gauge = app[PIPELINE_METRICS_KEY].circuit_open.labels("12345678")
        await eventually(lambda: gauge._value.get() == 1, "the circuit opens")
        record = await store_of(app).get(message_id)
    assert len(requests_to(mtls_partner)) == 2
    assert (record.queue, record.attempts) == ("outbound:iwmo:12345678", 2)
    assert record.queue_state in ("ready", "delayed")


async def test_a_delivery_cut_off_by_a_restart_is_delivered_again(gateway_config, dev_pki, mtls_partner, test_tokens):
    arrived, release = threading.Event(), threading.Event()

    def held(request):
        arrived.set()
        release.wait(5)
        return Response("too late")

    mtls_partner.expect_oneshot_request(PATH, method="POST").respond_with_handler(held)
    mtls_partner.expect_request(PATH, method="POST").respond_with_data("ok")
    config = push_config(gateway_config, dev_pki, mtls_partner.url_for(PATH), timeout=1.5)  # lease: 4 s
    try:
        async with running_gateway(config, dev_pki.ca_cert) as (client, app):
            message_id, data = await send_outbound(client, test_tokens)
            assert await asyncio.to_thread(arrived.wait, 10)
    finally:
        release.set()
    fast = dataclasses.replace(config, delivery=dataclasses.replace(config.delivery, timeout=0.5))
    async with running_gateway(fast, dev_pki.ca_cert) as (client, app):
        await status_becomes(app, message_id, "delivered")
        events = [event.event for event in await store_of(app).timeline(message_id)]
    assert "retried" not in events and events.count("leased") == 2  # the lease ran out; nobody gave it back
    first, second = requests_to(mtls_partner)
    assert first.headers["X-Ketenpoort-Message-Id"] == second.headers["X-Ketenpoort-Message-Id"] == message_id
    assert second.data == data


def test_circuit_breaker_opens_after_the_threshold_and_lets_one_trial_through_after_the_reset():
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset=10.0, clock=lambda: now[0])
    breaker.failed()
    assert breaker.begin() and not breaker.is_open
    breaker.failed()
    assert breaker.is_open and not breaker.begin() and breaker.wait_seconds() == 10.0
    now[0] = 10.0
    assert breaker.begin()  # the trial
    assert not breaker.begin() and breaker.wait_seconds() > 0  # one trial at a time
    breaker.failed()
    assert not breaker.begin() and breaker.wait_seconds() == 10.0
    now[0] = 20.0
    assert breaker.begin()
    breaker.succeeded()
    assert not breaker.is_open and breaker.begin() and breaker.begin()
