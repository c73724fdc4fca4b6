"""A 202 is a promise: `ketenpoort serve` killed with SIGKILL while providers send loses no acknowledged message."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from gateway_support import GatewayClient, free_port, ketenpoort_process, stop, wait_until_serving

from connectors.istandaarden.validation import SchemaRegistry
from gateway.config import hash_token
from gateway.demo_messages import verzoek_om_toewijzing

pytestmark = pytest.mark.slow

MESSAGES, KILL_AFTER, CONCURRENT = 80, 25, 8
TOKEN = "backoffice-crash-test-token"


def write_config(tmp_path, dev_pki, port: int):
    path = tmp_path / "ketenpoort.toml"
    path.write_text(f"""
[gateway]
port = {port}
tls_cert = "{dev_pki.server.cert}"
tls_key = "{dev_pki.server.key}"
client_ca_files = ["{dev_pki.ca_cert}"]

[storage]
url = "sqlite:///crash.sqlite3"
unencrypted = true

[[tenants]]
gemeentecode = "0448"
name = "Texel"

[[providers]]
agb = "12345678"
name = "Zorgaanbieder Demo"
message_types = ["iwmo:*"]
tenants = ["0448"]

[[tokens]]
name = "backoffice"
sha256 = "{hash_token(TOKEN)}"
role = "backoffice"
tenants = ["0448"]
""")
    return path


async def drain(client: GatewayClient, read) -> list[dict]:
    """Every message a page-wise reader returns, until a page comes back empty."""
    messages = []
    while page := await read():
        messages += page
    return messages


async def test_no_acknowledged_message_is_lost_when_the_gateway_is_killed(tmp_path, dev_pki):
    port = free_port()
    config, base = write_config(tmp_path, dev_pki, port), f"https://localhost:{port}"
    registry = SchemaRegistry()
    messages = [verzoek_om_toewijzing("iwmo", "12345678", "0448", registry) for _ in range(MESSAGES)]
    client = GatewayClient(base, dev_pki.ca_cert)
    process = ketenpoort_process("serve", "--config", str(config))
    acknowledged: list[str] = []
    slots = asyncio.Semaphore(CONCURRENT)

    async def send(data: bytes) -> None:
        async with slots:
            try:
                response = await client.send(dev_pki.provider, "iwmo", data)
            except (aiohttp.ClientError, OSError):  # killed before it answered: not acknowledged
                return
        if response.status == 202:
            acknowledged.append(response.body["id"])
            if len(acknowledged) == KILL_AFTER:
                process.kill()  # SIGKILL, with other requests in flight

    try:
        await wait_until_serving(process, base, dev_pki.ca_cert)
        await asyncio.gather(*(send(data) for data in messages))
        process.wait(timeout=30)
        assert KILL_AFTER <= len(acknowledged) < MESSAGES
        process = ketenpoort_process("serve", "--config", str(config))
        await wait_until_serving(process, base, dev_pki.ca_cert)
        inbox = await drain(client, lambda: client.inbox(TOKEN, limit=50))
        retours = await drain(client, lambda: client.pull(dev_pki.provider, "/istandaarden/iwmo/retour", limit=50))
    finally:
        output = stop(process)
    inbox_ids = [item["id"] for item in inbox]
    assert len(inbox_ids) == len(set(inbox_ids))
    assert set(acknowledged) <= set(inbox_ids), output
    assert set(acknowledged) <= {retour["correlation_id"] for retour in retours}
