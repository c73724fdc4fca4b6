"""The parties in the configuration: tenants (`[[tenants]]`), care providers (`[[providers]]`) and bearer tokens
(`[[tokens]]`), with how each gets its messages and how a client certificate is matched to a party.

`gateway.config` reads the file and calls `read_tenant`, `read_provider` and `read_token` for each entry; these
names are also importable from `gateway.config`.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from gateway.config_reader import TableReader
from gateway.pki import normalize_fingerprint
from gateway.tenant_lists import Products, Tariffs, read_products, read_tariffs

STANDARD_OF_PREFIX = {"WMO": "iwmo", "JW": "ijw"}
GEMEENTECODE = r"\d{4}"
MESSAGE_TYPE = r"(WMO|JW)\d{3}|(iwmo|ijw):\*"


@dataclass(frozen=True)
class Delivery:
    """How a party gets its messages: it pulls them, or the gateway pushes them to `url`."""

    mode: Literal["pull", "push"] = "pull"
    url: str | None = None
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Tenant:
    """A gemeente served here; `products` and `tariffs` are its outside lists for the rules (gateway.tenant_lists),
    None when not configured."""

    gemeentecode: str
    name: str
    delivery: Delivery = Delivery()
    products: Products | None = field(default=None, hash=False)
    tariffs: Tariffs | None = field(default=None, hash=False)


@dataclass(frozen=True)
class CertificateIdentity:
    """Which client certificate belongs to a party: by subject serialNumber or by SHA-256 fingerprint."""

    serial_number: str | None = None
    fingerprint: str | None = None

    def matches(self, serial_number: str | None, fingerprint: str) -> bool:
        if self.fingerprint is not None:
            return hmac.compare_digest(self.fingerprint, normalize_fingerprint(fingerprint))
        return serial_number is not None and serial_number == self.serial_number


@dataclass(frozen=True)
class Provider:
    agb: str
    name: str
    certificate: CertificateIdentity
    message_types: tuple[str, ...]
    tenants: tuple[str, ...]
    delivery: Delivery = Delivery()

    def allows_message(self, message_code: str) -> bool:
        """Whether this provider may send `message_code` (e.g. "WMO315")."""
        if message_code in self.message_types:
            return True
        prefix = message_code.rstrip("0123456789")
        return f"{STANDARD_OF_PREFIX.get(prefix)}:*" in self.message_types

    def serves_tenant(self, gemeentecode: str) -> bool:
        return gemeentecode in self.tenants


@dataclass(frozen=True)
class LookupGrant:
    """A lookup service a token may use (`[lookups.<service>]`), and for which purposes (doelbinding)."""

    service: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class Token:
    """A bearer token; only its SHA-256 is kept."""

    name: str
    sha256: str = field(repr=False)
    role: Literal["backoffice", "operator"]
    tenants: tuple[str, ...] = ()
    lookups: tuple[LookupGrant, ...] = ()

    def serves_tenant(self, gemeentecode: str) -> bool:
        """Backoffice tokens serve their listed tenants; an operator token without tenants serves all."""
        if self.role == "operator" and not self.tenants:
            return True
        return gemeentecode in self.tenants

    def allows_lookup(self, service: str, purpose: str) -> bool:
        return any(grant.service == service and purpose in grant.purposes for grant in self.lookups)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _party_delivery(reader: TableReader) -> Delivery:
    """`delivery = "pull"` (the default) or `delivery = {url = "https://...", token = "..."}`."""
    value = reader.raw("delivery", "pull")
    if value == "pull":
        return Delivery()
    if not isinstance(value, Mapping):
        reader.fail("delivery", f'{value!r} is not "pull" or a table {{url = ..., token = ...}}')
    table = reader.table("delivery")
    delivery = Delivery(mode="push", url=table.url("url"), token=table.string("token", None))
    table.finish()
    return delivery


def read_tenant(reader: TableReader) -> Tenant:
    tenant = Tenant(
        gemeentecode=reader.string("gemeentecode", pattern=GEMEENTECODE, meaning="4 digits"),
        name=reader.string("name"),
        delivery=_party_delivery(reader),
        products=read_products(reader),
        tariffs=read_tariffs(reader),
    )
    reader.finish()
    return tenant


def read_provider(reader: TableReader, known_tenants: set[str]) -> Provider:
    agb = reader.string("agb", pattern=r"\d{8}", meaning="an AGB code of 8 digits")
    message_types = reader.strings(
        "message_types", pattern=MESSAGE_TYPE, meaning='a message code like "WMO315" or "JW315", or "iwmo:*"'
    )
    if not message_types:
        reader.fail("message_types", "empty: list the message codes this provider may send")
    provider = Provider(
        agb=agb,
        name=reader.string("name"),
        certificate=certificate_identity(reader, default_serial_number=agb),
        message_types=message_types,
        tenants=_tenant_list(reader, known_tenants, required=True),
        delivery=_party_delivery(reader),
    )
    reader.finish()
    return provider


def certificate_identity(reader: TableReader, default_serial_number: str | None = None) -> CertificateIdentity:
    """`certificate = {serial_number = ...}` or `{fingerprint = ...}`; by default serialNumber = the AGB code.
    Without a default one of the two is required (chain partners known by OIN, e.g. `[corv]`)."""
    table = reader.table("certificate")
    serial_number = table.string("serial_number", None)
    fingerprint = table.string("fingerprint", None, pattern=r"([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}",
                               meaning="a SHA-256 fingerprint (64 hex digits, colons allowed)")
    table.finish()
    if serial_number and fingerprint:
        reader.fail("certificate", "give serial_number or fingerprint, not both")
    if fingerprint:
        return CertificateIdentity(fingerprint=normalize_fingerprint(fingerprint))
    if not (serial_number or default_serial_number):
        reader.fail("certificate", "missing: {serial_number = \"OIN\"} or {fingerprint = \"AB:CD:...\"}")
    return CertificateIdentity(serial_number=serial_number or default_serial_number)


def _tenant_list(reader: TableReader, known_tenants: set[str], *, required: bool) -> tuple[str, ...]:
    default = TableReader.REQUIRED if required else ()
    tenants = reader.strings("tenants", default, pattern=GEMEENTECODE, meaning="4 digits")
    if required and not tenants:
        reader.fail("tenants", "empty: list at least one gemeentecode")
    for index, code in enumerate(tenants):
        if code not in known_tenants:
            reader.fail(f"tenants[{index}]", f"{code!r} is not a configured tenant")
    return tenants


def read_token(reader: TableReader, known_tenants: set[str]) -> Token:
    name = reader.string("name")
    if reader.has("token") == reader.has("sha256"):
        reader.fail("token", "give exactly one of token (the value) or sha256 (its hash)")
    token = reader.string("token", None)
    if token is not None and len(token) < 16:
        reader.fail("token", "too short: use at least 16 characters (e.g. `python -c 'import secrets; "
                             "print(secrets.token_urlsafe())'`)")
    sha256 = hash_token(token) if token is not None else reader.string(
        "sha256", pattern=r"[0-9a-f]{64}", meaning="a SHA-256 hex digest (64 lowercase hex digits)"
    )
    role = reader.string("role", pattern="backoffice|operator", meaning='"backoffice" or "operator"')
    result = Token(
        name=name,
        sha256=sha256,
        role=role,
        tenants=_tenant_list(reader, known_tenants, required=role == "backoffice"),
        lookups=tuple(_lookup_grant(table) for table in reader.tables("lookups")),
    )
    reader.finish()
    return result


def _lookup_grant(reader: TableReader) -> LookupGrant:
    """`lookups = [{service = "BRPDossierPersoonGSD", purposes = ["..."]}]`: no purpose, no lookup."""
    grant = LookupGrant(service=reader.string("service"), purposes=reader.strings("purposes"))
    if not grant.purposes:
        reader.fail("purposes", "empty: list the purposes (doelbinding) this token may look up for")
    reader.finish()
    return grant
