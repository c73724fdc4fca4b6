"""The `[lookups.<service>]` sections: one chain partner service each, read into a ready `PersonLookup`.

```toml
[lookups.BRPDossierPersoonGSD]          # a Suwinet-Inkijk service (backend "suwinet" by its name)
url = "https://broker.tst.suwi.net/suwibroker/soap/BRPDossierPersoonGSD-v0200"
cert = "certs/suwinet-client.pem"       # our client certificate for this service
key = "certs/suwinet-client.key"
ca = "certs/suwinet-ca.pem"             # the CA we trust for the partner's server certificate
timeout = 10                            # seconds, for the whole exchange
wsdl = "bkwi/BRPDossierPersoonGSD.wsdl" # optional: an official WSDL instead of ours

[lookups.brp]
backend = "stuf-bg"                     # or "haal-centraal"
url = "https://brp.example.nl/stuf-bg"
zender = {organisatie = "0448", applicatie = "Ketenpoort"}       # stuf-bg only
ontvanger = {organisatie = "0448", applicatie = "BRP"}           # stuf-bg only
# origin_oin, verwerking, api_key                                # haal-centraal only
```
"""
from __future__ import annotations

import zeep.exceptions
from xmlschema import XMLSchemaException

from connectors.brp.haalcentraal import HaalCentraalClient
from connectors.brp.stufbg import StufBgClient
from connectors.common.endpoint import PartnerEndpoint
from connectors.common.lookup import PersonLookup
from connectors.suwinet.client import SuwinetClient
from connectors.suwinet.services import SERVICES
from gateway.config import Config
from gateway.config_reader import ConfigError, TableReader

BACKENDS = ("suwinet", "stuf-bg", "haal-centraal")
STUF_SYSTEM_KEYS = ("organisatie", "applicatie", "administratie", "gebruiker")


def lookup_clients(config: Config) -> dict[str, PersonLookup]:
    """A client per configured lookup service; a mistake raises `ConfigError` naming the key."""
    # Clients open no connection before their first lookup, so one failing section leaves nothing to close.
    section = config.section("lookups")
    clients = {name: _client(name, section.table(name)) for name in section.raw_table()}
    section.finish()
    return clients


def _client(name: str, reader: TableReader) -> PersonLookup:
    backend = reader.string("backend", "suwinet" if name in SERVICES else None)
    if backend is None:
        reader.fail("backend", f"missing ({name!r} is no Suwinet service: say one of {', '.join(BACKENDS)})")
    if backend not in BACKENDS:
        reader.fail("backend", f"{backend!r} is not one of {', '.join(BACKENDS)}")
    endpoint = PartnerEndpoint(
        url=reader.url("url"),
        cert=reader.path("cert", None, must_exist=True),
        key=reader.path("key", None, must_exist=True),
        ca=reader.path("ca", None, must_exist=True),
        timeout=reader.number("timeout", 10.0, minimum=0.1),
        wsdl=reader.path("wsdl", None, must_exist=True) if backend != "haal-centraal" else None,
    )
    if backend == "suwinet" and name not in SERVICES:
        raise ConfigError(f"{reader.where}: unknown Suwinet service (known: {', '.join(SERVICES)})")
    options = _haal_centraal_options(reader) if backend == "haal-centraal" else {
        key: _stuf_system(reader, key) for key in ("zender", "ontvanger") if backend == "stuf-bg"}
    try:
        if backend == "haal-centraal":
            client: PersonLookup = HaalCentraalClient(endpoint, **options)
        elif backend == "stuf-bg":
            client = StufBgClient(endpoint, **options)
        else:
            client = SuwinetClient(name, endpoint)
    except (OSError, ValueError, zeep.exceptions.Error, XMLSchemaException) as error:
        # ssl.SSLError (a bad cert/key pair) is an OSError; WSDL problems are zeep, xmlschema or value errors.
        reader.fail("wsdl" if endpoint.wsdl else "cert", f"cannot be used: {error}")
    reader.finish()
    return client


def _haal_centraal_options(reader: TableReader) -> dict[str, str | None]:
    return {key: reader.string(key, None) for key in ("origin_oin", "verwerking", "api_key")}


def _stuf_system(reader: TableReader, key: str) -> dict[str, str] | None:
    if not reader.has(key):
        return None
    table = reader.table(key)
    system = {name: table.string(name) for name in STUF_SYSTEM_KEYS if table.has(name)}
    table.finish()
    if "applicatie" not in system:
        table.fail("applicatie", "missing (StUF requires the applicatie of zender and ontvanger)")
    return system
