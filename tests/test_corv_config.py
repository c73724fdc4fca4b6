"""The `[corv]` section: what it takes, and a mistake named by its key."""
from __future__ import annotations

import dataclasses
import re

import pytest

from gateway.config import CertificateIdentity, ConfigError
from gateway.corv_config import corv_settings


def with_corv(config, **section):
    return dataclasses.replace(config, sections={"corv": section})


def test_without_the_section_corv_is_off(gateway_config):
    assert corv_settings(gateway_config) is None


def test_corv_is_known_by_its_oin_and_sends_with_the_gateways_client_certificate_by_default(gateway_config, dev_pki):
    gateway = dataclasses.replace(gateway_config.gateway, client_cert=dev_pki.gateway_client.cert,
                                  client_key=dev_pki.gateway_client.key, partner_ca_files=(dev_pki.ca_cert,))
    config = with_corv(dataclasses.replace(gateway_config, gateway=gateway),
                       certificate={"serial_number": dev_pki.corv.serial_number},
                       endpoint="https://corv.example.nl/ontvangAsynchroon", applicaties={"JZA-Kop": "0448"})
    settings = corv_settings(config)
    assert settings.certificate == CertificateIdentity(serial_number=dev_pki.corv.serial_number)
    assert (settings.client_cert, settings.ca_files) == (dev_pki.gateway_client.cert, (dev_pki.ca_cert,))
    assert settings.applicaties == {"JZA-Kop": "0448"}
    assert settings.client_context(config).verify_mode.name == "CERT_REQUIRED"


@pytest.mark.parametrize("section, message", [
    ({}, "corv.certificate: missing"),
    ({"certificate": {"serial_number": "1"}, "applicaties": {"JZA": "0363"}},
     "corv.applicaties.JZA: '0363' is not a configured tenant"),
    ({"certificate": {"serial_number": "1"}, "endpoint": "https://corv.example.nl/x"},
     "corv.client_cert: missing: CORV takes our messages over mutual TLS only"),
    ({"certificate": {"serial_number": "1"}, "endpoint": "ftp://corv"}, "corv.endpoint: 'ftp://corv' is not an"),
    ({"certificate": {"serial_number": "1"}, "endpiont": "https://corv.example.nl/x"}, "corv.endpiont: unknown key"),
], ids=["no-certificate", "unknown-tenant", "no-client-certificate", "bad-url", "typo"])
def test_a_mistake_names_the_key(section, message, gateway_config):
    with pytest.raises(ConfigError, match=re.escape(message)):
        corv_settings(with_corv(gateway_config, **section))
