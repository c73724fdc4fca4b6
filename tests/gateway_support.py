"""Talking to a running gateway in tests: messages addressed to its parties, calls as provider or backoffice."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from lxml import etree

from connectors.istandaarden import catalogue
from gateway.app import create_app
from gateway.appkeys import STORE_KEY
from gateway.config import Config, Token, hash_token
from gateway.server import start_server
from gateway.tls import client_ssl_context
from istandaarden_examples import REFERENCE_DIR
from queues.encryption import KeyRing

PROVIDER_AGB = "12345678"
DEN_HELDER_TOKEN = "backoffice-den-helder-token-1"


def example_path(code: str) -> Path:
    standard = catalogue.by_code(code).standard
    return REFERENCE_DIR / "istandaarden" / f"{standard}-3.2" / "examples" / f"{code}.xml"


def addressed(source: Path | etree._Element, *, gemeente: str = "0448", agb: str = PROVIDER_AGB,
              identificatie: str | None = None) -> bytes:
    """A message with its Header's parties set for this gateway (a gemeente's message from `gemeente` to `agb`, a
    provider's the other way) and a fresh BerichtIdentificatie (or `identificatie`)."""
    root = etree.parse(str(source)).getroot() if isinstance(source, Path) else source
    header = root.find("{*}Header")
    kind = catalogue.by_namespace(etree.QName(root).namespace)
    from_gemeente = (kind.sender == catalogue.GEMEENTE) == (kind.direction == catalogue.HEEN)
    header.find("{*}Afzender").text, header.find("{*}Ontvanger").text = (
        (gemeente, agb) if from_gemeente else (agb, gemeente))
    header.find("{*}BerichtIdentificatie/{*}Identificatie").text = identificatie or uuid.uuid4().hex[:12]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def with_den_helder_backoffice(config: Config) -> Config:
    """`config` plus a backoffice token for tenant 0400 (`DEN_HELDER_TOKEN`)."""
    token = Token("backoffice Den Helder", hash_token(DEN_HELDER_TOKEN), "backoffice", ("0400",))
    return dataclasses.replace(config, tokens=(*config.tokens, token))


def with_key_ring(config: Config, tmp_path: Path) -> Config:
    """`config` with a new key ring in `tmp_path`: payloads encrypted, and the rules register in the store."""
    keys_file = tmp_path / "keys.json"
    KeyRing.generate().save(keys_file, create=True)
    return dataclasses.replace(config, storage=dataclasses.replace(config.storage, keys_file=keys_file))


@dataclasses.dataclass
class Response:
    status: int
    body: Any


class GatewayClient:
    """Calls to one gateway: `as_provider` with a client certificate, `with_token` with a bearer token."""

    def __init__(self, base_url: str, ca_cert: Path) -> None:
        self.base_url = base_url
        self.ca_cert = ca_cert

    async def call(self, method: str, path: str, *, files=None, token: str | None = None, data: bytes | None = None,
                   json_body: Any = None, content_type: str | None = None) -> Response:
        context = client_ssl_context(self.ca_cert, files.cert if files else None, files.key if files else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if json_body is not None:
            data, content_type = json.dumps(json_body).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        async with aiohttp.ClientSession() as session:
            async with session.request(method, self.base_url + path, data=data, headers=headers,
                                       ssl=context) as response:
                text = await response.text()
                body = json.loads(text) if response.content_type == "application/json" else text
                return Response(response.status, body)

    async def send(self, files, standard: str, data: bytes) -> Response:
        return await self.call("POST", f"/istandaarden/{standard}/berichten", files=files, data=data,
                               content_type="application/xml")

    async def inbox(self, token: str, gemeentecode: str = "0448", limit: int = 100) -> list[dict]:
        response = await self.call("GET", f"/api/v1/tenants/{gemeentecode}/inbox?limit={limit}", token=token)
        assert response.status == 200, response.body
        return response.body["messages"]

    async def pull(self, files, path: str, limit: int = 100) -> list[dict]:
        response = await self.call("GET", f"{path}?limit={limit}", files=files)
        assert response.status == 200, response.body
        return response.body["messages"]


@contextlib.asynccontextmanager
async def running_gateway(config: Config, ca_cert: Path):
    """The gateway app on a free loopback port: (client, app)."""
    app = create_app(config)
    server = await start_server(app, config.gateway)
    try:
        yield GatewayClient(server.base_url.replace("127.0.0.1", "localhost"), ca_cert), app
    finally:
        await server.stop()


def store_of(app):
    return app[STORE_KEY]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ketenpoort_process(*args: str) -> subprocess.Popen:
    """`ketenpoort ARGS...` as a child process, its output (both streams) in `process.stdout`."""
    return subprocess.Popen([sys.executable, "-m", "gateway.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


async def wait_until_serving(process: subprocess.Popen, base_url: str, ca_cert: Path, seconds: float = 90) -> None:
    """Until `/healthz` answers; fails with the process's output when it ends or `seconds` pass."""
    client = GatewayClient(base_url, ca_cert)
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise AssertionError(f"ketenpoort ended with {process.returncode}: {process.stdout.read()}")
        try:
            if (await client.call("GET", "/healthz")).status == 200:
                return
        except (aiohttp.ClientError, OSError):  # not listening yet, or (demo) its CA not written yet
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"ketenpoort did not serve within {seconds} s: {process.communicate()[0]}")
        await asyncio.sleep(0.2)


def stop(process: subprocess.Popen) -> str:
    """Ctrl-C, then the output; killed when it does not stop within 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]
