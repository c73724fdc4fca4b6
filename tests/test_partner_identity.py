"""Who may send messages, over real TLS against the whole gateway: a client certificate that is expired, revoked
(the CRL is configured), of another CA, or valid but of no configured party gets nowhere and leaves nothing in the
journal; a provider configured by fingerprint sends within its authorisation only."""
from __future__ import annotations

import aiohttp
import pytest
from gateway_support import addressed, example_path, running_gateway, store_of

from queues import SearchFilters


@pytest.fixture
async def gateway(gateway_config, dev_pki):
    assert gateway_config.gateway.crl is not None  # revocation is checked against the dev CA's CRL
    async with running_gateway(gateway_config, dev_pki.ca_cert) as running:
        yield running


@pytest.mark.parametrize("partner", ["expired", "revoked", "other_ca_client"])
async def test_a_bad_certificate_cannot_send_a_message(gateway, dev_pki, partner):
    client, app = gateway
    with pytest.raises((aiohttp.ClientConnectorError, aiohttp.ClientOSError)):
        await client.send(getattr(dev_pki, partner), "iwmo", addressed(example_path("WMO315")))
    assert await store_of(app).count(SearchFilters()) == 0


async def test_a_valid_certificate_of_no_configured_provider_is_a_403(gateway, dev_pki):
    client, app = gateway
    response = await client.send(dev_pki.suwinet, "iwmo", addressed(example_path("WMO315")))
    assert response.status == 403
    assert "belongs to no configured provider" in response.body["errors"][0]["message"]
    assert await store_of(app).count(SearchFilters()) == 0


async def test_a_provider_known_by_fingerprint_sends_within_its_authorisation(gateway, dev_pki):
    client, _ = gateway
    second = dev_pki.second_provider  # 87654321 by fingerprint: WMO315 to Den Helder (0400) only
    allowed = await client.send(second, "iwmo", addressed(example_path("WMO315"), gemeente="0400", agb="87654321"))
    assert allowed.status == 202, allowed.body
    other_tenant = await client.send(second, "iwmo", addressed(example_path("WMO315"), agb="87654321"))
    other_type = await client.send(second, "iwmo", addressed(example_path("WMO305"), gemeente="0400",
                                                              agb="87654321"))
    as_someone_else = await client.send(second, "iwmo", addressed(example_path("WMO315"), gemeente="0400"))
    assert [response.status for response in (other_tenant, other_type, as_someone_else)] == [403, 403, 403]
