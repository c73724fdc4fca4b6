"""Messages per second that providers can post through the whole gateway path (HTTPS with client certificates, safe
parse, XSD, rules, retour, journal+enqueue on SQLite), against the raw limit measured in the same run: the store
alone journaling the same message and a retour of the same size in one transaction, at the same concurrency.

    python bench/gateway_messages.py [--messages N] [--concurrency C]

Ends with `RESULT ratio=... gateway_per_s=... store_per_s=... p50_ms=... p95_ms=...` (ratio = gateway / store).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

from connectors.istandaarden.validation import SchemaRegistry  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.config import (  # noqa: E402
    CertificateIdentity, Config, GatewaySettings, Provider, StorageSettings, Tenant,
)
from gateway.demo_messages import verzoek_om_toewijzing  # noqa: E402
from gateway.pki import create_dev_pki  # noqa: E402
from gateway.server import start_server  # noqa: E402
from gateway.services import store_for  # noqa: E402
from gateway.tls import client_ssl_context  # noqa: E402
from queues import MessageEntry  # noqa: E402


def config_in(directory: Path, pki, database: str) -> Config:
    return Config(
        gateway=GatewaySettings(host="127.0.0.1", port=0, tls_cert=pki.server.cert, tls_key=pki.server.key,
                                client_ca_files=(pki.ca_cert,)),
        storage=StorageSettings(url=f"sqlite:///{directory / database}"),
        tenants=(Tenant("0448", "Texel"),),
        providers=(Provider("12345678", "Zorgaanbieder Demo", CertificateIdentity(serial_number="12345678"),
                            ("iwmo:*",), ("0448",)),),
        base_dir=directory,
    )


async def concurrently(items: list, concurrency: int, work) -> tuple[float, list[float]]:
    """(seconds for all, seconds per item) running `work(item)` with at most `concurrency` at a time."""
    slots, latencies = asyncio.Semaphore(concurrency), []

    async def one(item):
        async with slots:
            started = time.perf_counter()
            await work(item)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(item) for item in items))
    return time.perf_counter() - started, latencies


async def gateway_rate(config: Config, pki, messages: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    app = create_app(config)
    server = await start_server(app, config.gateway)
    url = server.base_url.replace("127.0.0.1", "localhost") + "/istandaarden/iwmo/berichten"
    connector = aiohttp.TCPConnector(ssl=client_ssl_context(pki.ca_cert, pki.provider.cert, pki.provider.key),
                                     limit=concurrency)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            async def post(data: bytes) -> None:
                async with session.post(url, data=data, headers={"Content-Type": "application/xml"}) as response:
                    assert response.status == 202, await response.text()

            return await concurrently(messages, concurrency, post)
    finally:
        await server.stop()


async def store_rate(config: Config, messages: list[bytes], concurrency: int) -> float:
    store = store_for(config)
    await store.start()
    try:
        async def append(data: bytes) -> None:
            entry = MessageEntry(data, "iwmo", "WMO315", "inbound", "0448", "12345678", queue="inbox:0448",
                                 idempotency_key=str(id(data)))
            retour = MessageEntry(data, "iwmo", "WMO316", "outbound", "0448", "12345678",
                                  queue="retour:iwmo:12345678")
            await store.append(entry, with_entries=[retour])

        seconds, _ = await concurrently(messages, concurrency, append)
        return seconds
    finally:
        await store.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        pki = create_dev_pki(directory / "pki")
        registry = SchemaRegistry()
        messages = [verzoek_om_toewijzing("iwmo", "12345678", "0448", registry) for _ in range(args.messages)]
        raw = await store_rate(config_in(directory, pki, "raw.sqlite3"), messages, args.concurrency)
        ours, latencies = await gateway_rate(config_in(directory, pki, "gateway.sqlite3"), pki, messages,
                                             args.concurrency)
    gateway_per_s, store_per_s = len(messages) / ours, len(messages) / raw
    p50 = statistics.median(latencies) * 1000
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    print(f"{len(messages)} messages of {len(messages[0])} bytes, {args.concurrency} at a time")
    print(f"store alone (journal + retour, one transaction): {store_per_s:8.1f} /s")
    print(f"gateway (HTTPS, parse, XSD, rules, retour, store): {gateway_per_s:8.1f} /s, "
          f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"RESULT ratio={gateway_per_s / store_per_s:.3f} gateway_per_s={gateway_per_s:.1f} "
          f"store_per_s={store_per_s:.1f} p50_ms={p50:.1f} p95_ms={p95:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
