"""The audit trail in the store's database, on each backend: one hash chain under concurrent appends, and
verification that names the edited, inserted or removed record."""
from __future__ import annotations

import asyncio

import pytest

from queues.audit import GENESIS_HASH, LOOKUP, PAYLOAD_VIEW, AuditEvent, AuditRecord, ChainVerifier
from queues.audit_ops import COLUMNS
from store_helpers import tamper


def event(number: int = 0) -> AuditEvent:
    return AuditEvent(actor="operator-anna", role="operator", action=PAYLOAD_VIEW, object_id=f"msg-{number}",
                      purpose="support ticket 42", detail={"tenant": "0448", "n": number})


async def filled(store, count: int = 5):
    for number in range(1, count + 1):
        await store.audit(event(number))
    return store


async def test_appended_records_form_an_intact_chain(store, clock):
    await filled(store)
    result = await store.verify_audit()
    assert result.intact, result.summary()
    assert (result.records, result.head_seq) == (5, 5)
    records = await store.audit_records()
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[1].prev_hash == records[0].hash
    assert records[2].detail == {"tenant": "0448", "n": 3}
    assert records[0].at.startswith("2026-01-01T00:00:00")
    assert [r.seq for r in await store.audit_records(after_seq=3, limit=1)] == [4]
    assert [r.seq for r in await store.audit_records(object_id="msg-2")] == [2]


async def test_empty_trail_is_intact(store):
    result = await store.verify_audit()
    assert (result.intact, result.records, result.head_hash) == (True, 0, GENESIS_HASH)


@pytest.mark.parametrize("statement, bad_seq, problem", [
    ("UPDATE audit_log SET purpose = 'curiosity' WHERE seq = 3", 3, "record 3 was edited"),
    ("UPDATE audit_log SET detail = '{\"n\": 3, \"tenant\": \"0400\"}' WHERE seq = 3", 3, "record 3 was edited"),
    ("UPDATE audit_log SET detail = 'not json' WHERE seq = 3", 3, "record 3 was edited"),
    ("DELETE FROM audit_log WHERE seq = 2", 2, "record 2 removed"),
    ("DELETE FROM audit_log WHERE seq >= 4", 4, "records 4..5 removed from the end"),
])
async def test_edited_or_removed_record_is_named(database, store, statement, bad_seq, problem):
    await filled(store)
    await tamper(database, statement)
    result = await store.verify_audit()
    assert (result.intact, result.bad_seq) == (False, bad_seq)
    assert problem in result.problem


def _insert(record: AuditRecord) -> str:
    values = (record.seq, record.at, record.actor, record.role, record.action, record.object_id, record.purpose,
              record.outcome, record.detail_json(), record.prev_hash, record.hash)
    shown = ", ".join(f"'{value}'" if isinstance(value, str) else str(value) for value in values)
    return f"INSERT INTO audit_log ({COLUMNS}) VALUES ({shown})"


async def test_record_slipped_into_the_middle_is_named(database, store):
    await filled(store, 4)
    records = await store.audit_records()
    forged = AuditRecord.chained(event(99), 3, records[1].hash)
    # The forger shifts records 3 and 4 up, hashes and all, and puts a well-chained record 3 in the gap.
    await tamper(database, "UPDATE audit_log SET seq = seq + 10 WHERE seq >= 3",
                 "UPDATE audit_log SET seq = seq - 9 WHERE seq >= 13", _insert(forged))
    result = await store.verify_audit()
    assert (result.intact, result.bad_seq) == (False, 4)
    assert "record 4 does not link to record 3: 3 was inserted" in result.problem


async def test_record_added_past_the_head_is_named(database, store):
    await filled(store, 3)
    last = (await store.audit_records())[-1]
    await database.rows(_insert(AuditRecord.chained(event(4), 4, last.hash)))
    result = await store.verify_audit()
    assert (result.intact, result.bad_seq) == (False, 4)
    assert "record 4 was inserted past the chain head" in result.problem


async def test_last_record_replaced_with_a_rehashed_one_is_named(database, store):
    await filled(store, 3)
    records = await store.audit_records()
    forged = AuditRecord.chained(event(77), 3, records[1].hash)
    await tamper(database, "DELETE FROM audit_log WHERE seq = 3", _insert(forged))
    result = await store.verify_audit()
    assert (result.intact, result.bad_seq) == (False, 3)
    assert "does not match the chain head" in result.problem


async def test_update_and_delete_are_refused(database, store):
    await filled(store, 2)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            await database.rows(statement)
    assert len(await store.audit_records()) == 2


async def test_concurrent_appends_from_several_processes_keep_one_chain(database, store):
    others = [await database.open(), await database.open()]
    await asyncio.gather(*(s.audit(event(n)) for n in range(20) for s in (store, *others)))
    result = await store.verify_audit()
    assert result.intact, result.summary()
    assert result.records == 60


def test_every_field_is_covered_by_the_hash():
    record = AuditRecord.chained(event(1), 1, GENESIS_HASH)
    for name, value in record.content().items():
        changed = dict(record.content(), **{name: 2 if isinstance(value, int) else "changed"})
        verifier = ChainVerifier()
        verifier.feed(AuditRecord(**changed, prev_hash=record.prev_hash, hash=record.hash))
        assert not verifier.finish(1, record.hash).intact, name


@pytest.mark.parametrize("detail", [{"bsn": "999993653"}, {"people": [{"id": 999993653}]}])
def test_bsn_in_clear_in_the_detail_is_refused(detail):
    with pytest.raises(ValueError, match="looks like a BSN"):
        AuditEvent(actor="a", role="backoffice", action=LOOKUP, detail=detail)


def test_numbers_that_are_not_a_bsn_are_allowed():
    AuditEvent(actor="a", role="backoffice", action=LOOKUP, detail={"count": 123456789, "agb": "12345678"})
