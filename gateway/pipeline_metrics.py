"""Prometheus metrics of the message path, of the store's write transactions under it, and of push delivery.

Labels hold standards, message codes, outcomes and partners (AGB codes and gemeentecodes: organisations), never
anything from a message's content.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from queues import WriteTiming

if TYPE_CHECKING:
    from gateway.pipeline import Answer

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WRITE_BUCKETS = (0.001, 0.0025, *LATENCY_BUCKETS)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class PipelineMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "ketenpoort_messages", "iWmo/iJw messages received, by what became of them",
            ["standard", "message_type", "status", "partner"], registry=registry,
        )
        self.latency = Histogram(
            "ketenpoort_pipeline_seconds", "Time from receiving a message to answering (journal commit included)",
            ["source", "status"], buckets=LATENCY_BUCKETS, registry=registry,
        )
        self.deliveries = Counter(
            "ketenpoort_deliveries", "Push deliveries to partners, by result",
            ["queue", "partner", "result"], registry=registry,
        )
        self.write_seconds = Histogram(
            "ketenpoort_store_write_seconds", "Write transactions of the store, by phase: waiting to begin (a write "
            "lock, a connection), running (statements and the rules' checks), committing (the fsync)",
            ["phase"], buckets=WRITE_BUCKETS, registry=registry,
        )
        self.write_operations = Histogram(
            "ketenpoort_store_write_operations", "Writes per transaction (SQLite commits a group of them at once)",
            buckets=GROUP_BUCKETS, registry=registry,
        )
        self.circuit_open = Gauge(
            "ketenpoort_circuit_open", "1 while deliveries to a partner are paused after repeated failures",
            ["partner"], registry=registry,
        )

    def record(self, source: str, partner: str, answer: Answer, seconds: float, standard: str = "unknown") -> None:
        """One message received from `source` ("provider" or "backoffice")."""
        kind = answer.kind
        self.messages.labels(kind.standard if kind else standard, kind.code if kind else "unknown",
                             answer.outcome, partner).inc()
        self.latency.labels(source, answer.outcome).observe(seconds)

    def observe_write(self, timing: WriteTiming) -> None:
        """The store's `write_observer`."""
        self.write_seconds.labels("waiting").observe(timing.waiting)
        self.write_seconds.labels("running").observe(timing.running)
        self.write_seconds.labels("committing").observe(timing.committing)
        self.write_operations.observe(timing.operations)

    def delivered(self, queue_kind: str, partner: str, result: str) -> None:
        self.deliveries.labels(queue_kind, partner, result).inc()
