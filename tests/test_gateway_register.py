"""The rules across messages run on the register kept in the store: what one message allocates, the next one is
checked against, also after a restart."""
from __future__ import annotations

from gateway_support import addressed, example_path, running_gateway, with_key_ring
from lxml import etree

NO_ALLOCATION = "9019"  # TR019: a start without a Toewijzing for this client and provider


def start_for(toewijzingnummer: str) -> bytes:
    """The WMO305 example with every start pointing at `toewijzingnummer`."""
    root = etree.parse(str(example_path("WMO305"))).getroot()
    for nummer in root.iter("{*}ToewijzingNummer"):
        nummer.text = toewijzingnummer
    return addressed(root, gemeente="0448")


def allocation_numbers() -> set[str]:
    root = etree.parse(str(example_path("WMO301"))).getroot()
    return {nummer.text for nummer in root.iter("{*}ToewijzingNummer")}


async def retourcodes_of_start(client, dev_pki, toewijzingnummer: str) -> list[str]:
    sent = await client.send(dev_pki.provider, "iwmo", start_for(toewijzingnummer))
    assert sent.status == 202, sent.body
    return sent.body["retourcodes"]


async def test_a_start_is_checked_against_the_allocations_in_the_store(gateway_config, dev_pki, test_tokens,
                                                                       tmp_path):
    config = with_key_ring(gateway_config, tmp_path)
    [nummer] = sorted(allocation_numbers())[:1]
    async with running_gateway(config, dev_pki.ca_cert) as (client, _app):
        assert NO_ALLOCATION in await retourcodes_of_start(client, dev_pki, nummer)
        allocation = await client.call(
            "POST", "/api/v1/tenants/0448/outbound", token=test_tokens["backoffice"],
            data=addressed(example_path("WMO301"), gemeente="0448"), content_type="application/xml")
        assert allocation.status == 202, allocation.body
        assert NO_ALLOCATION not in await retourcodes_of_start(client, dev_pki, nummer)

    async with running_gateway(config, dev_pki.ca_cert) as (client, _app):  # the register is durable
        assert NO_ALLOCATION not in await retourcodes_of_start(client, dev_pki, nummer)
        assert NO_ALLOCATION in await retourcodes_of_start(client, dev_pki, "999999")


async def test_without_a_key_ring_the_gateway_runs_without_the_register(gateway_config, dev_pki):
    async with running_gateway(gateway_config, dev_pki.ca_cert) as (client, _app):
        assert NO_ALLOCATION not in await retourcodes_of_start(client, dev_pki, "999999")
