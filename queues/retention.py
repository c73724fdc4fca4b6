"""Payload retention: purge each tenant's message payloads after its retention period; the metadata stays.

`run_retention` is a plain periodic task the gateway starts beside its server; `purge_expired_payloads` is one
pass of it (also what a test or a one-off command calls).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from .audit import RETENTION_PURGE, AuditEvent

log = logging.getLogger(__name__)


async def purge_expired_payloads(
    store,
    tenants: Iterable[str],
    retention_days: Callable[[str], int | None],
    now: datetime | None = None,
) -> dict[str, int]:
    """Purge, per tenant with a retention period, the payloads received before now - period; audit each purge.

    Returns the number of payloads purged per tenant (tenants without a period are left out).
    """
    now = now or datetime.now(timezone.utc)
    purged: dict[str, int] = {}
    for tenant in tenants:
        days = retention_days(tenant)
        if days is None:
            continue
        older_than = now - timedelta(days=days)
        purged[tenant] = count = await store.purge_payloads(tenant, older_than)
        if count:
            await store.audit(AuditEvent(
                actor="ketenpoort", role="system", action=RETENTION_PURGE, object_id=f"tenant:{tenant}",
                purpose=f"retention {days} days", detail={"purged": count, "older_than": older_than.isoformat()},
            ))
            log.info("retention: purged %d payload(s) of tenant %s received before %s", count, tenant, older_than)
    return purged


async def run_retention(
    store,
    tenants: Iterable[str],
    retention_days: Callable[[str], int | None],
    interval_seconds: float = 3600.0,
) -> None:
    """Run `purge_expired_payloads` now and then every `interval_seconds`, until cancelled. A failed pass is
    logged and tried again at the next interval (the store may be briefly unavailable)."""
    tenants = tuple(tenants)
    while True:
        try:
            await purge_expired_payloads(store, tenants, retention_days)
        except Exception:
            log.exception("retention pass failed; trying again in %s seconds", interval_seconds)
        await asyncio.sleep(interval_seconds)
