"""Configuration changes in the audit trail: at start-up, when the config file differs from the one the gateway
last started with (or it is the first start on this store), one `config.change` record with the file's SHA-256
and the previous one. The trail itself remembers the last start's hash, so a store shared by several instances
records a change once. Configs built in code (tests) have no file and leave no record.
"""
from __future__ import annotations

import hashlib
import logging

from gateway.config import Config
from queues import Store
from queues.audit import CONFIG_CHANGE, AuditEvent, AuditRecord

log = logging.getLogger(__name__)
CONFIG_OBJECT = "config"
SYSTEM_ACTOR, SYSTEM_ROLE = "ketenpoort", "system"
PAGE = 500


def config_digest(config: Config) -> str | None:
    """SHA-256 of the config file the gateway runs with; None when it came from no file."""
    if config.source is None:
        return None
    return hashlib.sha256(config.source.read_bytes()).hexdigest()


async def last_config_digest(store: Store) -> str | None:
    """The config hash of the newest `config.change` record, or None before the first."""
    last, after = None, 0
    while page := await store.audit_records(after_seq=after, limit=PAGE, object_id=CONFIG_OBJECT):
        changes = [record for record in page if record.action == CONFIG_CHANGE]
        if changes:
            last = changes[-1].detail.get("sha256")
        after = page[-1].seq
    return last


async def record_config_change(store: Store, config: Config) -> AuditRecord | None:
    """The `config.change` record written for this start, or None when the config is the one of the last start."""
    try:
        digest = config_digest(config)
    except OSError as error:  # read at start-up a moment ago; gone now, the start itself still stands
        log.warning("config file not hashed for the audit trail: %s", error)
        return None
    if digest is None:
        return None
    previous = await last_config_digest(store)
    if previous == digest:
        return None
    record = await store.audit(AuditEvent(
        actor=SYSTEM_ACTOR, role=SYSTEM_ROLE, action=CONFIG_CHANGE, object_id=CONFIG_OBJECT,
        detail={"file": str(config.source), "sha256": digest, "previous_sha256": previous},
    ))
    log.info("config changed since the last start (audit record %d)", record.seq)
    return record
