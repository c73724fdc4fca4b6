"""Partner health: for every gemeente and zorgaanbieder, how delivery to them goes — the last success and failure,
the error rate of the last day, and the circuit breaker of push delivery.

Successes are acks (a pulled message taken, or a pushed one answered 2xx); failures are nacks and dead letters. The
circuit state is what push delivery reports in its `ketenpoort_circuit_open` gauge; pull parties have none.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from gateway.appkeys import CONFIG_KEY, METRICS_KEY
from gateway.config import Config
from gateway.console.pages import guarded, store_of
from gateway.console.rendering import render
from queues import PartnerDeliveries

WINDOW = timedelta(hours=24)
CIRCUIT_GAUGE = "ketenpoort_circuit_open"


@dataclass(frozen=True)
class PartnerHealth:
    code: str
    name: str
    kind: str            # "gemeente" or "zorgaanbieder"; "unknown" for a party no longer configured
    delivery: str        # "pull" or "push"
    circuit: str         # "closed", "open", or "—" (pull: no circuit breaker)
    deliveries: PartnerDeliveries

    @property
    def status(self) -> str:
        """ok, degraded or failing: for the colour of the row."""
        rate = self.deliveries.error_rate
        if self.circuit == "open" or (rate is not None and rate >= 0.5):
            return "failing"
        return "degraded" if rate else "ok"


def partner_health(config: Config, counts: list[PartnerDeliveries], circuit_open) -> list[PartnerHealth]:
    """One row per configured party (and per party the journal knows but the config no longer has)."""
    by_receiver = {row.receiver: row for row in counts}
    parties = [(t.gemeentecode, t.name, "gemeente", t.delivery.mode) for t in config.tenants]
    parties += [(p.agb, p.name, "zorgaanbieder", p.delivery.mode) for p in config.providers]
    known = {code for code, *_ in parties}
    parties += [(row.receiver, row.receiver, "unknown", "pull") for row in counts
                if row.receiver is not None and row.receiver not in known]
    rows = []
    for code, name, kind, mode in parties:
        deliveries = by_receiver.get(code) or PartnerDeliveries(code, 0, 0, None, None)
        circuit = "—"
        if mode == "push":
            circuit = "open" if circuit_open(code) else "closed"
        rows.append(PartnerHealth(code, name, kind, mode, circuit, deliveries))
    return rows


@guarded
async def partners_page(request: web.Request) -> web.Response:
    counts = await store_of(request).delivery_counts(datetime.now(UTC) - WINDOW)
    registry = request.app[METRICS_KEY].registry

    def circuit_open(partner: str) -> bool:
        return bool(registry.get_sample_value(CIRCUIT_GAUGE, {"partner": partner}))

    rows = partner_health(request.app[CONFIG_KEY], counts, circuit_open)
    return render(request, "partners.html", {"page": "partners", "partners": rows, "window_hours": 24})
