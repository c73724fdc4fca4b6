"""`[security]` in the config file: payload retention per tenant and the key reload interval."""
from __future__ import annotations

import pytest

from gateway.config import ConfigError, load_config

TENANTS = """
[[tenants]]
gemeentecode = "0448"
name = "Texel"

[[tenants]]
gemeentecode = "0400"
name = "Den Helder"
"""


def load(tmp_path, security: str):
    path = tmp_path / "ketenpoort.toml"
    path.write_text(TENANTS + security)
    return load_config(path).security


def test_without_a_section_payloads_are_kept(tmp_path):
    security = load(tmp_path, "")
    assert security.retention_days("0448") is None
    assert security.key_reload_seconds == 60


def test_default_and_per_tenant_retention(tmp_path):
    security = load(tmp_path, """
[security]
payload_retention_days = 730
key_reload_seconds = 5

[security.payload_retention_days_by_tenant]
"0448" = 90
"0400" = 0
""")
    assert security.retention_days("0448") == 90
    assert security.retention_days("0400") is None  # 0: kept, whatever the default
    assert security.retention_days("0999") == 730
    assert security.key_reload_seconds == 5


@pytest.mark.parametrize("security, expected", [
    ("[security]\npayload_retention_days = -1", "security.payload_retention_days: -1 is below the minimum 0"),
    ("[security]\npayload_retention_days = '1y'", "security.payload_retention_days: expected a whole number"),
    ("[security.payload_retention_days_by_tenant]\n'0999' = 5",
     "security.payload_retention_days_by_tenant.0999: not a configured tenant"),
    ("[security]\nkey_reload_seconds = 0", "security.key_reload_seconds: 0 is below the minimum 1"),
    ("[security]\nretention = 5", "security.retention: unknown key"),
])
def test_mistakes_are_named(tmp_path, security, expected):
    with pytest.raises(ConfigError, match=expected):
        load(tmp_path, security)
