"""The development PKI: real TLS handshakes on loopback accept partner certificates and refuse bad ones."""
from __future__ import annotations

import stat
import subprocess
import sys
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from gateway.pki import (
    DEMO_PROVIDER_AGB,
    certificate_fingerprint,
    create_partner_certificate,
    normalize_fingerprint,
    subject_serial_number,
)
from gateway.tls import client_ssl_context, peer_certificate_der, server_ssl_context


@asynccontextmanager
async def mutual_tls_server(server_context):
    """An aiohttp server on loopback that answers with the serialNumber of the client certificate."""

    async def whoami(request: web.Request) -> web.Response:
        der = peer_certificate_der(request.transport.get_extra_info("ssl_object"))
        return web.json_response({"serial_number": subject_serial_number(der) if der else None})

    app = web.Application()
    app.router.add_get("/whoami", whoami)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"https://localhost:{port}/whoami"
    finally:
        await runner.cleanup()


async def fetch(url, client_context):
    async with aiohttp.ClientSession() as session:
        async with session.get(url, ssl=client_context) as response:
            return await response.json()


@pytest.fixture
def strict_server(dev_pki):
    return server_ssl_context(dev_pki.server.cert, dev_pki.server.key, [dev_pki.ca_cert])


async def test_provider_certificate_is_accepted_and_identified(dev_pki, strict_server):
    client = client_ssl_context(dev_pki.ca_cert, dev_pki.provider.cert, dev_pki.provider.key)
    async with mutual_tls_server(strict_server) as url:
        assert await fetch(url, client) == {"serial_number": DEMO_PROVIDER_AGB}


@pytest.mark.parametrize("partner", ["corv", "suwinet", "brp", "second_provider", "gateway_client"])
async def test_every_partner_certificate_is_accepted(dev_pki, strict_server, partner):
    files = getattr(dev_pki, partner)
    client = client_ssl_context(dev_pki.ca_cert, files.cert, files.key)
    async with mutual_tls_server(strict_server) as url:
        assert await fetch(url, client) == {"serial_number": files.serial_number}


@pytest.fixture
def server_with_crl(dev_pki):
    return server_ssl_context(dev_pki.server.cert, dev_pki.server.key, [dev_pki.ca_cert], crl=dev_pki.crl)


async def test_crl_check_accepts_a_certificate_that_is_not_revoked(dev_pki, server_with_crl):
    client = client_ssl_context(dev_pki.ca_cert, dev_pki.provider.cert, dev_pki.provider.key)
    async with mutual_tls_server(server_with_crl) as url:
        assert await fetch(url, client) == {"serial_number": DEMO_PROVIDER_AGB}


@pytest.mark.parametrize("partner", [None, "expired", "other_ca_client", "revoked"])
async def test_bad_or_missing_client_certificate_is_refused(dev_pki, server_with_crl, partner):
    files = getattr(dev_pki, partner) if partner else None
    client = client_ssl_context(dev_pki.ca_cert, files.cert if files else None, files.key if files else None)
    async with mutual_tls_server(server_with_crl) as url:
        with pytest.raises(aiohttp.ClientError):
            await fetch(url, client)


async def test_optional_client_certificate_lets_clients_without_one_in(dev_pki):
    server = server_ssl_context(
        dev_pki.server.cert, dev_pki.server.key, [dev_pki.ca_cert], require_client_cert=False
    )
    async with mutual_tls_server(server) as url:
        assert await fetch(url, client_ssl_context(dev_pki.ca_cert)) == {"serial_number": None}
        with pytest.raises(aiohttp.ClientError):
            await fetch(url, client_ssl_context(dev_pki.ca_cert, dev_pki.expired.cert, dev_pki.expired.key))


async def test_client_refuses_a_server_from_another_ca(dev_pki):
    server = server_ssl_context(
        dev_pki.other_ca_client.cert, dev_pki.other_ca_client.key, [dev_pki.ca_cert], require_client_cert=False
    )
    async with mutual_tls_server(server) as url:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await fetch(url, client_ssl_context(dev_pki.ca_cert))


async def test_additional_partner_certificate(dev_pki, strict_server, tmp_path):
    files = create_partner_certificate(
        dev_pki.ca_cert, dev_pki.ca_key, tmp_path, "gemeente", common_name="Gemeente Test", serial_number="0448"
    )
    assert files.fingerprint == certificate_fingerprint(files.cert)
    async with mutual_tls_server(strict_server) as url:
        answer = await fetch(url, client_ssl_context(dev_pki.ca_cert, files.cert, files.key))
    assert answer == {"serial_number": "0448"}


def test_fingerprint_matches_openssl(dev_pki):
    result = subprocess.run(
        ["openssl", "x509", "-in", str(dev_pki.provider.cert), "-noout", "-fingerprint", "-sha256"],
        capture_output=True, text=True, check=True,
    )
    colon_form = result.stdout.strip().split("=", 1)[1]
    assert normalize_fingerprint(colon_form) == dev_pki.provider.fingerprint


def test_cli_writes_keys_readable_by_owner_only(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "certs", "init", "--dir", str(tmp_path / "pki")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "serialNumber=12345678" in result.stdout
    keys = sorted((tmp_path / "pki").glob("*.key"))
    assert len(keys) == 12
    assert {stat.S_IMODE(key.stat().st_mode) for key in keys} == {0o600}


def test_cli_reports_an_unwritable_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "certs", "init", "--dir", str(blocker / "pki")],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_server_trusts_only_the_configured_client_cas(dev_pki):
    context = server_ssl_context(dev_pki.server.cert, dev_pki.server.key, [dev_pki.ca_cert])
    assert context.cert_store_stats()["x509_ca"] == 1
