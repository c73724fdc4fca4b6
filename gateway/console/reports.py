"""Charts and management figures, counted by the store (`Store.message_counts` and friends) over whole days and
months in the console's time zone.

Management figures, per gemeente and zorgaanbieder for one month:
- Toewijzingen: 301 messages (iWmo and iJw) not rejected by the gateway;
- Declaraties: 323 messages not rejected by the gateway;
- Rejected: messages the gateway rejected (unreadable parties aside, every refused message is journaled);
- All messages: everything journaled between the two, retours included.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from connectors.istandaarden import catalogue, retourcodes
from gateway.appkeys import CONFIG_KEY
from gateway.console.charts import Chart, Series, bar_chart, column_chart
from gateway.console.pages import guarded, store_of
from gateway.console.rendering import error_page, render
from gateway.operator_settings import settings_of
from gateway.journal_entries import REJECTED
from queues import MessageCount, SearchFilters

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
# Upper bounds (seconds) of the answer-time buckets, and the buckets' labels (one more: the rest).
ANSWER_BOUNDS = (60, 3600, 86400, 3 * 86400, 5 * 86400)
ANSWER_LABELS = ("< 1 min", "1 min – 1 h", "1 h – 1 day", "1 – 3 days", "3 – 5 days", "> 5 days")
RETOUR_TYPES = frozenset(kind.code for kind in catalogue.MESSAGES if kind.answers)


def midnight(day: date, timezone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), timezone)


def day_boundaries(last_day: date, days: int, timezone: ZoneInfo) -> list[datetime]:
    """Midnights from `days` days before the day after `last_day` up to that day: one period per day."""
    first = last_day - timedelta(days=days - 1)
    return [midnight(first + timedelta(days=offset), timezone) for offset in range(days + 1)]


def stacked(counts: list[MessageCount], position: int, periods: int) -> list[Series]:
    """One series per value of the grouping column at `position`, counting per period."""
    values: dict[str, list[int]] = defaultdict(lambda: [0] * periods)
    for count in counts:
        values[count.group[position] or "—"][count.period] += count.count
    return [Series(name, values[name]) for name in sorted(values)]


@dataclass
class ChartsPage:
    days: int
    tenant: str | None
    day_labels: list[str]
    by_type: Chart
    by_type_series: list[Series]
    by_tenant: Chart
    by_tenant_series: list[Series]
    retourcodes: Chart
    retourcode_rows: list[tuple[str, int, str]]
    answer_times: Chart
    answer_series: list[Series]


@guarded
async def charts_page(request: web.Request) -> web.Response:
    config, timezone = request.app[CONFIG_KEY], settings_of(request.app).timezone
    days = int(request.query["days"]) if request.query.get("days") in {str(p) for p in PERIODS} else DEFAULT_PERIOD
    tenant = request.query.get("tenant") if config.tenant(request.query.get("tenant", "")) else None
    bounds = day_boundaries(datetime.now(timezone).date(), days, timezone)
    store = store_of(request)
    counts = await store.message_counts(SearchFilters(tenant=tenant), by=("tenant", "message_type"), periods=bounds)
    period = SearchFilters(tenant=tenant, received_from=bounds[0], received_until=bounds[-1])
    code_rows = _retourcode_rows(await store.retourcode_counts(period))
    answers = await store.answer_times(period, bounds_seconds=ANSWER_BOUNDS)
    answer_values: dict[str, list[int]] = defaultdict(lambda: [0] * len(ANSWER_LABELS))
    for answer in answers:
        answer_values[answer.message_type][answer.bucket] += answer.count
    answer_series = [Series(name, answer_values[name]) for name in sorted(answer_values)]

    labels = [moment.strftime("%d-%m") for moment in bounds[:-1]]
    every = 1 if days <= 31 else 7
    by_type, by_tenant = stacked(counts, 1, days), stacked(counts, 0, days)
    type_colours = {name: number for number, name in
                    enumerate(sorted({s.name for s in by_type} | {s.name for s in answer_series}))}
    tenant_names = {t.gemeentecode: f"{t.gemeentecode} {t.name}" for t in config.tenants}
    by_tenant = [Series(tenant_names.get(s.name, s.name), s.values) for s in by_tenant]
    page = ChartsPage(
        days, tenant, labels,
        column_chart("Messages per day by message type", labels, by_type, label_every=every, colours=type_colours),
        by_type,
        column_chart("Messages per day by gemeente", labels, by_tenant, label_every=every), by_tenant,
        bar_chart("RetourCodes in retour messages", code_rows), code_rows,
        column_chart("Time from heenbericht to its first retour", ANSWER_LABELS, answer_series, width=600,
                     height=220, colours=type_colours),
        answer_series,
    )
    return render(request, "charts.html", {"page": "charts", "charts": page, "periods": PERIODS,
                                           "tenants": config.tenants, "answer_labels": ANSWER_LABELS})


def _retourcode_rows(counts) -> list[tuple[str, int, str]]:
    """(code, how many retour messages carry it, its meaning), most frequent first."""
    totals: Counter[str] = Counter()
    meanings: dict[str, str] = {}
    for count in counts:
        kind = catalogue.by_code(count.message_type)
        if count.message_type in RETOUR_TYPES and kind is not None:
            totals[count.code] += count.count
            known = retourcodes.is_known(kind.standard, count.code)
            meanings.setdefault(count.code, retourcodes.meaning(kind.standard, count.code) if known
                                else "not in codelist WJ001")
    return [(code, number, meanings[code]) for code, number in sorted(totals.items(), key=lambda i: (-i[1], i[0]))]


# ── management figures ──

@dataclass
class Figures:
    toewijzingen: int = 0
    declaraties: int = 0
    rejected: int = 0
    messages: int = 0

    def add(self, message_type: str, status: str, count: int) -> None:
        kind = catalogue.by_code(message_type)
        number = kind.number if kind else None
        if status == REJECTED:
            self.rejected += count
        elif number == 301:
            self.toewijzingen += count
        elif number == 323:
            self.declaraties += count
        self.messages += count


@dataclass
class TenantFigures:
    tenant: str | None
    providers: dict[str | None, Figures] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)


def month_bounds(month: str, timezone: ZoneInfo) -> tuple[date, datetime, datetime]:
    """(first day, start, end) of a YYYY-MM month; ValueError for anything else."""
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, midnight(first, timezone), midnight(following, timezone)


def management_figures(counts: list[MessageCount]) -> tuple[list[TenantFigures], Figures]:
    """Counts grouped by (tenant, partner, message_type, status) → figures per gemeente and zorgaanbieder."""
    tenants: dict[str | None, TenantFigures] = {}
    overall = Figures()
    for count in counts:
        tenant, partner, message_type, status = count.group
        row = tenants.setdefault(tenant, TenantFigures(tenant))
        for figures in (row.providers.setdefault(partner, Figures()), row.total, overall):
            figures.add(message_type, status, count.count)
    ordered = sorted(tenants.values(), key=lambda row: (row.tenant is None, row.tenant or ""))
    for row in ordered:
        row.providers = dict(sorted(row.providers.items(), key=lambda item: (item[0] is None, item[0] or "")))
    return ordered, overall


@guarded
async def figures_page(request: web.Request) -> web.Response:
    timezone = settings_of(request.app).timezone
    month = request.query.get("month") or datetime.now(timezone).strftime("%Y-%m")
    try:
        first, start, end = month_bounds(month, timezone)
    except ValueError:
        return error_page(request, 400, f"month: {month[:20]!r} is not a month (YYYY-MM)", "figures")
    counts = await store_of(request).message_counts(
        SearchFilters(received_from=start, received_until=end), by=("tenant", "partner", "message_type", "status"))
    rows, overall = management_figures(counts)
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = end.strftime("%Y-%m")
    return render(request, "figures.html", {"page": "figures", "month": first.strftime("%Y-%m"),
                                            "month_name": first.strftime("%B %Y"), "rows": rows, "overall": overall,
                                            "previous": previous, "following": following})
