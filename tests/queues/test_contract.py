"""The store's contract, the same on every backend: what the gateway relies on from the journal and the queues."""
from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from store_helpers import entry

from queues import (
    Appending, LeaseLost, MessageNotFound, NotDeadLettered, RetryPolicy, SchemaVersionError, SearchFilters,
    StoreError,
)
from queues.encryption import EncryptingCodec, KeyRing, PayloadIntegrityError

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


# journal


async def test_append_journals_the_message_with_all_its_metadata(store, clock):
    result = await store.append(entry(
        status="validated", idempotency_key="12345678:WMO301:4711", bericht_identificatie="4711",
        dagtekening="2026-01-01", correlation_id="elsewhere", retourcodes=("0001", "8001"),
        meta={"release": "3.2", "size": 25},
    ))
    assert result.created
    message = await store.get(result.id)
    assert message.payload == b"<Bericht>WMO301</Bericht>"
    assert (message.standard, message.message_type, message.direction) == ("iwmo", "WMO301", "inbound")
    assert (message.tenant, message.partner, message.status) == ("0448", "12345678", "validated")
    assert (message.bericht_identificatie, message.dagtekening) == ("4711", "2026-01-01")
    assert message.idempotency_key == "12345678:WMO301:4711"
    assert message.correlation_id == "elsewhere"
    assert message.retourcodes == ("0001", "8001")
    assert message.meta == {"release": "3.2", "size": 25}
    assert message.received_at == datetime.fromtimestamp(clock.now, UTC)
    assert (message.queue, message.queue_state, message.attempts) == ("inbox:0448", "ready", 0)
    assert [event.event for event in await store.timeline(result.id)] == ["validated", "queued"]


async def test_ack_on_given_queues_leaves_a_lease_on_any_other_alone(store):
    result = await store.append(entry(queue="inbox:0448"))
    [leased] = await store.lease("inbox:0448", 1, 60)
    assert not await store.ack(result.id, leased.token, queues=["inbox:0400"])
    assert not await store.ack(result.id, leased.token, queues=[])
    assert not await store.ack(UNKNOWN_ID, leased.token, queues=["inbox:0448"])
    assert (await store.get(result.id, payload=False)).queue_state == "leased"
    assert await store.ack(result.id, leased.token, queues=["inbox:0400", "inbox:0448"])
    assert (await store.get(result.id, payload=False)).queue is None
    assert [event.event for event in await store.timeline(result.id)][-1] == "acked"


async def test_ack_many_acks_the_current_leases_on_given_queues_in_one_go_and_leaves_the_rest(store):
    ids = [(await store.append(entry(queue="inbox:0448"))).id for _ in range(4)]
    elsewhere = (await store.append(entry(queue="inbox:0400"))).id
    tokens = {item.message.id: item.token for item in await store.lease("inbox:0448", 4, 60)}
    tokens[elsewhere] = (await store.lease("inbox:0400", 1, 60))[0].token
    acked = await store.ack_many(
        [(ids[0], tokens[ids[0]]), (ids[1], tokens[ids[1]]), (ids[1], tokens[ids[1]]), (ids[2], "not-the-token"),
         (UNKNOWN_ID, tokens[ids[3]]), (elsewhere, tokens[elsewhere])], queues=["inbox:0448"])
    assert acked == {ids[0], ids[1]}
    for message_id in ids[:2]:
        record = await store.get(message_id, payload=False)
        assert (record.queue, record.status) == (None, "acked")
        assert [(e.event, e.detail) for e in await store.timeline(message_id)][-1] == (
            "acked", {"queue": "inbox:0448", "attempt": 1})
    for message_id in (ids[2], ids[3], elsewhere):
        assert (await store.get(message_id, payload=False)).queue_state == "leased"
    assert await store.ack_many([], queues=["inbox:0448"]) == set()
    assert await store.ack_many([(ids[2], tokens[ids[2]])], queues=[]) == set()
    assert await store.ack_many([(ids[2], tokens[ids[2]]), (elsewhere, tokens[elsewhere])]) == {ids[2], elsewhere}


async def test_get_without_payload_reads_the_same_metadata_and_decrypts_nothing(database, clock):
    store = await database.open(clock=clock, payload_codec=EncryptingCodec(KeyRing.generate()))
    result = await store.append(entry(status="validated", retourcodes=("8001",)))
    await database.rows("UPDATE messages SET payload = ? WHERE id = ?", b"KP\x01 not a ciphertext", result.id)
    with pytest.raises(PayloadIntegrityError):
        await store.get(result.id)
    metadata = await store.get(result.id, payload=False)
    assert metadata.payload is None
    assert (metadata.id, metadata.status, metadata.retourcodes, metadata.queue) == (
        result.id, "validated", ("8001",), "inbox:0448")


async def test_a_known_idempotency_key_returns_the_first_id_and_writes_nothing(store):
    first = await store.append(entry(idempotency_key="k"), with_entries=[entry(queue="retour:12345678")])
    again = await store.append(entry(idempotency_key="k", payload=b"other"), with_entries=[entry()])
    assert (again.id, again.created, again.related_ids) == (first.id, False, ())
    assert await store.count() == 2
    assert (await store.get(first.id)).payload == b"<Bericht>WMO301</Bericht>"


async def test_concurrent_appends_with_one_key_make_one_message(store):
    results = await asyncio.gather(*(store.append(entry(idempotency_key="same")) for _ in range(20)))
    assert len({result.id for result in results}) == 1
    assert sum(result.created for result in results) == 1
    assert await store.count() == 1
    assert len(await store.lease("inbox:0448", 10)) == 1


async def test_with_entries_are_written_with_the_entry_and_point_at_it(store):
    retour = entry(message_type="WMO302", direction="outbound", queue="retour:12345678", tenant="0448")
    result = await store.append(entry(), with_entries=[retour])
    (retour_id,) = result.related_ids
    assert (await store.get(retour_id)).correlation_id == result.id
    (leased,) = await store.lease("retour:12345678", 5)
    assert leased.id == retour_id and leased.message.message_type == "WMO302"


async def test_a_failing_entry_leaves_nothing_of_its_append_behind(database, clock):
    class FailsOnBoom:
        name = "boom-detector"

        def encode(self, payload, message_id):
            if payload == b"boom":
                raise ValueError("cannot encode boom")
            return payload

        def decode(self, stored, message_id):
            return stored

    store = await database.open(clock=clock, payload_codec=FailsOnBoom())
    outcomes = await asyncio.gather(
        store.append(entry(payload=b"fine 1")),
        store.append(entry(idempotency_key="k"), with_entries=[entry(payload=b"boom")]),
        store.append(entry(payload=b"fine 2")),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], ValueError)
    assert await store.count() == 2
    assert await store.count(SearchFilters()) == 2
    assert sorted(m.message.payload for m in await store.lease("inbox:0448", 10)) == [b"fine 1", b"fine 2"]
    assert (await store.append(entry(idempotency_key="k"))).created


async def test_a_journal_only_message_is_on_no_queue(store):
    result = await store.append(entry(queue=None, status="rejected", retourcodes=("8001",)))
    message = await store.get(result.id)
    assert (message.queue, message.queue_state, message.status) == (None, None, "rejected")
    assert await store.lease("inbox:0448", 10) == []
    assert [event.event for event in await store.timeline(result.id)] == ["rejected"]


async def test_events_and_status_changes_make_the_timeline(store, clock):
    result = await store.append(entry(events=(("received", {}), ("validated", {"xsd": "WMO301"}))))
    clock.advance(1)
    await store.record_event(result.id, "retour sent", {"retour": "WMO302"})
    clock.advance(1)
    await store.update_status(result.id, "delivered", detail={"by": "push"}, retourcodes=["0233"])
    timeline = await store.timeline(result.id)
    assert [(e.event, e.detail) for e in timeline] == [
        ("received", {}), ("validated", {"xsd": "WMO301"}), ("queued", {"queue": "inbox:0448"}),
        ("retour sent", {"retour": "WMO302"}), ("delivered", {"by": "push"}),
    ]
    assert timeline[-1].at - timeline[0].at == timedelta(seconds=2)
    message = await store.get(result.id)
    assert (message.status, message.retourcodes) == ("delivered", ("0233",))
    assert message.updated_at - message.received_at == timedelta(seconds=2)
    assert await store.count(SearchFilters(retourcode="0233")) == 1


@pytest.mark.parametrize("call", [
    lambda store: store.get(UNKNOWN_ID),
    lambda store: store.timeline(UNKNOWN_ID),
    lambda store: store.record_event(UNKNOWN_ID, "seen"),
    lambda store: store.update_status(UNKNOWN_ID, "delivered"),
    lambda store: store.ack(UNKNOWN_ID, "token"),
    lambda store: store.nack(UNKNOWN_ID, "token"),
    lambda store: store.replay(UNKNOWN_ID),
])
async def test_an_unknown_id_is_message_not_found(store, call):
    with pytest.raises(MessageNotFound, match=UNKNOWN_ID):
        await call(store)


async def test_the_payload_goes_through_the_codec_bound_to_its_message(database, clock):
    seen = []

    class Reversing:
        name = "reversing"

        def encode(self, payload, message_id):
            seen.append(message_id)
            return payload[::-1]

        def decode(self, stored, message_id):
            return stored[::-1]

    store = await database.open(clock=clock, payload_codec=Reversing())
    result = await store.append(entry(payload=b"abc"))
    assert seen == [result.id]
    assert await database.rows("SELECT payload, payload_codec FROM messages") == [(b"cba", "reversing")]
    assert (await store.get(result.id)).payload == b"abc"
    assert (await store.lease("inbox:0448"))[0].message.payload == b"abc"


# search


async def _seven_messages(store, clock):
    ids = []
    for number in range(7):
        clock.advance(60)
        result = await store.append(entry(
            tenant="0448" if number % 2 else "0400", partner=f"1234567{number % 3}",
            message_type="WMO301" if number < 5 else "WMO305", status="queued" if number < 6 else "rejected",
            retourcodes=("8001",) if number == 3 else (), bericht_identificatie=f"B{number}",
        ))
        ids.append(result.id)
    return ids


@pytest.mark.parametrize("filters, expected", [
    (SearchFilters(), [6, 5, 4, 3, 2, 1, 0]),
    (SearchFilters(tenant="0448"), [5, 3, 1]),
    (SearchFilters(partner="12345670"), [6, 3, 0]),
    (SearchFilters(message_type="WMO305"), [6, 5]),
    (SearchFilters(status="rejected"), [6]),
    (SearchFilters(retourcode="8001"), [3]),
    (SearchFilters(bericht_identificatie="B2"), [2]),
    (SearchFilters(standard="iwmo", direction="inbound", tenant="0400", message_type="WMO301"), [4, 2, 0]),
    (SearchFilters(standard="ijw"), []),
])
async def test_search_finds_by_every_filter_newest_first(store, clock, filters, expected):
    ids = await _seven_messages(store, clock)
    page = await store.search(filters)
    assert [message.id for message in page.messages] == [ids[number] for number in expected]
    assert page.next_cursor is None
    assert all(message.payload is None for message in page.messages)
    assert await store.count(filters) == len(expected)


async def test_search_by_time_range(store, clock):
    start = clock.now
    ids = await _seven_messages(store, clock)
    moment = datetime.fromtimestamp(start, UTC)
    filters = SearchFilters(received_from=moment + timedelta(minutes=2), received_until=moment + timedelta(minutes=5))
    assert [message.id for message in (await store.search(filters)).messages] == [ids[3], ids[2], ids[1]]
    with pytest.raises(ValueError, match="time zone"):
        await store.search(SearchFilters(received_from=datetime(2026, 1, 1)))


async def test_counts_stop_where_asked_and_the_statuses_present_are_listed(store, clock):
    assert await store.statuses() == []
    await _seven_messages(store, clock)
    assert await store.count() == 7
    assert [await store.count(at_most=limit) for limit in (3, 7, 10)] == [3, 7, 7]
    assert await store.count(SearchFilters(tenant="0448"), at_most=2) == 2
    assert await store.statuses() == ["queued", "rejected"]
    with pytest.raises(ValueError, match="at_most must be more than 0"):
        await store.count(at_most=0)


async def test_search_pages_with_a_cursor(store, clock):
    ids = await _seven_messages(store, clock)
    seen, cursor = [], None
    for _ in range(3):
        page = await store.search(limit=3, cursor=cursor)
        seen += [message.id for message in page.messages]
        cursor = page.next_cursor
    assert seen == ids[::-1] and cursor is None
    with pytest.raises(ValueError, match="cursor"):
        await store.search(cursor="not-a-cursor")
    for forged in ([1.5e9, "ab\x00cd"], [1.5e9, 7], ["soon", UNKNOWN_ID], [1.5e9]):
        with pytest.raises(ValueError, match="cursor"):
            await store.search(cursor=base64.urlsafe_b64encode(json.dumps(forged).encode()).decode())


# queues


async def test_lease_gives_the_oldest_first_and_hides_them_from_others(store, clock):
    ids = []
    for number in range(5):
        clock.advance(1)
        ids.append((await store.append(entry(payload=b"%d" % number))).id)
    await store.append(entry(tenant="0400", queue="inbox:0400"))
    first = await store.lease("inbox:0448", 2, visibility_seconds=30)
    second = await store.lease("inbox:0448", 10, visibility_seconds=30)
    assert [m.id for m in first] == ids[:2] and [m.id for m in second] == ids[2:]
    assert [m.message.payload for m in first] == [b"0", b"1"]
    assert all(m.attempts == 1 and m.message.queue_state == "leased" for m in first)
    assert first[0].lease_expires_at == datetime.fromtimestamp(clock.now + 30, UTC)
    assert await store.lease("inbox:0448", 10) == []


async def test_an_expired_lease_is_delivered_again_and_its_old_token_is_lost(store, clock):
    await store.append(entry())
    (first,) = await store.lease("inbox:0448", visibility_seconds=30)
    clock.advance(29)
    assert await store.lease("inbox:0448") == []
    clock.advance(2)
    (again,) = await store.lease("inbox:0448", visibility_seconds=30)
    assert again.id == first.id and again.attempts == 2 and again.token != first.token
    with pytest.raises(LeaseLost):
        await store.ack(first.id, first.token)
    await store.ack(again.id, again.token)


@pytest.mark.parametrize("asked", ["ab\x00cd", "01900000-0000-7000-8000-00000000000\x00", "", "x" * 10_000])
async def test_an_id_or_token_the_store_never_gave_names_nothing_on_every_backend(store, asked):
    # PostgreSQL refuses a NUL in text outright; the store must still answer as for any unknown id or stale token.
    result = await store.append(entry())
    (leased,) = await store.lease("inbox:0448", visibility_seconds=30)
    for call in (store.get(asked), store.timeline(asked), store.ack(asked, leased.token), store.replay(asked),
                 store.nack(asked, leased.token)):
        with pytest.raises(MessageNotFound, match="no message with id"):
            await call
    assert not await store.ack(asked, leased.token, queues=["inbox:0448"])
    assert await store.ack_many([(asked, leased.token), (result.id, asked)], queues=["inbox:0448"]) == set()
    for call in (store.ack(result.id, asked), store.nack(result.id, asked)):
        with pytest.raises(LeaseLost):
            await call
    assert (await store.get(result.id, payload=False)).queue_state == "leased"
    await store.ack(result.id, leased.token)
    assert await store.dead_letters("inbox:\x00") == []


async def test_an_acked_message_is_never_delivered_again(store, clock):
    result = await store.append(entry())
    (leased,) = await store.lease("inbox:0448", visibility_seconds=30)
    await store.ack(leased.id, leased.token)
    await store.ack(leased.id, leased.token)  # a retried ack is harmless
    clock.advance(3600)
    assert await store.lease("inbox:0448", 10) == []
    message = await store.get(result.id)
    assert (message.status, message.queue, message.queue_state) == ("acked", None, None)
    assert [event.event for event in await store.timeline(result.id)][-2:] == ["leased", "acked"]


async def test_nack_backs_off_with_jitter_within_the_policy(database, clock):
    store = await database.open(clock=clock, retry=RetryPolicy(max_attempts=5, base_delay_seconds=10))
    await store.append(entry())
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40)]:
        (leased,) = await store.lease("inbox:0448")
        assert leased.attempts == attempt
        assert await store.nack(leased.id, leased.token, reason="backoffice down") == "retried"
        clock.advance(ceiling / 2 - 0.01)
        assert await store.lease("inbox:0448") == []
        clock.advance(ceiling / 2 + 0.02)
    events = await store.timeline(leased.id)
    delays = [event.detail["delay_seconds"] for event in events if event.event == "retried"]
    assert [5 <= delays[0] <= 10, 10 <= delays[1] <= 20, 20 <= delays[2] <= 40] == [True] * 3
    assert events[-1].detail["reason"] == "backoffice down"


async def test_nack_with_a_delay_and_with_a_lost_lease(store, clock):
    await store.append(entry())
    (leased,) = await store.lease("inbox:0448")
    assert await store.nack(leased.id, leased.token, delay=0) == "retried"
    with pytest.raises(LeaseLost):
        await store.nack(leased.id, leased.token)
    (again,) = await store.lease("inbox:0448")
    await store.nack(again.id, again.token, delay=120)
    clock.advance(119)
    assert await store.lease("inbox:0448") == []
    clock.advance(2)
    assert len(await store.lease("inbox:0448")) == 1


async def test_after_max_attempts_a_nacked_message_goes_to_the_dead_letters_and_can_be_replayed(database, clock):
    store = await database.open(clock=clock, retry=RetryPolicy(max_attempts=2))
    result = await store.append(entry())
    await store.append(entry(tenant="0400", queue="inbox:0400"))
    outcomes = []
    for _ in range(2):
        (leased,) = await store.lease("inbox:0448")
        outcomes.append(await store.nack(leased.id, leased.token, delay=0, reason="XSD of backoffice says no"))
    assert outcomes == ["retried", "dead-lettered"]
    assert await store.lease("inbox:0448") == []
    (dead,) = await store.dead_letters()
    assert (dead.message.id, dead.queue, dead.attempts) == (result.id, "inbox:0448", 2)
    assert dead.reason == "XSD of backoffice says no" and dead.message.status == "dead-lettered"
    assert await store.dead_letters("inbox:0400") == []
    with pytest.raises(LeaseLost, match="dead-lettered"):
        await store.ack(leased.id, leased.token)

    await store.replay(result.id)
    assert await store.dead_letters() == []
    (replayed,) = await store.lease("inbox:0448")
    assert (replayed.id, replayed.attempts, replayed.message.status) == (result.id, 1, "queued")
    with pytest.raises(NotDeadLettered):
        await store.replay(result.id)
    events = [event.event for event in await store.timeline(result.id)]
    assert events[-3:] == ["dead-lettered", "replayed", "leased"]


async def test_a_message_whose_leases_keep_expiring_goes_to_the_dead_letters(database, clock):
    store = await database.open(clock=clock, retry=RetryPolicy(max_attempts=2))
    await store.append(entry())
    for _ in range(2):
        assert len(await store.lease("inbox:0448", visibility_seconds=10)) == 1
        clock.advance(11)
    assert await store.lease("inbox:0448") == []
    (dead,) = await store.dead_letters("inbox:0448")
    assert "expired 2 times" in dead.reason


async def test_queue_stats_count_waiting_in_flight_and_dead(database, clock):
    store = await database.open(clock=clock, retry=RetryPolicy(max_attempts=1))
    for _ in range(4):
        await store.append(entry())
    await store.append(entry(queue="retour:12345678"))
    clock.advance(100)
    leased = await store.lease("inbox:0448", 2)
    await store.nack(leased[0].id, leased[0].token)
    assert [(s.queue, s.depth, s.in_flight, s.dead, s.oldest_age_seconds) for s in await store.queue_stats()] == [
        ("inbox:0448", 2, 1, 1, 100.0), ("retour:12345678", 1, 0, 0, 100.0),
    ]


async def test_two_stores_on_one_database_never_lease_the_same_message(database, clock):
    first = await database.open(clock=clock)
    second = await database.open(clock=clock)
    await asyncio.gather(*(first.append(entry(payload=b"%d" % n)) for n in range(40)))
    batches = await asyncio.gather(*(store.lease("inbox:0448", 3) for store in [first, second] * 10))
    leased = [message.id for batch in batches for message in batch]
    assert len(leased) == len(set(leased)) == 40


async def test_waiting_for_messages(database):
    first = await database.open()
    second = await database.open()
    assert await first.wait_for_messages("inbox:0448", timeout=0.1) is False

    async def append_soon():
        await asyncio.sleep(0.1)
        await first.append(entry())

    for waiter in (first, second):  # woken in-process, and from the other store (PostgreSQL: NOTIFY)
        appending = asyncio.create_task(append_soon())
        assert await waiter.wait_for_messages("inbox:0448", timeout=30) is True
        await appending
        for message in await waiter.lease("inbox:0448", 10):
            await waiter.ack(message.id, message.token)


async def test_one_append_wakes_the_waiters_of_each_of_its_queues(database):
    writer = await database.open()
    reader = await database.open()  # PostgreSQL: woken by the NOTIFY of the writer's transaction
    waiting = [asyncio.create_task(reader.wait_for_messages(queue, timeout=30))
               for queue in ("inbox:0448", "outbound:iwmo:12345678")]
    await asyncio.sleep(0.1)
    await writer.append(entry(), with_entries=[entry(queue="outbound:iwmo:12345678", idempotency_key=None)])
    assert await asyncio.gather(*waiting) == [True, True]


async def test_a_key_and_a_queue_with_quotes_in_their_names_are_locked_and_woken_like_any_other(database):
    writer = await database.open()
    reader = await database.open()  # PostgreSQL: the NOTIFY is sent with the COMMIT, the names as literals
    queue = "inbox:o'brien'; --"
    waiting = asyncio.create_task(reader.wait_for_messages(queue, timeout=30))
    await asyncio.sleep(0.1)

    async def check(_reader) -> Appending:
        return Appending(entry(queue=queue))

    _, result = await writer.append_checked("iwmo:o'brien'; --", check)
    assert await waiting is True
    [leased] = await reader.lease(queue, 10)
    assert leased.message.id == result.id


async def test_bad_arguments_are_refused(store):
    for call in (store.lease("inbox:0448", 0), store.lease("inbox:0448", 1, 0), store.search(limit=0)):
        with pytest.raises(ValueError):
            await call


# schema


async def test_reopening_keeps_the_data(database):
    store = await database.open()
    result = await store.append(entry())
    await store.close()
    assert (await (await database.open()).get(result.id)).payload == b"<Bericht>WMO301</Bericht>"


async def test_a_newer_schema_is_refused_with_a_clear_message(database):
    await (await database.open()).close()
    await database.rows("UPDATE schema_version SET version = 99")
    with pytest.raises(SchemaVersionError, match="schema version 99, newer than this Ketenpoort knows"):
        await database.open()


async def test_an_older_schema_is_refused_when_migrations_are_off(database):
    with pytest.raises(SchemaVersionError, match="schema version 0, older"):
        await database.open(migrate=False)
    await (await database.open()).close()
    await database.open(migrate=False)


async def test_a_closed_store_refuses_work(database):
    store = await database.open()
    await store.ping()
    await store.close()
    with pytest.raises(StoreError, match="not started"):
        await store.append(entry())
    with pytest.raises(StoreError, match="not started"):
        await store.ping()
