"""The queue gauges of /metrics: read from the store at a scrape, not more often than every REFRESH_SECONDS, and
left out (not shown stale) when the store cannot answer."""
from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry

from gateway.queue_metrics import REFRESH_SECONDS, QueueMetrics
from queues import QueueStats, StoreUnavailable


class Store:
    def __init__(self) -> None:
        self.answers: list[list[QueueStats] | Exception] = []
        self.asked = 0

    async def queue_stats(self) -> list[QueueStats]:
        self.asked += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_the_gauges_follow_the_queues_at_most_every_refresh_interval(caplog):
    registry, store, now = CollectorRegistry(), Store(), [100.0]
    metrics = QueueMetrics(registry, store.queue_stats, clock=lambda: now[0])
    value = registry.get_sample_value
    store.answers = [
        [QueueStats("inbox:0448", 3, 1, 2, 61.5), QueueStats("inbox:0400", 0, 0, 1, None)],
        [QueueStats("inbox:0400", 5, 0, 0, 2.0)],
        StoreUnavailable("the database is locked"),
    ]
    await metrics.refresh()
    assert [value("ketenpoort_queue_messages", {"queue": "inbox:0448", "state": state})
            for state in ("waiting", "in_flight", "dead")] == [3, 1, 2]
    assert value("ketenpoort_queue_oldest_seconds", {"queue": "inbox:0448"}) == 61.5
    assert value("ketenpoort_queue_oldest_seconds", {"queue": "inbox:0400"}) is None  # nothing waiting

    now[0] += REFRESH_SECONDS - 1
    await metrics.refresh()
    assert store.asked == 1

    now[0] += 1
    await metrics.refresh()
    assert value("ketenpoort_queue_messages", {"queue": "inbox:0448", "state": "waiting"}) is None  # emptied
    assert value("ketenpoort_queue_messages", {"queue": "inbox:0400", "state": "waiting"}) == 5

    now[0] += REFRESH_SECONDS
    with caplog.at_level(logging.WARNING, logger="gateway.queue_metrics"):
        await metrics.refresh()
    assert value("ketenpoort_queue_messages", {"queue": "inbox:0400", "state": "waiting"}) is None
    assert "queue metrics left out of this scrape: StoreUnavailable: the database is locked" in caplog.text
