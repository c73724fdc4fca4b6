"""Helpers for the store's tests (a module of its own: conftest modules are not for importing)."""
from __future__ import annotations

from typing import Any

from queues import MessageEntry
from queues.sql import numbered_placeholders


class FakeClock:
    """The store's clock, moved by hand: lease expiry and backoff without sleeping."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def entry(**fields: Any) -> MessageEntry:
    """A WMO301 from provider 12345678 to Texel, onto its inbox unless told otherwise."""
    values: dict[str, Any] = dict(
        payload=b"<Bericht>WMO301</Bericht>", standard="iwmo", message_type="WMO301", direction="inbound",
        tenant="0448", partner="12345678", queue="inbox:0448",
    )
    values.update(fields)
    return MessageEntry(**values)


async def tamper(database, *statements: str) -> None:
    """Change audit_log as someone with database access would: around its append-only triggers."""
    if database.kind == "sqlite":
        around = ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]
    else:
        around = ["ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"]
    for statement in (*around, *statements):
        await database.rows(statement)


async def postgres_plan(database, query) -> list[str]:
    """The query's plan on PostgreSQL when the planner avoids sequential scans: an index it can use shows up."""
    import asyncpg

    connection = await asyncpg.connect(database.url, server_settings={
        "search_path": database.options["schema"], "enable_seqscan": "off"})
    try:
        return [row[0] for row in await connection.fetch(f"EXPLAIN {numbered_placeholders(query.sql)}",
                                                          *query.params)]
    finally:
        await connection.close()
