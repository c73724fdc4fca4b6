"""The audit trail in the store's database: its tables (a migration), append, listing and verification.

Appends serialise on the one `audit_head` row (PostgreSQL: `SELECT ... FOR UPDATE`; SQLite: its single writer),
so several gateway processes on one database still build one chain. Triggers refuse UPDATE and DELETE on
`audit_log`; the hash chain catches whoever gets around them.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from .audit import GENESIS_HASH, AuditEvent, AuditRecord, ChainVerifier, Verification
from .sql import Dialect, Operation, Query, placeholders

T = TypeVar("T")
COLUMNS = "seq, at, actor, role, action, object_id, purpose, outcome, detail, prev_hash, hash"
PAGE = 1000


def audit_tables(d: Dialect) -> list[str]:
    """The migration that adds the audit trail."""
    if d.name == "postgresql":
        append_only = [
            """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
            """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
        ]
    else:
        append_only = [
            f"""CREATE TRIGGER audit_log_no_{verb} BEFORE {verb.upper()} ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
            for verb in ("update", "delete")
        ]
    return [
        """CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            object_id TEXT NOT NULL,
            purpose TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        "CREATE INDEX audit_log_object ON audit_log (object_id, seq)",
        "CREATE INDEX audit_log_actor ON audit_log (actor, seq)",
        """CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL
        )""",
        f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')",
        *append_only,
    ]


def append(event: AuditEvent, d: Dialect, now: float) -> Operation[AuditRecord]:
    rows = yield Query(f"SELECT seq, hash FROM audit_head WHERE id = 1 {d.for_update}")
    at = datetime.fromtimestamp(now, UTC).isoformat(timespec="microseconds")
    record = AuditRecord.chained(event, rows[0]["seq"] + 1, rows[0]["hash"], at)
    yield Query(f"INSERT INTO audit_log ({COLUMNS}) VALUES ({placeholders(11)})", (
        record.seq, record.at, record.actor, record.role, record.action, record.object_id, record.purpose,
        record.outcome, record.detail_json(), record.prev_hash, record.hash,
    ))
    yield Query("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (record.seq, record.hash))
    return record


def records(after_seq: int, limit: int, up_to: int | None = None, object_id: str | None = None,
            ) -> Operation[list[AuditRecord]]:
    """Records after `after_seq` in sequence order; `up_to` and `object_id` narrow them."""
    conditions, params = ["seq > ?"], [after_seq]
    if up_to is not None:
        conditions.append("seq <= ?")
        params.append(up_to)
    if object_id is not None:
        conditions.append("object_id = ?")
        params.append(object_id)
    rows = yield Query(f"SELECT {COLUMNS} FROM audit_log WHERE {' AND '.join(conditions)} ORDER BY seq LIMIT ?",
                       (*params, limit))
    return [_record(row) for row in rows]


def head() -> Operation[tuple[int, str]]:
    rows = yield Query("SELECT seq, hash FROM audit_head WHERE id = 1")
    return rows[0]["seq"], rows[0]["hash"]


def first_beyond_head() -> Operation[int | None]:
    """A record numbered past the head was not appended through the audit log."""
    rows = yield Query("SELECT MIN(seq) AS seq FROM audit_log WHERE seq > (SELECT seq FROM audit_head WHERE id = 1)")
    return rows[0]["seq"]


async def verify(read: Callable[[Operation[Any]], Awaitable[Any]]) -> Verification:
    """Walk the chain up to the head in pages (appends may go on meanwhile), then look past the head."""
    head_seq, head_hash = await read(head())
    verifier = ChainVerifier()
    after = 0
    while batch := await read(records(after, PAGE, up_to=head_seq)):
        if not all(verifier.feed(record) for record in batch):
            break
        after = batch[-1].seq
    result = verifier.finish(head_seq, head_hash)
    if result.intact:
        stray = await read(first_beyond_head())
        if stray is not None:
            return verifier.fail(stray, f"record {stray} was inserted past the chain head (not appended through "
                                        f"the audit log)")
    return result


def _record(row: Any) -> AuditRecord:
    values = {name: row[name] for name in COLUMNS.split(", ")}
    try:
        values["detail"] = json.loads(values["detail"])
    except json.JSONDecodeError:
        pass  # left as text: the hash no longer matches, and verification names the record as edited
    return AuditRecord(**values)
