"""Where the audit chain lives: the `audit_log` and `audit_head` tables in the store's database (SQLite or PostgreSQL).

Appends serialise on the one `audit_head` row (PostgreSQL: `SELECT ... FOR UPDATE`; SQLite: `BEGIN IMMEDIATE`),
so several gateway processes writing to one database still build one chain. Triggers refuse UPDATE and DELETE on
`audit_log`; the hash chain catches whoever disables them.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from pathlib import Path

from queues.audit import GENESIS_HASH, AuditEvent, AuditRecord, ChainVerifier, Verification, verify_records

COLUMNS = "seq, at, actor, role, action, object_id, purpose, outcome, detail, prev_hash, hash"
PAGE = 1000

_TABLES = """
CREATE TABLE IF NOT EXISTS audit_log (
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
);
CREATE INDEX IF NOT EXISTS audit_log_object ON audit_log (object_id);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, at);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
"""
_HEAD_ROW = f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}') ON CONFLICT DO NOTHING;"

SQLITE_SCHEMA = _TABLES + _HEAD_ROW + """
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""

POSTGRES_SCHEMA = _TABLES + _HEAD_ROW + """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""


def _record(row) -> AuditRecord:
    values = dict(zip(COLUMNS.split(", "), row))
    try:
        values["detail"] = json.loads(values["detail"])
    except json.JSONDecodeError:
        pass  # left as text, the record's hash no longer matches and verification names it as edited
    return AuditRecord(**values)


def _row(record: AuditRecord) -> tuple:
    return (record.seq, record.at, record.actor, record.role, record.action, record.object_id, record.purpose,
            record.outcome, record.detail_json(), record.prev_hash, record.hash)


class SqliteAuditLog:
    """The audit chain in a SQLite database file; blocking work runs in a thread, one statement at a time."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(SQLITE_SCHEMA)

    def close(self) -> None:
        self._db.close()

    async def append(self, event: AuditEvent) -> AuditRecord:
        return await asyncio.to_thread(self._append, event)

    def _append(self, event: AuditEvent) -> AuditRecord:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seq, head_hash = self._db.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
                record = AuditRecord.chained(event, seq + 1, head_hash)
                self._db.execute(f"INSERT INTO audit_log ({COLUMNS}) VALUES ({', '.join('?' * 11)})", _row(record))
                self._db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (record.seq, record.hash))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return record

    async def records(self, after_seq: int = 0, limit: int = PAGE) -> list[AuditRecord]:
        return await asyncio.to_thread(self._query, f"SELECT {COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq "
                                                    f"LIMIT ?", (after_seq, limit))

    def _query(self, sql: str, params: tuple) -> list[AuditRecord]:
        with self._lock:
            return [_record(row) for row in self._db.execute(sql, params).fetchall()]

    async def verify(self) -> Verification:
        return await asyncio.to_thread(self._verify)

    def _verify(self) -> Verification:
        # One read transaction: the head and the records come from the same snapshot.
        with self._lock:
            self._db.execute("BEGIN")
            try:
                head_seq, head_hash = self._db.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
                rows = self._db.execute(f"SELECT {COLUMNS} FROM audit_log ORDER BY seq")
                return verify_records((_record(row) for row in rows), head_seq, head_hash)
            finally:
                self._db.execute("COMMIT")


class PostgresAuditLog:
    """The audit chain in PostgreSQL through an asyncpg pool (or anything with `acquire()`)."""

    def __init__(self, pool) -> None:
        self._pool = pool

    async def create_schema(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(POSTGRES_SCHEMA)

    async def append(self, event: AuditEvent) -> AuditRecord:
        async with self._pool.acquire() as conn, conn.transaction():
            head = await conn.fetchrow("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
            record = AuditRecord.chained(event, head["seq"] + 1, head["hash"])
            await conn.execute(f"INSERT INTO audit_log ({COLUMNS}) VALUES ({', '.join(f'${i}' for i in range(1, 12))})",
                               *_row(record))
            await conn.execute("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", record.seq, record.hash)
        return record

    async def records(self, after_seq: int = 0, limit: int = PAGE) -> list[AuditRecord]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                                    after_seq, limit)
        return [_record(tuple(row)) for row in rows]

    async def verify(self) -> Verification:
        verifier = ChainVerifier()
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            head = await conn.fetchrow("SELECT seq, hash FROM audit_head WHERE id = 1")
            async for row in conn.cursor(f"SELECT {COLUMNS} FROM audit_log ORDER BY seq", prefetch=PAGE):
                if not verifier.feed(_record(tuple(row))):
                    break
        return verifier.finish(head["seq"], head["hash"])
