"""The console's counts over the journal on each backend: grouped, per period, retourcodes, answer times, deliveries."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from queues import AnswerTimeCount, MessageCount, RetourcodeCount, SearchFilters
from store_helpers import entry

DAY = 86_400.0


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def test_message_counts_group_by_columns_and_leave_out_empty_groups(store):
    await store.append(entry(tenant="0448", message_type="WMO301"))
    await store.append(entry(tenant="0448", message_type="WMO301"))
    await store.append(entry(tenant="0400", message_type="WMO301"))
    await store.append(entry(tenant="0400", message_type="WMO305", status="rejected", queue=None))

    counts = await store.message_counts(by=("tenant", "message_type"))
    assert counts == [
        MessageCount(("0400", "WMO301"), None, 1), MessageCount(("0400", "WMO305"), None, 1),
        MessageCount(("0448", "WMO301"), None, 2),
    ]
    rejected = await store.message_counts(SearchFilters(status="rejected"), by=("tenant",))
    assert rejected == [MessageCount(("0400",), None, 1)]


async def test_message_counts_per_period_put_each_message_in_the_period_it_was_received(store, clock):
    start = clock.now
    await store.append(entry(message_type="WMO301"))  # day 0
    clock.advance(DAY - 1)
    await store.append(entry(message_type="WMO301"))  # still day 0
    clock.advance(1)
    await store.append(entry(message_type="WMO305"))  # day 1
    clock.advance(2 * DAY)
    await store.append(entry(message_type="WMO305"))  # day 3: after the last boundary

    periods = [at(start + day * DAY) for day in range(3)]  # day 0 and day 1
    counts = await store.message_counts(by=("message_type",), periods=periods)
    assert counts == [MessageCount(("WMO301",), 0, 2), MessageCount(("WMO305",), 1, 1)]
    assert await store.message_counts(periods=periods) == [MessageCount((), 0, 2), MessageCount((), 1, 1)]


@pytest.mark.parametrize("by, periods, problem", [
    (("tenant", "payload"), (), "cannot count by payload"),
    ((), (), "at least one column"),
    (("tenant",), (datetime(2026, 1, 1, tzinfo=UTC),), "two period boundaries"),
])
async def test_message_counts_refuse_what_they_cannot_count(store, by, periods, problem):
    with pytest.raises(ValueError, match=problem):
        await store.message_counts(by=by, periods=periods)


async def test_retourcode_counts_per_message_type(store):
    await store.append(entry(message_type="WMO306", retourcodes=("0200",)))
    await store.append(entry(message_type="WMO306", retourcodes=("8001", "0200")))
    await store.append(entry(message_type="WMO325", tenant="0400", retourcodes=("8001",)))
    await store.append(entry(message_type="WMO301"))

    assert await store.retourcode_counts() == [
        RetourcodeCount("WMO306", "0200", 2), RetourcodeCount("WMO306", "8001", 1),
        RetourcodeCount("WMO325", "8001", 1),
    ]
    assert await store.retourcode_counts(SearchFilters(tenant="0400")) == [RetourcodeCount("WMO325", "8001", 1)]


async def test_answer_times_count_each_heenbericht_once_by_its_first_answer(store, clock):
    quick = await store.append(entry(message_type="WMO301", direction="outbound"))
    slow = await store.append(entry(message_type="WMO301", direction="outbound"))
    await store.append(entry(message_type="WMO301", direction="outbound"))  # never answered
    clock.advance(30)
    await store.append(entry(message_type="WMO302", correlation_id=quick.id))
    clock.advance(2 * DAY)
    await store.append(entry(message_type="WMO302", correlation_id=quick.id))  # a second answer: not counted
    await store.append(entry(message_type="WMO302", correlation_id=slow.id))

    counts = await store.answer_times(SearchFilters(message_type="WMO301"), bounds_seconds=[60, DAY])
    assert counts == [AnswerTimeCount("WMO301", 0, 1), AnswerTimeCount("WMO301", 2, 1)]


async def test_delivery_counts_per_receiving_party(store, clock):
    start = clock.now
    await store.append(entry(direction="inbound", tenant="0448", partner="12345678", queue="inbox:0448"))
    await store.append(entry(direction="outbound", tenant="0448", partner="12345678", queue="outbound:iwmo:12345678"))
    leased = (await store.lease("inbox:0448"))[0]
    await store.nack(leased.id, leased.token, delay=0, reason="HTTP 503")
    clock.advance(10)
    leased = (await store.lease("inbox:0448"))[0]
    await store.ack(leased.id, leased.token)
    clock.advance(10)
    out = (await store.lease("outbound:iwmo:12345678"))[0]
    await store.nack(out.id, out.token, delay=0)

    counts = {row.receiver: row for row in await store.delivery_counts(at(start))}
    assert set(counts) == {"0448", "12345678"}
    texel = counts["0448"]
    assert (texel.successes, texel.failures, texel.error_rate) == (1, 1, 0.5)
    assert texel.last_success == at(start + 10) and texel.last_failure == at(start)
    provider = counts["12345678"]
    assert (provider.successes, provider.failures, provider.last_success) == (0, 1, None)

    later = {row.receiver: row for row in await store.delivery_counts(at(start + 15))}
    assert (later["0448"].successes, later["0448"].failures) == (0, 0)
    assert later["0448"].last_success == at(start + 10)
    assert later["0448"].error_rate is None
