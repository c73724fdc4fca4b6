"""`[limits] max_messages_in_progress`: while that many messages are being taken in, the next sender gets a 503 with
Retry-After before its body is read, and nothing of it is journaled; once one is done, messages come in again.
The real gateway on loopback, over HTTPS; the message in progress is one whose body is still arriving."""
from __future__ import annotations

import asyncio
import dataclasses
from urllib.parse import urlsplit

import aiohttp
from gateway_support import addressed, example_path, running_gateway, store_of

from gateway.intake import INTAKE_KEY
from gateway.tls import client_ssl_context


async def until(condition, seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_message_over_the_limit_in_progress_gets_503_with_retry_after_and_is_not_journaled(
        gateway_config, dev_pki):
    config = dataclasses.replace(gateway_config, limits=dataclasses.replace(gateway_config.limits,
                                                                            max_messages_in_progress=1))
    provider = client_ssl_context(dev_pki.ca_cert, dev_pki.provider.cert, dev_pki.provider.key)
    async with running_gateway(config, dev_pki.ca_cert) as (client, app):
        body = addressed(example_path("WMO315"))
        url = urlsplit(client.base_url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port, ssl=provider,
                                                       server_hostname=url.hostname)
        writer.write(f"POST /istandaarden/iwmo/berichten HTTP/1.1\r\nHost: {url.netloc}\r\n"
                     f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body[:100])
        await writer.drain()
        await until(lambda: app[INTAKE_KEY].in_progress == 1)

        async with aiohttp.ClientSession() as session:
            async with session.post(f"{client.base_url}/istandaarden/iwmo/berichten", ssl=provider,
                                    data=addressed(example_path("WMO315")),
                                    headers={"Content-Type": "application/xml"}) as refused:
                assert refused.status == 503 and refused.headers["Retry-After"] == "1"
                assert "busy: 1 messages are in progress" in (await refused.json())["errors"][0]["message"]
        assert await store_of(app).count() == 0

        writer.write(body[100:])
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
        assert b" 202 " in status_line, status_line
        await until(lambda: app[INTAKE_KEY].in_progress == 0)
        again = await client.send(dev_pki.provider, "iwmo", addressed(example_path("WMO315")))
        assert again.status == 202, again.body
        assert await store_of(app).count() == 2 + 2  # two messages, each with its retour
