"""Fixtures shared by the whole suite."""
from __future__ import annotations

import asyncio
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_DIR.parent / "shared" / "reference"
POSTGRES_DSN_VAR = "KETENPOORT_TEST_POSTGRES_DSN"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The official standards' facts beside the checkout (`../shared/reference`)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference material not found at {REFERENCE_DIR}")
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory):
    """A development PKI (CA, localhost server certificate, partner certificates) for the whole session."""
    from gateway.pki import create_dev_pki

    return create_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def mtls_partner_server(dev_pki):
    """A fake chain partner on loopback: HTTPS with the dev server certificate, demanding a dev-CA client certificate."""
    from pytest_httpserver import HTTPServer

    from gateway.tls import server_ssl_context

    context = server_ssl_context(dev_pki.server.cert, dev_pki.server.key, [dev_pki.ca_cert])
    server = HTTPServer(host="localhost", port=0, ssl_context=context, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def mtls_partner(mtls_partner_server):
    """`mtls_partner_server`, emptied of expectations and request log after each test."""
    yield mtls_partner_server
    mtls_partner_server.clear()


TEST_TOKENS = {"backoffice": "backoffice-texel-token-1", "operator": "operator-token-000000001"}


@pytest.fixture
def test_tokens() -> dict[str, str]:
    """The bearer tokens of `gateway_config`: "backoffice" (tenant 0448 only) and "operator" (all tenants)."""
    return dict(TEST_TOKENS)


@pytest.fixture
def gateway_config(dev_pki, tmp_path):
    """A gateway Config for tests; change parts with `dataclasses.replace`.

    TLS on 127.0.0.1 with a free port and the dev PKI (CRL checked), SQLite in tmp_path, tenants 0448 Texel and
    0400 Den Helder; providers 12345678 (dev_pki.provider: both tenants, iwmo:* and ijw:*) and 87654321
    (dev_pki.second_provider by fingerprint: tenant 0400, WMO315 only); tokens as in `test_tokens`.
    """
    from gateway.config import (
        CertificateIdentity, Config, GatewaySettings, Provider, StorageSettings, Tenant, Token, hash_token,
    )

    return Config(
        gateway=GatewaySettings(
            host="127.0.0.1", port=0, public_base_url="https://localhost", tls_cert=dev_pki.server.cert,
            tls_key=dev_pki.server.key, client_ca_files=(dev_pki.ca_cert,), crl=dev_pki.crl,
        ),
        storage=StorageSettings(url=f"sqlite:///{tmp_path / 'ketenpoort.sqlite3'}"),
        tenants=(Tenant("0448", "Texel"), Tenant("0400", "Den Helder")),
        providers=(
            Provider("12345678", "Zorgaanbieder Demo", CertificateIdentity(serial_number="12345678"),
                     ("iwmo:*", "ijw:*"), ("0448", "0400")),
            Provider("87654321", "Tweede Zorgaanbieder",
                     CertificateIdentity(fingerprint=dev_pki.second_provider.fingerprint), ("WMO315",), ("0400",)),
        ),
        tokens=(
            Token("backoffice Texel", hash_token(TEST_TOKENS["backoffice"]), "backoffice", ("0448",)),
            Token("operator", hash_token(TEST_TOKENS["operator"]), "operator"),
        ),
        base_dir=tmp_path,
    )


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The PostgreSQL server of the tests; skips (saying why) when it is not configured or not reachable."""
    dsn = os.environ.get(POSTGRES_DSN_VAR)
    if not dsn:
        pytest.skip(f"{POSTGRES_DSN_VAR} is not set: PostgreSQL backend not tested")
    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        await connection.close()

    try:
        _in_thread(probe())
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_DSN_VAR} is unreachable ({exc}): PostgreSQL backend not tested")
    return dsn


@pytest.fixture(scope="session")
def postgres_register_schemas(postgres_dsn):
    """PostgreSQL schemas the registers of `new_register` reuse within the session (dropped at its end)."""
    from register_support import PostgresSchemas

    schemas = PostgresSchemas(postgres_dsn)
    yield schemas
    _in_thread(schemas.drop_all())


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def new_register(request, tmp_path):
    """Makes empty registers of the technical rules (`await new_register()`): the same test runs on the in-memory
    reference and on the store's register on each backend."""
    from register_support import RegisterMaker

    schemas = request.getfixturevalue("postgres_register_schemas") if request.param == "postgresql" else None
    maker = RegisterMaker(request.param, tmp_path, schemas)
    yield maker
    await maker.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def storage_url(request, gateway_config):
    """Where the gateway stores: its SQLite file, or a fresh schema on the test PostgreSQL (dropped afterwards)."""
    if request.param == "sqlite":
        yield gateway_config.storage.url
        return
    import asyncpg

    dsn = request.getfixturevalue("postgres_dsn")
    schema = f"kp_gateway_{secrets.token_hex(6)}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    _in_thread(admin(f'CREATE SCHEMA "{schema}"'))
    yield f"{dsn}?search_path={schema}"
    _in_thread(admin(f'DROP SCHEMA "{schema}" CASCADE'))


def _in_thread(coroutine):
    """Run `coroutine` to its end in a thread of its own: fixtures are set up while a test's event loop may run."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()
