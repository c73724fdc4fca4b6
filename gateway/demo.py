"""The demo set-up: one directory with everything a first look at the gateway needs.

`prepare_demo(directory, port)` writes into `directory`:
- `certs/`            a development PKI (CA, server certificate for localhost, client certificates of the demo
                      provider and of CORV);
- `ketenpoort.toml`   tenants Texel (0448) and Den Helder (0400) sharing one backoffice, provider 12345678 with a
                      contract with both, CORV known by its certificate (its messages routed to the tenant named
                      by the ontvanger organisatie), SQLite in the directory, a backoffice and an operator token
                      (as hashes);
- `keys.json`         the key ring that encrypts the stored messages (made once: the database needs it);
- `demo.json`         for scripts: base_url, console_url, ca_cert, provider {agb, cert, key}, corv {cert, key},
                      tokens {backoffice, operator} and tenants [{gemeentecode, name}] (paths absolute; mode 0600,
                      it holds the tokens);
- `examples/`         a Verzoek om toewijzing (315) of each standard from the provider, addressed to a tenant.
Certificates and tokens are new on every run; the database and its keys are kept.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.istandaarden.validation import SchemaRegistry
from gateway.config import hash_token
from gateway.demo_messages import verzoek_om_toewijzing
from gateway.pki import CORV_OIN, DEMO_PROVIDER_AGB, DevPki, create_dev_pki
from queues.encryption import KeyRing

TENANTS = (("0448", "Texel"), ("0400", "Den Helder"))
EXAMPLES = (("iwmo", "0448"), ("ijw", "0400"))
CONFIG_FILE = "ketenpoort.toml"
INFO_FILE = "demo.json"
KEYS_FILE = "keys.json"


@dataclass(frozen=True)
class DemoFiles:
    config: Path
    info: dict[str, Any]
    examples: tuple[Path, ...]


def prepare_demo(directory: Path, port: int) -> DemoFiles:
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    pki = create_dev_pki(directory / "certs")
    tokens = {role: secrets.token_urlsafe(24) for role in ("backoffice", "operator")}
    if not (directory / KEYS_FILE).exists():
        KeyRing.generate().save(directory / KEYS_FILE, create=True)
    config = directory / CONFIG_FILE
    config.write_text(_config_toml(pki, port, tokens), encoding="utf-8")
    examples = _write_examples(directory / "examples")
    info = {
        "base_url": f"https://localhost:{port}",
        "console_url": f"https://localhost:{port}/console/",
        "ca_cert": str(pki.ca_cert),
        "provider": {"agb": DEMO_PROVIDER_AGB, "cert": str(pki.provider.cert), "key": str(pki.provider.key)},
        "corv": {"cert": str(pki.corv.cert), "key": str(pki.corv.key)},
        "tokens": tokens,
        "tenants": [{"gemeentecode": code, "name": name} for code, name in TENANTS],
    }
    info_path = directory / INFO_FILE
    info_path.touch(mode=0o600)
    os.chmod(info_path, 0o600)
    info_path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return DemoFiles(config, info, examples)


def _config_toml(pki: DevPki, port: int, tokens: dict[str, str]) -> str:
    codes = ", ".join(f'"{code}"' for code, _ in TENANTS)
    tenants = "".join(f'\n[[tenants]]\ngemeentecode = "{code}"\nname = "{name}"\n' for code, name in TENANTS)
    return f"""# Written by `ketenpoort demo`: development certificates and tokens, not for production.
[gateway]
host = "127.0.0.1"
port = {port}
public_base_url = "https://localhost:{port}"
tls_cert = "{pki.server.cert}"
tls_key = "{pki.server.key}"
client_ca_files = ["{pki.ca_cert}"]
crl = "{pki.crl}"
client_cert = "{pki.gateway_client.cert}"
client_key = "{pki.gateway_client.key}"
partner_ca_files = ["{pki.ca_cert}"]

[storage]
url = "sqlite:///ketenpoort-demo.sqlite3"
keys_file = "{KEYS_FILE}"
{tenants}
[[providers]]
agb = "{DEMO_PROVIDER_AGB}"
name = "Zorgaanbieder Demo"
message_types = ["iwmo:*", "ijw:*"]
tenants = [{codes}]

[corv]
certificate = {{serial_number = "{CORV_OIN}"}}

[[tokens]]
name = "backoffice Texel and Den Helder"
sha256 = "{hash_token(tokens['backoffice'])}"
role = "backoffice"
tenants = [{codes}]

[[tokens]]
name = "operator"
sha256 = "{hash_token(tokens['operator'])}"
role = "operator"
"""


def _write_examples(directory: Path) -> tuple[Path, ...]:
    directory.mkdir(exist_ok=True)
    registry = SchemaRegistry()
    paths = []
    for standard, gemeentecode in EXAMPLES:
        path = directory / f"{standard}-315-to-{gemeentecode}.xml"
        path.write_bytes(verzoek_om_toewijzing(standard, DEMO_PROVIDER_AGB, gemeentecode, registry))
        paths.append(path)
    return tuple(paths)


def usage(files: DemoFiles) -> str:
    """How to use the running demo, with the real paths and tokens."""
    info = files.info
    base, ca, provider = info["base_url"], info["ca_cert"], info["provider"]
    first = files.examples[0]
    standard, gemeentecode = EXAMPLES[0]
    return f"""Ketenpoort demo on {base}  (Ctrl-C stops it; {files.config.parent / INFO_FILE} has these values)

Send a message as care provider {provider['agb']} (mutual TLS):
  curl --cacert {ca} --cert {provider['cert']} --key {provider['key']} \\
       -H 'Content-Type: application/xml' --data-binary @{first} {base}/istandaarden/{standard}/berichten

Read it from the inbox of {dict(TENANTS)[gemeentecode]} as the backoffice (bearer token):
  curl --cacert {ca} -H 'Authorization: Bearer {info['tokens']['backoffice']}' \\
       '{base}/api/v1/tenants/{gemeentecode}/inbox?limit=10'

The provider's retour messages:
  curl --cacert {ca} --cert {provider['cert']} --key {provider['key']} {base}/istandaarden/{standard}/retour

CORV's WSDL (CORV posts its jz-berichten there with its certificate {info['corv']['cert']}):
  curl --cacert {ca} '{base}/corv/ontvangAsynchroon?wsdl'

Operator console: {info['console_url']}   log in with the operator token
Operator token:   {info['tokens']['operator']}   (API: {base}/api/v1/openapi.json)
"""
