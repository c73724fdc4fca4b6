"""The `[corv]` section: who CORV is when it calls us, where our messages to CORV go, and which tenant an
ontvanger applicatie stands for.

```toml
[corv]
certificate = {serial_number = "00000001234567890000"}  # CORV's client certificate: its OIN, or {fingerprint = ...}
endpoint = "https://corv.example.nl/jz0100/ontvangAsynchroon"  # CORV's service for our messages (omit: none sent)
client_cert = "certs/corv-client.pem"   # our certificate towards CORV (default: [gateway] client_cert)
client_key = "certs/corv-client.key"
ca_files = ["certs/corv-ca.pem"]        # CAs of CORV's server certificate (default: [gateway] partner_ca_files)
applicaties = {"JZA-Kop" = "0448"}      # ontvanger/zender applicatie → gemeentecode, where the organisatie is no
                                        # gemeentecode (a jeugdzorgapplicatie shared by municipalities)
```
Without a `[corv]` section CORV is off: its routes refuse every caller.
"""
from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gateway.config import GEMEENTECODE, CertificateIdentity, Config, certificate_identity
from gateway.config_reader import ConfigError, TableReader
from gateway.delivery import client_context

SECTION = "corv"


@dataclass(frozen=True)
class CorvSettings:
    certificate: CertificateIdentity
    endpoint: str | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    ca_files: tuple[Path, ...] = ()
    applicaties: Mapping[str, str] = field(default_factory=dict)

    def client_context(self, config: Config) -> ssl.SSLContext:
        """The TLS client context towards CORV: our certificate, CORV's server checked against `ca_files`."""
        return client_context(dataclasses.replace(
            config.gateway, client_cert=self.client_cert, client_key=self.client_key, partner_ca_files=self.ca_files))


def corv_settings(config: Config) -> CorvSettings | None:
    """The `[corv]` settings, None when the section is absent; a mistake raises `ConfigError` naming the key."""
    if SECTION not in config.sections:
        return None
    try:
        return _read(config.section(SECTION), config)
    except ConfigError as error:
        raise ConfigError(f"{config.source}: {error}" if config.source else str(error)) from None


def _read(reader: TableReader, config: Config) -> CorvSettings:
    gateway = config.gateway
    settings = CorvSettings(
        certificate=certificate_identity(reader),
        endpoint=reader.url("endpoint", None),
        client_cert=reader.path("client_cert", None, must_exist=True) or gateway.client_cert,
        client_key=reader.path("client_key", None, must_exist=True) or gateway.client_key,
        ca_files=reader.paths("ca_files", (), must_exist=True) or gateway.partner_ca_files,
        applicaties=_applicaties(reader.table("applicaties"), config),
    )
    if (settings.client_cert is None) != (settings.client_key is None):
        reader.fail("client_key" if settings.client_key is None else "client_cert",
                    "missing (client_cert and client_key go together)")
    if settings.endpoint is not None and settings.client_cert is None:
        reader.fail("client_cert", "missing: CORV takes our messages over mutual TLS only (set it here or "
                                   "[gateway] client_cert)")
    reader.finish()
    return settings


def _applicaties(reader: TableReader, config: Config) -> dict[str, str]:
    applicaties = {}
    for applicatie in reader.raw_table():
        code = reader.string(applicatie, pattern=GEMEENTECODE, meaning="a gemeentecode of 4 digits")
        if config.tenant(code) is None:
            reader.fail(applicatie, f"{code!r} is not a configured tenant")
        applicaties[applicatie] = code
    return applicaties
