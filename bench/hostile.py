"""Hostile input against a real gateway (`ketenpoort serve` in a child process, TLS, SQLite with a key ring, the
default limits but shorter body and idle timeouts): how fast each attack is refused, and how much the server's
peak memory (VmHWM of the child) grows, against the raw limit measured in the same run — the same route refusing
a body without reading it (wrong Content-Type, 415).

    python bench/hostile.py [--rounds N]

Per attack: the median time from the last byte sent to the answer (refusal_ms) and its ratio to the raw limit.
Ends with `RESULT worst_refusal_ms=... raw_refusal_ms=... worst_ratio=... content_length_413_ms=...
chunked_413_s=... parse_rss_growth_mb=... peak_rss_growth_mb=... body_drop_s=... header_drop_s=...`.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostile_support import (  # noqa: E402
    HOSTILE_XML, MB, RawClient, chunked, deep_json, trickled,
)

from gateway.config import hash_token  # noqa: E402
from gateway.pki import create_dev_pki  # noqa: E402
from gateway.tls import client_ssl_context  # noqa: E402
from queues.encryption import KeyRing  # noqa: E402

TOKEN = "bench-backoffice-token-0001"
PROVIDER_PATH = "/istandaarden/iwmo/berichten"
OUTBOUND_PATH = "/api/v1/tenants/0448/outbound"
BODY_TIMEOUT, IDLE_TIMEOUT = 2.0, 2.0


def write_config(directory: Path, pki, port: int) -> Path:
    keys = directory / "keys.json"
    KeyRing.generate().save(keys, create=True)
    path = directory / "ketenpoort.toml"
    path.write_text(f"""
[gateway]
host = "127.0.0.1"
port = {port}
tls_cert = "{pki.server.cert}"
tls_key = "{pki.server.key}"
client_ca_files = ["{pki.ca_cert}"]

[storage]
url = "sqlite:///{directory / 'bench.sqlite3'}"
keys_file = "{keys}"

[limits]
body_timeout = {BODY_TIMEOUT}
idle_timeout = {IDLE_TIMEOUT}

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


def peak_rss_mb(pid: int) -> float:
    """The child's peak resident memory so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_for(client: RawClient, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"ketenpoort serve ended: {process.communicate()[0]}")
        try:
            answer = await client.request(client.head("GET", "/healthz", {}), timeout=5)
            if answer.status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.3)
    raise SystemExit("ketenpoort serve did not come up")


async def refusal_ms(client: RawClient, path: str, body: bytes, content_type: str, headers: dict,
                     rounds: int) -> tuple[int, float]:
    """(status, median ms from the last byte sent to the answer) over `rounds` requests."""
    times, status = [], None
    for _ in range(rounds):
        head = client.head("POST", path, {**headers, "Content-Type": content_type, "Content-Length": str(len(body))})
        answer = await client.request(head + body)
        status = answer.status
        times.append(answer.answer_seconds * 1000)
    return status, statistics.median(times)


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        pki = create_dev_pki(directory / "pki")
        port = free_port()
        config = write_config(directory, pki, port)
        process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--config", str(config)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            await measure(process, port, pki, rounds)
        finally:
            process.terminate()
            process.communicate(timeout=30)


async def measure(process: subprocess.Popen, port: int, pki, rounds: int) -> None:
    base = f"https://localhost:{port}"
    provider = RawClient(base, client_ssl_context(pki.ca_cert, pki.provider.cert, pki.provider.key))
    backoffice = RawClient(base, client_ssl_context(pki.ca_cert))
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    await wait_for(provider, process)
    await refusal_ms(provider, PROVIDER_PATH, b"{}", "application/json", {}, 10)  # warm-up
    status, raw_ms = await refusal_ms(provider, PROVIDER_PATH, b"{}", "application/json", {}, rounds * 4)
    assert status == 415, status
    baseline_mb = peak_rss_mb(process.pid)
    print(f"raw limit: the route refusing a body unread (415) in {raw_ms:.2f} ms; peak RSS {baseline_mb:.1f} MB")

    results = {}
    cases = [(f"provider {attack}", provider, PROVIDER_PATH, data, "application/xml", {})
             for attack, data in HOSTILE_XML.items()]
    cases += [("provider not a message", provider, PROVIDER_PATH, b"<a/>", "application/xml", {}),
              ("backoffice deep-json", backoffice, OUTBOUND_PATH, deep_json(), "application/json", bearer)]
    for label, client, path, data, content_type, headers in cases:
        status, ms = await refusal_ms(client, path, data, content_type, headers, rounds)
        results[label] = ms
        print(f"{label:32} {status}  {ms:8.2f} ms  ratio {ms / raw_ms:6.1f}  ({len(data)} bytes)")

    parse_growth = peak_rss_mb(process.pid) - baseline_mb
    print(f"peak RSS growth over the hostile documents: {parse_growth:.1f} MB")

    head = provider.head("POST", PROVIDER_PATH, {"Content-Type": "application/xml", "Content-Length": str(100 * MB)})
    answer = await provider.request(head)
    content_length_ms = answer.answer_seconds * 1000
    print(f"{'provider 100 MB Content-Length':32} {answer.status}  {content_length_ms:8.2f} ms after the head")

    head = provider.head("POST", PROVIDER_PATH, {"Content-Type": "application/xml", "Transfer-Encoding": "chunked"})
    answer = await provider.request(head, chunked(100 * MB))
    print(f"{'provider 100 MB chunked':32} {answer.status}  {answer.seconds:8.2f} s in all (read up to the limit)")
    chunked_s = answer.seconds

    head = provider.head("POST", PROVIDER_PATH, {"Content-Type": "application/xml", "Content-Length": "4096"})
    answer = await provider.request(head, trickled(b"<a>" * 1000, 0.05), timeout=60)
    body_drop_s = answer.seconds
    print(f"{'slowloris body':32} {answer.status}  dropped after {body_drop_s:.2f} s (body_timeout {BODY_TIMEOUT})")
    head = provider.head("POST", PROVIDER_PATH, {"Content-Type": "application/xml", "Content-Length": "10"})
    answer = await provider.request(head[:20], trickled(head[20:] * 10, 0.05), timeout=60)
    header_drop_s = answer.seconds
    print(f"{'slowloris headers':32} {answer.status}  dropped after {header_drop_s:.2f} s (idle_timeout "
          f"{IDLE_TIMEOUT})")

    growth = peak_rss_mb(process.pid) - baseline_mb
    print(f"peak RSS growth over all attacks: {growth:.1f} MB (a body is buffered up to [limits] max_body_bytes, "
          "20 MB by default, and copied once)")
    worst = max(results, key=results.get)
    print(f"slowest refusal: {worst}")
    print(f"RESULT worst_refusal_ms={results[worst]:.2f} raw_refusal_ms={raw_ms:.2f} "
          f"worst_ratio={results[worst] / raw_ms:.1f} content_length_413_ms={content_length_ms:.2f} "
          f"chunked_413_s={chunked_s:.2f} parse_rss_growth_mb={parse_growth:.1f} peak_rss_growth_mb={growth:.1f} body_drop_s={body_drop_s:.2f} "
          f"header_drop_s={header_drop_s:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="requests per attack (median taken)")
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
