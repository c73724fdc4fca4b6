"""Prometheus gauges of the queues: messages waiting, in flight and dead per queue, and the age of the oldest, for
alerts on a backlog or on dead letters. Read from the store when /metrics is scraped (`Metrics.refresh`), at most
every `REFRESH_SECONDS`: the store counts every message on its queues, most of a second at a million waiting.

Labels are queue names (inbox:0448, outbound:iwmo:12345678, ...): organisations, never a message's content.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Gauge

from queues import QueueStats

log = logging.getLogger(__name__)
REFRESH_SECONDS = 10.0


class QueueMetrics:
    def __init__(self, registry: CollectorRegistry, queue_stats: Callable[[], Awaitable[list[QueueStats]]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.queue_stats = queue_stats
        self.clock = clock
        self.refreshed_at: float | None = None
        self.messages = Gauge(
            "ketenpoort_queue_messages", "Messages on a queue, by state: waiting (ready or delayed), in_flight "
            "(leased), dead (dead letters)", ["queue", "state"], registry=registry,
        )
        self.oldest = Gauge(
            "ketenpoort_queue_oldest_seconds", "Age of the oldest waiting or in-flight message of a queue",
            ["queue"], registry=registry,
        )

    async def refresh(self) -> None:
        """Read the queues' figures unless they were read less than REFRESH_SECONDS ago. When the store cannot
        answer, the gauges are left out of the scrape (not shown stale) and the reason is logged."""
        now = self.clock()
        if self.refreshed_at is not None and now - self.refreshed_at < REFRESH_SECONDS:
            return
        self.refreshed_at = now
        try:
            stats = await self.queue_stats()
        except Exception as error:  # any store failure: the other metrics are still worth a scrape
            log.warning("queue metrics left out of this scrape: %s: %s", type(error).__name__, error)
            stats = []
        # Cleared only now: a scrape that comes meanwhile still shows the last figures.
        self.messages.clear()
        self.oldest.clear()
        for queue in stats:
            for state, count in (("waiting", queue.depth), ("in_flight", queue.in_flight), ("dead", queue.dead)):
                self.messages.labels(queue.queue, state).set(count)
            if queue.oldest_age_seconds is not None:
                self.oldest.labels(queue.queue).set(queue.oldest_age_seconds)
