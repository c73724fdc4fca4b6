"""Security at rest in the running application: payloads encrypted with the configured keys, the key file
re-read on SIGHUP, and payloads past their tenant's retention purged."""
from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time

import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.appkeys import STORE_KEY
from gateway.config import ConfigError, SecuritySettings
from gateway.security import payload_codec
from queues import MessageEntry, open_store
from queues.encryption import KEYS_ENV_VAR, EncryptingCodec, KeyRing

DAY = 86400.0
OLD = MessageEntry(payload=b"<Bericht>old</Bericht>", standard="iwmo", message_type="WMO301",
                   direction="inbound", tenant="0448", partner="12345678")


async def eventually(condition, what: str) -> None:
    for _ in range(500):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within 5 seconds: {what}")


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "keys.json"
    KeyRing.generate().save(path, create=True)
    return path


async def test_keys_are_reloaded_on_sighup_and_old_payloads_purged(gateway_config, key_file):
    config = dataclasses.replace(
        gateway_config,
        storage=dataclasses.replace(gateway_config.storage, keys_file=key_file),
        security=SecuritySettings(payload_retention_days_by_tenant={"0448": 7}, key_reload_seconds=3600),
    )
    # A message received ten days ago, written by an earlier run of the gateway.
    async with open_store(config.storage.url, payload_codec=payload_codec(config),
                          clock=lambda: time.time() - 10 * DAY) as earlier:
        old_id = (await earlier.append(OLD)).id

    runner = web.AppRunner(create_app(config, route_modules=("gateway.services", "gateway.security")))
    await runner.setup()
    try:
        store = runner.app[STORE_KEY]
        assert isinstance(store.codec, EncryptingCodec)

        async def purged_and_audited() -> bool:
            return [record.object_id for record in await store.audit_records()] == ["tenant:0448"]
        await eventually(purged_and_audited, "the retention purge audited")
        purged = await store.get(old_id)
        assert purged.payload is None  # the payload is gone; what the journal says of the message stays
        assert (purged.message_type, purged.tenant, purged.partner) == ("WMO301", "0448", "12345678")

        first = store.codec.keys.primary
        KeyRing.from_file(key_file).rotated().save(key_file)
        assert signal.getsignal(signal.SIGHUP) not in (signal.SIG_DFL, signal.SIG_IGN, None)
        os.kill(os.getpid(), signal.SIGHUP)

        async def reloaded() -> bool:
            return store.codec.keys.primary != first
        await eventually(reloaded, "the rotated key file reloaded")
    finally:
        await runner.cleanup()
    assert signal.getsignal(signal.SIGHUP) in (signal.SIG_DFL, None)


def test_keys_from_the_environment(gateway_config, monkeypatch):
    monkeypatch.setenv(KEYS_ENV_VAR, KeyRing.generate().to_json())
    assert isinstance(payload_codec(gateway_config), EncryptingCodec)


def test_without_keys_payloads_are_stored_plain_with_a_warning(gateway_config, monkeypatch, caplog):
    monkeypatch.delenv(KEYS_ENV_VAR, raising=False)
    assert payload_codec(gateway_config) is None
    assert "unencrypted" in caplog.text


def test_an_unreadable_key_file_stops_start_up(gateway_config, key_file):
    key_file.chmod(0o644)
    config = dataclasses.replace(gateway_config, storage=dataclasses.replace(gateway_config.storage,
                                                                             keys_file=key_file))
    with pytest.raises(ConfigError, match="chmod 600"):
        payload_codec(config)
