"""Partner health on a running gateway: a backoffice that keeps failing push delivery shows its failures from the
journal and its open circuit breaker from push delivery's gauge."""
from __future__ import annotations

import asyncio
import dataclasses
import re

from gateway_support import addressed, example_path, running_gateway

from gateway.config import Delivery, DeliverySettings, Tenant


async def partner_rows(client, token: str) -> dict[str, dict[str, str]]:
    page = (await client.call("GET", "/console/partners", token=token)).body
    rows = {}
    for party, row in re.findall(r'<tr data-party="([^"]+)"[^>]*>(.*?)</tr>', page, re.S):
        fields = dict(re.findall(r'data-field="(\w+)">(.*?)</td>', row, re.S))
        rows[party] = {name: re.sub(r"<[^>]+>", "", value).strip() for name, value in fields.items()}
    return rows


async def test_a_failing_push_partner_shows_its_failures_and_open_circuit(gateway_config, dev_pki, test_tokens,
                                                                          httpserver):
    httpserver.expect_request("/inbox").respond_with_data("down for maintenance", status=503)
    texel = Tenant("0448", "Texel", Delivery("push", httpserver.url_for("/inbox"), "texel-push-token-000001"))
    config = dataclasses.replace(
        gateway_config, tenants=(texel, *gateway_config.tenants[1:]),
        delivery=DeliverySettings(backoff_base=0.01, backoff_max=0.05, circuit_breaker_threshold=1,
                                  circuit_breaker_reset=600, timeout=5))
    async with running_gateway(config, dev_pki.ca_cert) as (client, _):
        assert (await partner_rows(client, test_tokens["operator"]))["0448"]["circuit"] == "closed"
        sent = await client.send(dev_pki.provider, "iwmo", addressed(example_path("WMO305")))
        assert sent.status == 202, sent.body
        for _ in range(100):  # the worker reports its breaker at the top of its loop, after the failed POST
            texel_row = (await partner_rows(client, test_tokens["operator"]))["0448"]
            if texel_row["circuit"] == "open":
                break
            await asyncio.sleep(0.1)
    assert texel_row["circuit"] == "open"
    assert (texel_row["successes"], texel_row["failures"], texel_row["error_rate"]) == ("0", "1", "100 %")
    assert texel_row["last_failure"] != "—" and texel_row["last_success"] == "—"
    assert len(httpserver.log) == 1
