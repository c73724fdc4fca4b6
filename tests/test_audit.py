"""The tamper-evident audit log on SQLite and PostgreSQL: appends, one chain under concurrency, and verification
that names the edited, inserted or removed record."""
from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3

import pytest

from queues.audit import LOOKUP, PAYLOAD_VIEW, AuditEvent, AuditRecord, verify_records
from queues.audit_store import COLUMNS, PostgresAuditLog, SqliteAuditLog

asyncpg = pytest.importorskip("asyncpg")


def event(number: int = 0) -> AuditEvent:
    return AuditEvent(actor="operator-anna", role="operator", action=PAYLOAD_VIEW, object_id=f"msg-{number}",
                      purpose="support ticket 42", detail={"tenant": "0448", "n": number})


class SqliteBackend:
    def __init__(self, tmp_path):
        self.path = tmp_path / "store.sqlite3"
        self.log = SqliteAuditLog(self.path)

    def open_another(self) -> SqliteAuditLog:
        return SqliteAuditLog(self.path)

    async def sql(self, statement: str) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.executescript(statement)
        db.close()

    async def tamper(self, statement: str) -> None:
        """Change the table the way someone with database access would: around the append-only triggers."""
        await self.sql("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;" + statement)

    async def close(self):
        self.log.close()


class PostgresBackend:
    """Each test gets its own schema, so tests do not see each other's chain."""

    @classmethod
    async def create(cls, dsn: str) -> PostgresBackend:
        backend = cls()
        backend.dsn = dsn
        backend.schema = f"audit_test_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(dsn)
        await admin.execute(f"CREATE SCHEMA {backend.schema}")
        await admin.close()
        backend.pools = []
        backend.log = await backend.open_another()
        await backend.log.create_schema()
        return backend

    async def open_another(self) -> PostgresAuditLog:
        pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=4,
                                         server_settings={"search_path": self.schema})
        self.pools.append(pool)
        return PostgresAuditLog(pool)

    async def sql(self, statement: str) -> None:
        conn = await asyncpg.connect(self.dsn, server_settings={"search_path": self.schema})
        await conn.execute(statement)
        await conn.close()

    async def tamper(self, statement: str) -> None:
        await self.sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;" + statement)

    async def close(self):
        for pool in self.pools:
            await pool.close()
        await self.sql(f"DROP SCHEMA {self.schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def backend(request, tmp_path):
    if request.param == "sqlite":
        backend = SqliteBackend(tmp_path)
    else:
        dsn = os.environ.get("KETENPOORT_TEST_POSTGRES_DSN")
        if not dsn:
            pytest.skip("KETENPOORT_TEST_POSTGRES_DSN is not set")
        try:
            backend = await PostgresBackend.create(dsn)
        except (OSError, asyncpg.PostgresError) as error:
            pytest.skip(f"PostgreSQL at KETENPOORT_TEST_POSTGRES_DSN unreachable: {error}")
    yield backend
    await backend.close()


async def filled(backend, count: int = 5):
    for number in range(1, count + 1):
        await backend.log.append(event(number))
    return backend.log


async def test_appended_records_form_an_intact_chain(backend):
    log = await filled(backend)
    result = await log.verify()
    assert result.intact, result.summary()
    assert (result.records, result.head_seq) == (5, 5)
    records = await log.records()
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[1].prev_hash == records[0].hash
    assert records[2].detail == {"tenant": "0448", "n": 3}
    assert [r.seq for r in await log.records(after_seq=3, limit=1)] == [4]


async def test_empty_log_is_intact(backend):
    assert (await backend.log.verify()).intact


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET purpose = 'curiosity' WHERE seq = 3",
    "UPDATE audit_log SET detail = '{\"n\": 3, \"tenant\": \"0400\"}' WHERE seq = 3",
    "UPDATE audit_log SET detail = 'not json' WHERE seq = 3",
])
async def test_edited_record_is_named(backend, statement):
    log = await filled(backend)
    await backend.tamper(statement)
    result = await log.verify()
    assert not result.intact
    assert result.bad_seq == 3
    assert "record 3 was edited" in result.problem


async def test_removed_record_is_named_by_the_gap(backend):
    log = await filled(backend)
    await backend.tamper("DELETE FROM audit_log WHERE seq = 2")
    result = await log.verify()
    assert (result.intact, result.bad_seq) == (False, 2)
    assert "record 2 removed" in result.problem


async def test_records_removed_from_the_end_are_named(backend):
    log = await filled(backend)
    await backend.tamper("DELETE FROM audit_log WHERE seq >= 4")
    result = await log.verify()
    assert (result.intact, result.bad_seq) == (False, 4)
    assert "records 4..5 removed from the end" in result.problem


async def test_inserted_record_is_named(backend):
    log = await filled(backend, 3)
    records = await log.records()
    forged = AuditRecord.chained(event(99), 3, records[1].hash)
    values = ", ".join(f"'{value}'" if isinstance(value, str) else str(value) for value in (
        forged.seq, forged.at, forged.actor, forged.role, forged.action, forged.object_id, forged.purpose,
        forged.outcome, forged.detail_json(), forged.prev_hash, forged.hash))
    # Slip the forged record in as number 3 and shift the real one to 4, hashes and all.
    await backend.tamper(f"UPDATE audit_log SET seq = 4 WHERE seq = 3; INSERT INTO audit_log ({COLUMNS}) "
                         f"VALUES ({values})")
    result = await log.verify()
    assert (result.intact, result.bad_seq) == (False, 4)
    assert "record 4" in result.problem


async def test_record_appended_outside_the_log_is_named(backend):
    log = await filled(backend, 3)
    head = (await log.records())[-1]
    extra = AuditRecord.chained(event(4), 4, head.hash)
    await backend.sql(f"INSERT INTO audit_log ({COLUMNS}) VALUES (4, '{extra.at}', 'x', 'x', 'x', '', '', 'success', "
                      f"'{{}}', '{extra.prev_hash}', '{extra.hash}')")
    result = await log.verify()
    assert (result.intact, result.bad_seq) == (False, 4)


async def test_update_and_delete_are_refused(backend):
    await filled(backend, 2)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises((sqlite3.DatabaseError, asyncpg.PostgresError), match="append-only"):
            await backend.sql(statement)


async def test_concurrent_appends_from_several_processes_keep_one_chain(backend):
    logs = [backend.log, await _maybe_await(backend.open_another()), await _maybe_await(backend.open_another())]
    await asyncio.gather(*(log.append(event(n)) for n in range(20) for log in logs))
    result = await backend.log.verify()
    assert result.intact, result.summary()
    assert result.records == 60


async def _maybe_await(value):
    return await value if asyncio.iscoroutine(value) else value


def test_every_field_is_covered_by_the_hash():
    record = AuditRecord.chained(event(1), 1, "0" * 64)
    for name, value in record.content().items():
        changed = dict(record.content(), **{name: 2 if isinstance(value, int) else "changed"})
        forged = AuditRecord(**changed, prev_hash=record.prev_hash, hash=record.hash)
        assert not verify_records([forged], 1, record.hash).intact, name


@pytest.mark.parametrize("detail", [{"bsn": "999993653"}, {"people": [{"id": 999993653}]}])
def test_bsn_in_clear_in_the_detail_is_refused(detail):
    with pytest.raises(ValueError, match="looks like a BSN"):
        AuditEvent(actor="a", role="backoffice", action=LOOKUP, detail=detail)


def test_numbers_that_are_not_a_bsn_are_allowed():
    AuditEvent(actor="a", role="backoffice", action=LOOKUP, detail={"count": 123456789, "agb": "12345678"})
