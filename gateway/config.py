"""The gateway's configuration: one TOML file read into frozen dataclasses (the parties: gateway.parties).

A mistake stops start-up with a `ConfigError` naming the key and the problem. Relative paths are taken from the
config file's directory. Sections owned by other modules (`[corv]`, `[lookups.*]`, `[console]`) are kept
as raw tables; their module reads them with `Config.section(name)`.
"""
from __future__ import annotations

import hmac
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.config_reader import ConfigError, TableReader
from gateway.parties import (
    GEMEENTECODE,
    MESSAGE_TYPE,
    STANDARD_OF_PREFIX,
    CertificateIdentity,
    Delivery,
    LookupGrant,
    Provider,
    Tenant,
    Token,
    certificate_identity,
    hash_token,
    read_provider,
    read_tenant,
    read_token,
)

# The parties live in gateway.parties; their names stay importable from here.
__all__ = [
    "PROJECT_SCHEMAS_DIR", "EXTENSION_SECTIONS", "GEMEENTECODE", "MESSAGE_TYPE", "STANDARD_OF_PREFIX",
    "GatewaySettings", "StorageSettings", "SchemaSettings", "Limits", "DeliverySettings", "SecuritySettings",
    "Delivery", "Tenant", "CertificateIdentity", "Provider", "LookupGrant", "Token", "Config", "ConfigError",
    "hash_token", "certificate_identity", "load_config", "parse_config",
]

PROJECT_SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "schemas"
EXTENSION_SECTIONS = ("corv", "console", "lookups")


@dataclass(frozen=True)
class GatewaySettings:
    host: str = "127.0.0.1"
    port: int = 8443
    public_base_url: str = "https://localhost:8443"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_ca_files: tuple[Path, ...] = ()
    crl: Path | None = None
    # The gateway as a client (push delivery): its certificate and the CAs it trusts for partners' servers.
    client_cert: Path | None = None
    client_key: Path | None = None
    partner_ca_files: tuple[Path, ...] = ()
    # How often the C heap's free memory goes back to the system (gateway/memory.py); 0: never.
    memory_trim_seconds: float = 10.0

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


@dataclass(frozen=True)
class StorageSettings:
    """`[storage]`: where the store is, and the key ring its payloads are encrypted with. `ketenpoort serve` refuses
    to run without one unless `unencrypted = true` says payloads in clear are meant (development only). A write
    transaction slower than `slow_write_seconds` is logged as a warning."""

    url: str = "sqlite:///ketenpoort.sqlite3"
    keys_file: Path | None = None
    unencrypted: bool = False
    slow_write_seconds: float = 1.0

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for `sqlite:///PATH` URLs (absolute after loading), else None."""
        if not self.url.startswith("sqlite:///"):
            return None
        return Path(self.url.removeprefix("sqlite:///"))


@dataclass(frozen=True)
class SchemaSettings:
    root: Path = PROJECT_SCHEMAS_DIR
    directories: Mapping[str, Path] = field(default_factory=dict)

    def directory(self, standard: str) -> Path:
        """Where the schemas of `standard` (e.g. "iwmo") live: a configured directory or `root/standard`."""
        return self.directories.get(standard, self.root / standard)


@dataclass(frozen=True)
class Limits:
    """`[limits]`: what one request may cost. `body_timeout` bounds the upload of a body, `idle_timeout` a
    connection that has not sent a whole request (head) yet, or none since its last answer."""

    max_body_bytes: int = 20 * 1024 * 1024
    max_depth: int = 100
    request_timeout: float = 30.0
    body_timeout: float = 20.0
    idle_timeout: float = 60.0


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int = 10
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    circuit_breaker_threshold: int = 5
    circuit_breaker_reset: float = 60.0
    timeout: float = 30.0


@dataclass(frozen=True)
class SecuritySettings:
    """`[security]`: how long message payloads are kept (their metadata stays; 0 or absent: kept for good), per
    tenant overriding the default, and how often the key file is re-read."""

    payload_retention_days: int | None = None
    payload_retention_days_by_tenant: Mapping[str, int | None] = field(default_factory=dict)
    key_reload_seconds: float = 60.0

    def retention_days(self, gemeentecode: str) -> int | None:
        """Days a tenant's payloads are kept; None keeps them."""
        return self.payload_retention_days_by_tenant.get(gemeentecode, self.payload_retention_days)


@dataclass(frozen=True)
class Config:
    gateway: GatewaySettings = GatewaySettings()
    storage: StorageSettings = StorageSettings()
    schemas: SchemaSettings = SchemaSettings()
    limits: Limits = Limits()
    delivery: DeliverySettings = DeliverySettings()
    security: SecuritySettings = SecuritySettings()
    tenants: tuple[Tenant, ...] = ()
    providers: tuple[Provider, ...] = ()
    tokens: tuple[Token, ...] = ()
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    base_dir: Path = Path(".")
    source: Path | None = None

    def tenant(self, gemeentecode: str) -> Tenant | None:
        return next((tenant for tenant in self.tenants if tenant.gemeentecode == gemeentecode), None)

    def provider(self, agb: str) -> Provider | None:
        return next((provider for provider in self.providers if provider.agb == agb), None)

    def provider_for_certificate(self, serial_number: str | None, fingerprint: str) -> Provider | None:
        return next((p for p in self.providers if p.certificate.matches(serial_number, fingerprint)), None)

    def token_for(self, presented: str) -> Token | None:
        digest = hash_token(presented)
        return next((token for token in self.tokens if hmac.compare_digest(token.sha256, digest)), None)

    def section(self, name: str) -> TableReader:
        """A reader for an extension section (empty when the file has none)."""
        return TableReader(self.sections.get(name, {}), name, self.base_dir)


def load_config(path: Path | str) -> Config:
    """Read and check a TOML config file; every mistake raises `ConfigError` starting with the file name."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    try:
        return parse_config(data, base_dir=path.resolve().parent, source=path.resolve())
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def parse_config(data: Mapping[str, Any], *, base_dir: Path, source: Path | None = None) -> Config:
    top = TableReader(data, "", base_dir)
    for name in EXTENSION_SECTIONS:
        top.raw(name, None)  # asked for, so a typo's error lists them among the known sections
    sections = {name: top.table(name).raw_table() for name in EXTENSION_SECTIONS if top.has(name)}
    gateway = _gateway(top.table("gateway"))
    tenants = tuple(read_tenant(reader) for reader in top.tables("tenants"))
    _refuse_duplicates("tenants", [tenant.gemeentecode for tenant in tenants], "gemeentecode")
    known_tenants = {tenant.gemeentecode for tenant in tenants}
    providers = tuple(read_provider(reader, known_tenants) for reader in top.tables("providers"))
    _refuse_duplicates("providers", [provider.agb for provider in providers], "agb")
    _refuse_duplicates("providers", [str(provider.certificate) for provider in providers], "certificate")
    if providers and not gateway.client_ca_files and gateway.tls:
        raise ConfigError("gateway.client_ca_files: missing (providers authenticate with client certificates)")
    tokens = tuple(read_token(reader, known_tenants) for reader in top.tables("tokens"))
    _refuse_duplicates("tokens", [token.name for token in tokens], "name")
    _refuse_duplicates("tokens", [token.sha256 for token in tokens], "token")
    config = Config(
        gateway=gateway,
        storage=_storage(top.table("storage")),
        schemas=_schemas(top.table("schemas")),
        limits=_limits(top.table("limits")),
        delivery=_delivery_settings(top.table("delivery")),
        security=_security(top.table("security"), known_tenants),
        tenants=tenants,
        providers=providers,
        tokens=tokens,
        sections=sections,
        base_dir=base_dir,
        source=source,
    )
    top.finish()
    return config


def _gateway(reader: TableReader) -> GatewaySettings:
    host = reader.string("host", GatewaySettings.host)
    port = reader.integer("port", GatewaySettings.port, minimum=0, maximum=65535)
    tls_cert = reader.path("tls_cert", None, must_exist=True)
    tls_key = reader.path("tls_key", None, must_exist=True)
    if (tls_cert is None) != (tls_key is None):
        reader.fail("tls_key" if tls_key is None else "tls_cert", "missing (tls_cert and tls_key go together)")
    shown_host = "localhost" if host in ("0.0.0.0", "::", "") else host
    scheme = "https" if tls_cert else "http"
    settings = GatewaySettings(
        host=host,
        port=port,
        public_base_url=reader.url("public_base_url", f"{scheme}://{shown_host}:{port}").rstrip("/"),
        tls_cert=tls_cert,
        tls_key=tls_key,
        client_ca_files=reader.paths("client_ca_files", (), must_exist=True),
        crl=reader.path("crl", None, must_exist=True),
        client_cert=reader.path("client_cert", None, must_exist=True),
        client_key=reader.path("client_key", None, must_exist=True),
        partner_ca_files=reader.paths("partner_ca_files", (), must_exist=True),
        memory_trim_seconds=reader.number("memory_trim_seconds", GatewaySettings.memory_trim_seconds, minimum=0),
    )
    if (settings.client_cert is None) != (settings.client_key is None):
        reader.fail("client_key" if settings.client_key is None else "client_cert",
                    "missing (client_cert and client_key go together)")
    reader.finish()
    return settings


def _storage(reader: TableReader) -> StorageSettings:
    url = reader.string("url", StorageSettings.url)
    if url.startswith("sqlite:///"):
        location = url.removeprefix("sqlite:///")
        if not location or location == ":memory:":
            reader.fail("url", f"{url!r} names no database file (sqlite:///PATH)")
        url = "sqlite:///" + str((reader.base_dir / location).resolve())
    elif not url.startswith(("postgresql://", "postgres://")):
        reader.fail("url", f"{url!r} is not a sqlite:///PATH or postgresql:// URL")
    slow_write_seconds = reader.number("slow_write_seconds", StorageSettings.slow_write_seconds, minimum=0.001)
    settings = StorageSettings(url=url, keys_file=reader.path("keys_file", None),
                               unencrypted=reader.boolean("unencrypted", False), slow_write_seconds=slow_write_seconds)
    reader.finish()
    return settings


def _schemas(reader: TableReader) -> SchemaSettings:
    root = reader.path("root", str(PROJECT_SCHEMAS_DIR))
    directories = {
        standard: reader.path(standard, must_exist=True)
        for standard in sorted(key for key in reader.raw_table() if key != "root")
    }
    reader.finish()
    return SchemaSettings(root=root, directories=directories)


def _limits(reader: TableReader) -> Limits:
    limits = Limits(
        max_body_bytes=reader.integer("max_body_bytes", Limits.max_body_bytes, minimum=1024),
        max_depth=reader.integer("max_depth", Limits.max_depth, minimum=8),
        request_timeout=reader.number("request_timeout", Limits.request_timeout, minimum=0.1),
        body_timeout=reader.number("body_timeout", Limits.body_timeout, minimum=0.1),
        idle_timeout=reader.number("idle_timeout", Limits.idle_timeout, minimum=1),
    )
    reader.finish()
    return limits


def _delivery_settings(reader: TableReader) -> DeliverySettings:
    defaults = DeliverySettings()
    settings = DeliverySettings(
        max_attempts=reader.integer("max_attempts", defaults.max_attempts, minimum=1),
        backoff_base=reader.number("backoff_base", defaults.backoff_base, minimum=0),
        backoff_max=reader.number("backoff_max", defaults.backoff_max, minimum=0),
        circuit_breaker_threshold=reader.integer(
            "circuit_breaker_threshold", defaults.circuit_breaker_threshold, minimum=1
        ),
        circuit_breaker_reset=reader.number("circuit_breaker_reset", defaults.circuit_breaker_reset, minimum=0),
        timeout=reader.number("timeout", defaults.timeout, minimum=0.01),
    )
    if settings.backoff_max < settings.backoff_base:
        reader.fail("backoff_max", f"{settings.backoff_max} is below backoff_base {settings.backoff_base}")
    reader.finish()
    return settings


def _security(reader: TableReader, known_tenants: set[str]) -> SecuritySettings:
    by_tenant = reader.table("payload_retention_days_by_tenant")
    days = {}
    for code in by_tenant.raw_table():
        if code not in known_tenants:
            by_tenant.fail(code, "not a configured tenant")
        days[code] = by_tenant.integer(code, minimum=0) or None
    settings = SecuritySettings(
        payload_retention_days=reader.integer("payload_retention_days", 0, minimum=0) or None,
        payload_retention_days_by_tenant=days,
        key_reload_seconds=reader.number("key_reload_seconds", SecuritySettings.key_reload_seconds, minimum=1),
    )
    reader.finish()
    return settings


def _refuse_duplicates(where: str, values: list[str], key: str) -> None:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            shown = "the same value" if key in ("token", "certificate") else repr(value)
            raise ConfigError(f"{where}[{index}].{key}: {shown} is already used by {where}[{seen[value]}]")
        seen[value] = index
