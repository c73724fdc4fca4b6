"""The TOML configuration: a good file loads into dataclasses, each kind of mistake is named precisely."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from gateway.config import ConfigError, Delivery, hash_token, load_config

GOOD = """
[gateway]
host = "0.0.0.0"
port = 9443
tls_cert = "pki/server.pem"
tls_key = "pki/server.key"
client_ca_files = ["pki/ca.pem"]

[storage]
url = "sqlite:///data/ketenpoort.sqlite3"
slow_write_seconds = 0.5

[limits]
max_body_bytes = 1048576

[delivery]
max_attempts = 3

[[tenants]]
gemeentecode = "0448"
name = "Texel"

[[tenants]]
gemeentecode = "0400"
name = "Den Helder"
delivery = {url = "https://backoffice.example/inbox", token = "push-secret"}

[[providers]]
agb = "12345678"
name = "Zorgaanbieder Demo"
message_types = ["iwmo:*", "JW315"]
tenants = ["0448", "0400"]

[[providers]]
agb = "87654321"
name = "Tweede Zorgaanbieder"
certificate = {fingerprint = "%(fingerprint)s"}
message_types = ["WMO315"]
tenants = ["0400"]

[[tokens]]
name = "backoffice Texel"
token = "texel-backoffice-token-0001"
role = "backoffice"
tenants = ["0448"]
lookups = [{service = "BRPDossierPersoonGSD", purposes = ["Participatiewet"]}]

[[tokens]]
name = "operator"
sha256 = "%(operator_hash)s"
role = "operator"

[corv]
wsdl = "corv/service.wsdl"
"""


@pytest.fixture
def config_dir(tmp_path, dev_pki):
    (tmp_path / "pki").symlink_to(dev_pki.directory)
    return tmp_path


def write(config_dir: Path, text: str) -> Path:
    path = config_dir / "ketenpoort.toml"
    path.write_text(textwrap.dedent(text))
    return path


def good_text(dev_pki) -> str:
    colon_fingerprint = ":".join(
        dev_pki.second_provider.fingerprint[i:i + 2] for i in range(0, 64, 2)
    ).upper()
    return GOOD % {"fingerprint": colon_fingerprint, "operator_hash": hash_token("operator-token-0000000001")}


def test_good_file_loads(config_dir, dev_pki):
    config = load_config(write(config_dir, good_text(dev_pki)))
    assert config.gateway.port == 9443
    assert config.gateway.public_base_url == "https://localhost:9443"
    assert config.gateway.tls_cert == dev_pki.server.cert
    assert config.gateway.client_ca_files[0].parent == (config_dir / "pki").resolve()
    assert config.storage.sqlite_path == (config_dir / "data" / "ketenpoort.sqlite3").resolve()
    assert config.storage.slow_write_seconds == 0.5
    assert config.limits.max_body_bytes == 1048576
    assert config.limits.max_depth == 100
    assert config.delivery.max_attempts == 3
    assert config.tenant("0400").delivery == Delivery(
        mode="push", url="https://backoffice.example/inbox", token="push-secret"
    )
    assert config.tenant("0448").delivery.mode == "pull"
    assert config.tenant("0363") is None
    assert config.section("corv").path("wsdl") == (config_dir / "corv" / "service.wsdl").resolve()
    assert config.schemas.directory("iwmo") == Path(__file__).resolve().parents[1] / "schemas" / "iwmo"


def test_providers_are_found_by_certificate(config_dir, dev_pki):
    config = load_config(write(config_dir, good_text(dev_pki)))
    by_serial = config.provider_for_certificate("12345678", dev_pki.provider.fingerprint)
    assert by_serial.agb == "12345678"
    by_fingerprint = config.provider_for_certificate("87654321", dev_pki.second_provider.fingerprint)
    assert by_fingerprint.agb == "87654321"
    # The second provider is bound to its fingerprint: another certificate with its serialNumber does not match.
    assert config.provider_for_certificate("87654321", dev_pki.provider.fingerprint) is None


def test_provider_message_types_and_tenants(config_dir, dev_pki):
    demo, second = load_config(write(config_dir, good_text(dev_pki))).providers
    assert demo.allows_message("WMO315") and demo.allows_message("WMO303") and demo.allows_message("JW315")
    assert not demo.allows_message("JW317")
    assert second.allows_message("WMO315") and not second.allows_message("WMO317")
    assert second.serves_tenant("0400") and not second.serves_tenant("0448")


def test_tokens_are_kept_hashed(config_dir, dev_pki):
    config = load_config(write(config_dir, good_text(dev_pki)))
    backoffice = config.token_for("texel-backoffice-token-0001")
    assert backoffice.role == "backoffice"
    assert backoffice.allows_lookup("BRPDossierPersoonGSD", "Participatiewet")
    assert not backoffice.allows_lookup("BRPDossierPersoonGSD", "Wmo")
    assert backoffice.serves_tenant("0448") and not backoffice.serves_tenant("0400")
    operator = config.token_for("operator-token-0000000001")
    assert operator.role == "operator" and operator.serves_tenant("0400")
    assert config.token_for("texel-backoffice-token-0002") is None
    assert "texel-backoffice-token-0001" not in repr(config)


def test_empty_file_gives_defaults(config_dir):
    config = load_config(write(config_dir, ""))
    assert config.gateway.public_base_url == "http://127.0.0.1:8443"
    assert config.storage.sqlite_path == (config_dir / "ketenpoort.sqlite3").resolve()
    assert config.tenants == () and config.providers == () and config.tokens == ()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('gemeentecode = "0448"', 'gemeentecode = "448"', "tenants[0].gemeentecode: '448' is not 4 digits"),
        ('gemeentecode = "0400"', 'gemeentecode = "0448"',
         "tenants[1].gemeentecode: '0448' is already used by tenants[0]"),
        ('agb = "87654321"', 'agb = "8765"', "providers[1].agb: '8765' is not an AGB code of 8 digits"),
        ('agb = "87654321"', 'agb = "12345678"', "providers[1].agb: '12345678' is already used by providers[0]"),
        ('message_types = ["WMO315"]', 'message_types = ["WMO3155"]',
         "providers[1].message_types[0]: 'WMO3155' is not a message code"),
        ('message_types = ["WMO315"]', "message_types = []", "providers[1].message_types: empty"),
        ('tenants = ["0400"]', 'tenants = ["0363"]', "providers[1].tenants[0]: '0363' is not a configured tenant"),
        ('tenants = ["0400"]', "tenants = 400", "providers[1].tenants: expected a list of strings"),
        ('port = 9443', 'port = 70000', "gateway.port: 70000 is above the maximum 65535"),
        ('port = 9443', 'port = "9443"', "gateway.port: expected a whole number, got a string ('9443')"),
        ('port = 9443', 'prot = 9443', "gateway.prot: unknown key"),
        ('port = 9443', 'port = 9443\nmemory_trim_seconds = -1', "gateway.memory_trim_seconds: -1 is below the minimum 0"),
        ('tls_key = "pki/server.key"', "", "gateway.tls_key: missing (tls_cert and tls_key go together)"),
        ('client_ca_files = ["pki/ca.pem"]', 'client_ca_files = ["pki/nope.pem"]',
         "gateway.client_ca_files[0]: not found: "),
        ('client_ca_files = ["pki/ca.pem"]', "", "gateway.client_ca_files: missing"),
        ('url = "sqlite:///data/ketenpoort.sqlite3"', 'url = "mysql://x"',
         "storage.url: 'mysql://x' is not a sqlite:///PATH or postgresql:// URL"),
        ("slow_write_seconds = 0.5", "slow_write_seconds = 0",
         "storage.slow_write_seconds: 0 is below the minimum 0.001"),
        ("max_attempts = 3", "max_attempts = 0", "delivery.max_attempts: 0 is below the minimum 1"),
        ('token = "push-secret"', 'tokn = "push-secret"', "tenants[1].delivery.tokn: unknown key"),
        ('delivery = {url = "https://backoffice.example/inbox", token = "push-secret"}', 'delivery = "push"',
         "tenants[1].delivery: 'push' is not \"pull\" or a table"),
        ('url = "https://backoffice.example/inbox"', 'url = "backoffice.example/inbox"',
         "tenants[1].delivery.url: 'backoffice.example/inbox' is not an http(s) URL"),
        ('token = "texel-backoffice-token-0001"', 'token = "short"', "tokens[0].token: too short"),
        ('token = "texel-backoffice-token-0001"', "",
         "tokens[0].token: give exactly one of token (the value) or sha256 (its hash)"),
        ('role = "backoffice"', 'role = "admin"', "tokens[0].role: 'admin' is not \"backoffice\" or \"operator\""),
        ('tenants = ["0448"]\nlookups', "lookups", "tokens[0].tenants: missing"),
        ('purposes = ["Participatiewet"]', "purposes = []", "tokens[0].lookups[0].purposes: empty"),
        ('name = "operator"', 'name = "backoffice Texel"', "tokens[1].name: 'backoffice Texel' is already used"),
        ("[corv]", "[corvv]", "corvv: unknown key (known keys here: console, corv, delivery"),
        ("[corv]", "[suwinet]", "suwinet: unknown key"),  # Suwinet and BRP are [lookups.<service>]
    ],
)
def test_each_mistake_is_named(config_dir, dev_pki, old, new, expected):
    text = good_text(dev_pki)
    assert old in text
    path = write(config_dir, text.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


def test_fingerprint_with_wrong_length_is_named(config_dir, dev_pki):
    text = good_text(dev_pki)
    path = write(config_dir, text.replace(':' + dev_pki.second_provider.fingerprint[-2:].upper() + '"', '"'))
    with pytest.raises(ConfigError, match=r"providers\[1\]\.certificate\.fingerprint: .* is not a SHA-256"):
        load_config(path)


def test_duplicate_token_values_are_refused_without_showing_them(config_dir, dev_pki):
    text = good_text(dev_pki).replace(hash_token("operator-token-0000000001"),
                                      hash_token("texel-backoffice-token-0001"))
    with pytest.raises(ConfigError) as caught:
        load_config(write(config_dir, text))
    assert "tokens[1].token: the same value is already used by tokens[0]" in str(caught.value)
    assert "texel-backoffice" not in str(caught.value)


def test_not_toml(config_dir):
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line 2"):
        load_config(write(config_dir, "[gateway]\nport = = 1\n"))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read: No such file"):
        load_config(tmp_path / "absent.toml")


def test_schema_directory_per_standard(config_dir, dev_pki):
    (config_dir / "iwmo-3.2.1").mkdir()
    config = load_config(write(config_dir, good_text(dev_pki) + '\n[schemas]\niwmo = "iwmo-3.2.1"\n'))
    assert config.schemas.directory("iwmo") == (config_dir / "iwmo-3.2.1").resolve()
    assert config.schemas.directory("ijw") == config.schemas.root / "ijw"
    with pytest.raises(ConfigError, match=r"schemas\.ijw: not found: "):
        load_config(write(config_dir, good_text(dev_pki) + '\n[schemas]\nijw = "absent"\n'))


def test_two_providers_with_one_certificate_identity_are_refused(config_dir, dev_pki):
    text = re.sub(r"certificate = \{fingerprint.*", 'certificate = {serial_number = "12345678"}', good_text(dev_pki))
    expected = r"providers\[1\]\.certificate: the same value is already used by providers\[0\]"
    with pytest.raises(ConfigError, match=expected):
        load_config(write(config_dir, text))
