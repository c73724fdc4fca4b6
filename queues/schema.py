"""The schema, as numbered migrations applied at start-up by both backends.

A new table (the audit trail, the register of allocations the technical rules read) is a new entry at the end of
MIGRATIONS; a released migration is never edited. Times are seconds since the epoch (UTC); JSON is stored as
text; a NULL payload is one purged by retention.
"""
from __future__ import annotations

from collections.abc import Callable

from .audit_ops import audit_tables
from .errors import SchemaVersionError
from .register_ops import register_tables, toewijzing_reference_index
from .sql import Dialect, Operation, Query


def _journal_and_queues(d: Dialect) -> list[str]:
    return [
        f"""CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            received_at {d.real} NOT NULL,
            updated_at {d.real} NOT NULL,
            standard TEXT NOT NULL,
            message_type TEXT NOT NULL,
            direction TEXT NOT NULL,
            tenant TEXT,
            partner TEXT,
            status TEXT NOT NULL,
            idempotency_key TEXT UNIQUE,
            bericht_identificatie TEXT,
            dagtekening TEXT,
            correlation_id TEXT,
            retourcodes TEXT NOT NULL,
            meta TEXT NOT NULL,
            payload_codec TEXT NOT NULL,
            payload {d.blob}
        )""",
        # Search is newest first, optionally narrowed by one of these columns: each index ends in the sort order.
        # (Not by standard: few values, and the message type narrows better.)
        "CREATE INDEX messages_received ON messages (received_at, id)",
        "CREATE INDEX messages_tenant ON messages (tenant, received_at, id)",
        "CREATE INDEX messages_partner ON messages (partner, received_at, id)",
        "CREATE INDEX messages_type ON messages (message_type, received_at, id)",
        "CREATE INDEX messages_status ON messages (status, received_at, id)",
        # Only the rows that have one are indexed (most messages answer no other: correlation_id is NULL).
        "CREATE INDEX messages_bericht ON messages (bericht_identificatie) WHERE bericht_identificatie IS NOT NULL",
        "CREATE INDEX messages_correlation ON messages (correlation_id) WHERE correlation_id IS NOT NULL",
        """CREATE TABLE message_retourcodes (
            message_id TEXT NOT NULL REFERENCES messages (id),
            code TEXT NOT NULL,
            PRIMARY KEY (message_id, code)
        )""",
        "CREATE INDEX message_retourcodes_code ON message_retourcodes (code, message_id)",
        f"""CREATE TABLE message_events (
            id {d.serial_key},
            message_id TEXT NOT NULL REFERENCES messages (id),
            at {d.real} NOT NULL,
            event TEXT NOT NULL,
            detail TEXT NOT NULL
        )""",
        "CREATE INDEX message_events_message ON message_events (message_id, id)",
        # One row per message while it is on a queue; ack deletes it (the journal keeps the message).
        # A leased row stays 'ready' with lease_token set and visible_at = lease expiry.
        f"""CREATE TABLE queue_items (
            message_id TEXT PRIMARY KEY REFERENCES messages (id),
            queue TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('ready', 'dead')),
            visible_at {d.real} NOT NULL,
            attempts INTEGER NOT NULL,
            lease_token TEXT,
            enqueued_at {d.real} NOT NULL,
            dead_at {d.real},
            reason TEXT
        )""",
        "CREATE INDEX queue_items_ready ON queue_items (queue, visible_at) WHERE state = 'ready'",
        "CREATE INDEX queue_items_dead ON queue_items (queue, dead_at, message_id) WHERE state = 'dead'",
    ]


def _delivery_events_index(d: Dialect) -> list[str]:
    # Partner health (statistics.delivery_counts) reads the delivery events among all events: by event, with the
    # time and message it needs in the index, so neither backend reads the whole timeline table.
    return ["CREATE INDEX message_events_event ON message_events (event, at, message_id)"]


def _payloads_kept_index(d: Dialect) -> list[str]:
    # Retention looks for a tenant's oldest payloads still kept. Through messages_tenant it would walk, in every
    # batch, past all the messages whose payloads it purged before (years of them); this index holds only the rest.
    return ["CREATE INDEX messages_payload_kept ON messages (tenant, received_at, id) WHERE payload IS NOT NULL"]


MIGRATIONS: list[Callable[[Dialect], list[str]]] = [
    _journal_and_queues, audit_tables, register_tables, _delivery_events_index, toewijzing_reference_index,
    _payloads_kept_index,
]
LATEST_VERSION = len(MIGRATIONS)


def version() -> Operation[int | None]:
    """The schema version of the database (None before the first migration)."""
    rows = yield Query("SELECT version FROM schema_version")
    return rows[0]["version"] if rows else None


def migrate(dialect: Dialect, database: str, *, allowed: bool) -> Operation[int]:
    """Bring the schema to LATEST_VERSION; return the version found. Also proves the database is writable."""
    yield Query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    current = yield from version()
    found = current or 0
    if found > LATEST_VERSION:
        raise SchemaVersionError(
            f"{database} has schema version {found}, newer than this Ketenpoort knows ({LATEST_VERSION}): "
            "upgrade Ketenpoort, or point it at another database"
        )
    if found < LATEST_VERSION and not allowed:
        raise SchemaVersionError(
            f"{database} has schema version {found}, older than this Ketenpoort needs ({LATEST_VERSION}), "
            "and migrations are switched off: start once with migrations on, or migrate it"
        )
    for number in range(found + 1, LATEST_VERSION + 1):
        for statement in MIGRATIONS[number - 1](dialect):
            yield Query(statement)
    if current is not None:
        yield Query("UPDATE schema_version SET version = ?", (LATEST_VERSION,))
    else:
        yield Query("INSERT INTO schema_version (version) VALUES (?)", (LATEST_VERSION,))
    return found
