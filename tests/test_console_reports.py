"""The console's figures from the store's counts: days and months in the time zone, management figures, partner
health and the SVG charts, without a server."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from gateway.config import Config, Delivery, Provider, Tenant
from gateway.console.charts import Series, bar_chart, column_chart
from gateway.console.health import partner_health
from gateway.console.reports import day_boundaries, management_figures, month_bounds
from queues import MessageCount, PartnerDeliveries

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_days_are_whole_local_days_also_when_the_clocks_change():
    bounds = day_boundaries(date(2026, 3, 30), 3, AMSTERDAM)  # summer time starts on 29 March
    assert [moment.astimezone(UTC).isoformat() for moment in bounds] == [
        "2026-03-27T23:00:00+00:00", "2026-03-28T23:00:00+00:00", "2026-03-29T22:00:00+00:00",
        "2026-03-30T22:00:00+00:00"]


@pytest.mark.parametrize("month, first, end", [
    ("2026-01", date(2026, 1, 1), datetime(2026, 2, 1, tzinfo=AMSTERDAM)),
    ("2026-12", date(2026, 12, 1), datetime(2027, 1, 1, tzinfo=AMSTERDAM)),
    ("2028-02", date(2028, 2, 1), datetime(2028, 3, 1, tzinfo=AMSTERDAM)),
])
def test_a_month_runs_from_its_first_midnight_to_the_next_months(month, first, end):
    assert month_bounds(month, AMSTERDAM)[0] == first
    assert month_bounds(month, AMSTERDAM)[2] == end


@pytest.mark.parametrize("month", ["2026-13", "2026", "januari", "2026-01-05"])
def test_anything_but_a_month_is_refused(month):
    with pytest.raises(ValueError):
        month_bounds(month, AMSTERDAM)


def test_management_figures_count_toewijzingen_declaraties_and_rejections_per_gemeente_and_provider():
    counts = [
        MessageCount(("0448", "12345678", "WMO301", "acked"), None, 4),
        MessageCount(("0448", "12345678", "JW301", "retour received"), None, 1),
        MessageCount(("0448", "12345678", "WMO301", "rejected"), None, 2),
        MessageCount(("0448", "87654321", "WMO323", "accepted"), None, 3),
        MessageCount(("0448", "87654321", "WMO325", "created"), None, 3),
        MessageCount(("0400", "12345678", "JW323", "rejected"), None, 1),
        MessageCount((None, "12345678", "WMO315", "rejected"), None, 1),
    ]
    rows, overall = management_figures(counts)
    assert [row.tenant for row in rows] == ["0400", "0448", None]
    texel = rows[1]
    figures = {partner: (f.toewijzingen, f.declaraties, f.rejected, f.messages)
               for partner, f in texel.providers.items()}
    assert figures == {"12345678": (5, 0, 2, 7), "87654321": (0, 3, 0, 6)}
    assert (texel.total.toewijzingen, texel.total.declaraties, texel.total.rejected, texel.total.messages) == (
        5, 3, 2, 13)
    assert (overall.toewijzingen, overall.declaraties, overall.rejected, overall.messages) == (5, 3, 4, 15)


def test_partner_health_shows_every_configured_party_and_the_circuit_of_push_parties():
    config = Config(
        tenants=(Tenant("0448", "Texel", Delivery("push", "https://texel.example/inbox")),
                 Tenant("0400", "Den Helder")),
        providers=(Provider("12345678", "Demo", None, (), ("0448",)),),
    )
    counts = [PartnerDeliveries("0448", 3, 3, None, None), PartnerDeliveries("99999999", 1, 0, None, None)]
    rows = {row.code: row for row in partner_health(config, counts, lambda partner: partner == "0448")}
    assert list(rows) == ["0448", "0400", "12345678", "99999999"]
    assert (rows["0448"].delivery, rows["0448"].circuit, rows["0448"].status) == ("push", "open", "failing")
    assert (rows["0400"].circuit, rows["0400"].deliveries.successes, rows["0400"].status) == ("—", 0, "ok")
    assert rows["99999999"].kind == "unknown"


def test_a_column_chart_stacks_each_series_with_its_numbers_and_colours():
    chart = column_chart("Volume <today>", ["01-01", "02-01"], [Series("WMO301", [2, 0]), Series("WMO305", [1, 3])],
                         colours={"WMO305": 4})
    svg = etree.fromstring(str(chart.svg))
    bars = [(bar.get("data-series"), bar.get("data-label"), int(bar.get("data-value")), bar.get("fill"))
            for bar in svg.iter("{*}rect")]
    assert bars == [("WMO301", "01-01", 2, "#0072B2"), ("WMO305", "01-01", 1, "#56B4E9"),
                    ("WMO305", "02-01", 3, "#56B4E9")]
    assert svg.get("aria-label") == "Volume <today>" and chart.legend == [("WMO301", 0), ("WMO305", 4)]
    heights = {bar.get("data-value"): float(bar.get("height")) for bar in svg.iter("{*}rect")}
    assert heights["2"] == pytest.approx(2 * heights["1"])


def test_a_bar_chart_escapes_its_labels():
    chart = bar_chart("RetourCodes", [("<b>0200</b>", 5, "Geen opmerking & meer")])
    svg = etree.fromstring(str(chart.svg))
    [bar] = svg.iter("{*}rect")
    assert bar.get("data-label") == "<b>0200</b>" and bar.findtext("{*}title") == "<b>0200</b> Geen opmerking & meer: 5"
