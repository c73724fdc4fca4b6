"""Security at rest, wired from the config: the payload codec, key reloads and payload retention.

- `payload_codec(config)`: AES-GCM over the key file of `[storage] keys_file`, or over `KETENPOORT_KEYS`; without
  either, payloads are stored as they are (a warning at start says so).
- `require_payload_keys(config)`: what `ketenpoort serve` checks first: a key ring, or `[storage] unencrypted = true`
  said on purpose. The gateway holds BSNs and names of whole municipalities: a production config that forgot its
  keys must not quietly store them in clear.
- `setup(app)` (listed after `gateway.services` in ROUTE_MODULES, so the store is open first): audits a changed
  config file (`gateway.config_audit`), re-reads the key
  file on SIGHUP and when it changes (`[security] key_reload_seconds`), and purges payloads past each tenant's
  retention (`[security] payload_retention_days`, `payload_retention_days_by_tenant`) once an hour.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from aiohttp import web

from gateway.appkeys import CONFIG_KEY, STORE_KEY
from gateway.config import Config, ConfigError
from gateway.config_audit import record_config_change
from queues import PayloadCodec
from queues.encryption import KEYS_ENV_VAR, EncryptingCodec, KeyRingError, KeyRingSource
from queues.retention import run_retention

log = logging.getLogger(__name__)
RETENTION_INTERVAL_SECONDS = 3600.0


def payload_codec(config: Config) -> PayloadCodec | None:
    """The codec for the store; None (the store's plain IdentityCodec) when no keys are configured."""
    if config.storage.keys_file is None and not os.environ.get(KEYS_ENV_VAR):
        log.warning("payloads are stored unencrypted: set [storage] keys_file (see `ketenpoort keys init`)")
        return None
    try:
        return EncryptingCodec(KeyRingSource(config.storage.keys_file))
    except KeyRingError as error:
        raise ConfigError(f"storage.keys_file: {error}") from None


def require_payload_keys(config: Config) -> None:
    """ConfigError unless payloads will be encrypted, or the config says `unencrypted = true` on purpose."""
    if config.storage.keys_file is None and not os.environ.get(KEYS_ENV_VAR) and not config.storage.unencrypted:
        raise ConfigError(
            "storage.keys_file: missing: payloads hold BSNs and names and are stored encrypted; create a key ring "
            "with `ketenpoort keys init --file keys.json` and set [storage] keys_file = \"keys.json\" (or give it in "
            f"{KEYS_ENV_VAR}), or for a development store set [storage] unencrypted = true")


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(security_tasks)


async def security_tasks(app: web.Application):
    config, store = app[CONFIG_KEY], app[STORE_KEY]
    await record_config_change(store, config)
    tasks = []
    keys = store.codec.keys if isinstance(store.codec, EncryptingCodec) else None
    sighup = False
    if isinstance(keys, KeyRingSource) and keys.path is not None:
        tasks.append(asyncio.create_task(keys.watch(config.security.key_reload_seconds)))
        sighup = _on_sighup(keys.try_reload)
    tenants = [tenant.gemeentecode for tenant in config.tenants]
    if any(config.security.retention_days(tenant) is not None for tenant in tenants):
        tasks.append(asyncio.create_task(
            run_retention(store, tenants, config.security.retention_days, RETENTION_INTERVAL_SECONDS)))
    try:
        yield
    finally:
        if sighup:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _on_sighup(callback) -> bool:
    """SIGHUP handlers need the main thread of a Unix process; elsewhere the file watch alone reloads."""
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, callback)
    except (NotImplementedError, RuntimeError, ValueError) as error:
        log.info("no SIGHUP key reload here (%s); the key file is still watched", error)
        return False
    return True
