"""`Store.append_checked`: a check and the append it decides on in one transaction, alone among the holders of its
key in every process on the database. The check is the technical rules' (TR333: a DeclaratieNummer used twice),
modelled here by a Bericht row that may be appended once."""
from __future__ import annotations

import asyncio

import pytest

from queues import Appending, RegisterReader
from queues.checked_append import checked_append
from queues.encryption import EncryptingCodec, KeyRing
from store_helpers import entry
from test_register import BSN, OTHER_BSN, bericht, toewijzing

KEY = "rules:iwmo:aanbieder:12345678"


async def first_time(reader: RegisterReader, identificatie: str = "T1") -> Appending:
    """Accept the Bericht once: later checks find its row and reject."""
    if await reader.register_rows("bericht", {"identificatie": identificatie}):
        return Appending(entry(status="rejected", queue=None))
    return Appending(entry(status="accepted"), register=[bericht(identificatie)])


@pytest.fixture
def codec():
    return EncryptingCodec(KeyRing.generate())


async def test_concurrent_checks_of_one_key_accept_once_also_from_two_processes(database, codec):
    first, second = await database.open(payload_codec=codec), await database.open(payload_codec=codec)
    results = await asyncio.gather(*(store.append_checked(KEY, first_time) for store in (first, second) * 4))
    assert sorted(appending.entry.status for appending, _ in results) == ["accepted"] + ["rejected"] * 7
    assert all(result.created for _, result in results)
    assert len(await first.register_rows("bericht", {"identificatie": "T1"})) == 1
    assert await second.count() == 8


async def test_a_check_that_fails_appends_nothing_and_the_next_one_goes_on(database, codec):
    store = await database.open(payload_codec=codec)

    async def failing(reader: RegisterReader) -> Appending:
        await reader.register_rows("bericht", {"identificatie": "T1"})
        raise RuntimeError("the check failed")

    with pytest.raises(RuntimeError, match="the check failed"):
        await store.append_checked(KEY, failing)
    async with asyncio.timeout(10):
        appending, result = await store.append_checked(KEY, first_time)
    assert appending.entry.status == "accepted" and result.created
    assert await store.count() == 1


async def test_a_check_cancelled_inside_fails_alone(database, codec):
    """A future the check awaits is cancelled (its thread's executor went away): that check fails, the store goes
    on with the others."""
    store = await database.open(payload_codec=codec)

    async def cancelled_inside(reader: RegisterReader) -> Appending:
        future = asyncio.get_running_loop().create_future()
        future.cancel()
        await future
        raise AssertionError("a cancelled future returned")

    async with asyncio.timeout(10):
        outcomes = await asyncio.gather(store.append_checked(KEY, cancelled_inside),
                                        store.append_checked(KEY, first_time), return_exceptions=True)
    assert isinstance(outcomes[0], asyncio.CancelledError)
    assert outcomes[1][0].entry.status == "accepted"
    assert await store.count() == 1


async def test_a_check_awaits_a_thread_and_hears_of_its_failure(database, codec):
    store = await database.open(payload_codec=codec)

    def large_message_work() -> None:
        raise ValueError("the retour could not be built")

    async def with_a_thread(reader: RegisterReader) -> Appending:
        assert await asyncio.to_thread(sum, (1, 2)) == 3
        await asyncio.sleep(0)
        try:
            await asyncio.to_thread(large_message_work)
        except ValueError as error:
            return Appending(entry(status="rejected", queue=None, meta={"why": str(error)}))
        raise AssertionError("the thread's failure did not reach the check")

    appending, result = await store.append_checked(KEY, with_a_thread)
    assert (await store.get(result.id)).meta["why"] == "the retour could not be built"


async def test_without_a_key_ring_a_check_that_reads_the_register_fails_and_one_that_does_not_appends(database):
    store = await database.open()

    async def plain(reader: RegisterReader) -> Appending:
        return Appending(entry(status="accepted"))

    with pytest.raises(Exception, match="no key ring"):
        await store.append_checked(None, first_time)
    _, result = await store.append_checked(None, plain)
    assert result.created and await store.count() == 1


async def test_on_sqlite_checks_of_one_key_share_a_commit(sqlite_database, codec):
    """The check runs inside the group's transaction: the next holder of the key need not wait for the fsync."""
    store = await sqlite_database.open(payload_codec=codec)
    before = store.group_commit_stats()
    results = await asyncio.gather(*(store.append_checked(KEY, first_time) for _ in range(6)))
    after = store.group_commit_stats()
    assert [appending.entry.status for appending, _ in results] == ["accepted"] + ["rejected"] * 5
    assert (after["transactions"] - before["transactions"], after["operations"] - before["operations"]) == (1, 6)


async def waiting_for_the_lock(database, key: str) -> None:
    """Until PostgreSQL shows a session waiting for the advisory lock of `key` (at most 20 s)."""
    lock_id = f"ketenpoort:{database.options['schema']}:{key}"
    for _ in range(1000):
        [(waiting,)] = await database.rows(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(?, 0)", lock_id)
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no session waits for the lock of {key}")


@pytest.mark.postgres
async def test_on_postgresql_a_second_process_waits_for_the_key_and_other_keys_go_on(postgres_database, codec):
    first, second = (await postgres_database.open(payload_codec=codec),
                     await postgres_database.open(payload_codec=codec))
    inside, leave = asyncio.Event(), asyncio.Event()

    async def holding(reader: RegisterReader) -> Appending:
        inside.set()
        await leave.wait()
        return await first_time(reader)

    holder = asyncio.create_task(first.append_checked(KEY, holding))
    await inside.wait()
    async def of_another_sender(reader: RegisterReader) -> Appending:
        return await first_time(reader, "T2")

    other_key = await second.append_checked("rules:iwmo:aanbieder:87654321", of_another_sender)
    assert other_key[0].entry.status == "accepted"  # not held up
    waiter = asyncio.create_task(second.append_checked(KEY, first_time))
    await waiting_for_the_lock(postgres_database, KEY)
    leave.set()
    assert (await holder)[0].entry.status == "accepted"
    assert (await waiter)[0].entry.status == "rejected"  # it read after the holder's commit


def test_a_query_asked_again_in_one_check_costs_no_second_statement():
    """A check asks some register queries more than once (rules share look-ups); one reader answers them from its
    first answer: on PostgreSQL every statement is a round trip inside the key's turn."""
    keys = KeyRing.generate()
    statements = []

    async def asks_twice(reader: RegisterReader) -> Appending:
        first = await reader.register_rows("bericht", {"identificatie": "T1", "message": "WMO315"})
        first[0]["identificatie"] = "changed by the caller"
        again = await reader.register_rows("bericht", {"identificatie": "T1", "message": "WMO315"})
        other = await reader.register_rows("bericht", {"identificatie": "T2", "message": "WMO315"})
        assert again[0]["identificatie"] == "T1" and other == []
        return Appending(entry())

    def appending(appended: Appending):
        return (yield from ())

    operation = checked_append(asks_twice, RegisterReader(lambda: keys), appending)
    step = next(operation)
    with pytest.raises(StopIteration):
        while True:
            statements.append(step.params)
            found = "T1" in step.params
            step = operation.send([("iwmo", "WMO315", "12345678", "T1", "2026-01-01")] if found else [])
    assert statements == [["T1", "WMO315"], ["T2", "WMO315"]]


async def test_a_query_within_one_asked_before_is_answered_from_it_alike_on_every_backend(database, codec):
    """The reader asks for a client's rows as a whole (its index) and narrows them for the next queries: the answers
    are those of the store's own queries."""
    store = await database.open(payload_codec=codec)
    await store.append(entry(idempotency_key="k0"), register=[
        toewijzing("20072"), toewijzing("20073"), toewijzing("20074", bsn=OTHER_BSN)])
    client = {"standard": "iwmo", "tenant": "0448", "agb": "12345678", "bsn": BSN}
    queries = [client | {"toewijzingnummer": "20073"}, client, client | {"toewijzingnummer": "20099"},
               client | {"toewijzingnummer": "20072", "referentie_aanbieder": None},
               {"standard": "iwmo", "tenant": "0448", "toewijzingnummer": "20074"}]
    answers = []

    async def asks(reader: RegisterReader) -> Appending:
        answers.extend([await reader.register_rows("toewijzing", where) for where in queries])
        return Appending(entry())

    await store.append_checked(KEY, asks)
    assert answers == [await store.register_rows("toewijzing", where) for where in queries]
    assert [[row["toewijzingnummer"] for row in answer] for answer in answers] == [
        ["20073"], ["20072", "20073"], [], ["20072"], ["20074"]]


def test_queries_within_a_client_asked_before_cost_no_statement():
    keys = KeyRing.generate()
    client = {"standard": "iwmo", "tenant": "0448", "agb": "12345678", "bsn": BSN}

    async def asks(reader: RegisterReader) -> Appending:
        for number in ("20072", "20073", "20072"):
            await reader.register_rows("toewijzing", client | {"toewijzingnummer": number})
        await reader.register_rows("toewijzing", client)
        await reader.register_rows("start", client)
        return Appending(entry())

    def appending(appended: Appending):
        return (yield from ())

    operation = checked_append(asks, RegisterReader(lambda: keys), appending)
    statements = []
    step = next(operation)
    with pytest.raises(StopIteration):
        while True:
            statements.append(step.sql.split(" FROM ")[1].split(" WHERE ")[0])
            step = operation.send([])
    assert statements == ["register_toewijzing r", "register_start r"]
