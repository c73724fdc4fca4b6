"""Counts over the journal for the operator console: volumes, retourcodes, answer times and delivery outcomes.

Every count is done by the database (one query, grouped), so a page costs the same at ten or ten million messages
apart from the scan the filters leave. Periods and time buckets are given as boundaries by the caller, who knows
the time zone its days and months are in.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import SearchFilters
from .records import to_datetime, to_seconds
from .search import where_clause
from .sql import Operation, Query

GROUP_COLUMNS = ("standard", "message_type", "direction", "tenant", "partner", "status")
# Queue events that end a delivery attempt: taken (ack) or not (nack, or given up).
DELIVERY_SUCCESS = ("acked",)
DELIVERY_FAILURE = ("retried", "dead-lettered")


@dataclass(frozen=True)
class MessageCount:
    """`group`: the values of the grouping columns, in the order asked; `period`: the index of the period the
    messages fall in (None when no periods were asked)."""

    group: tuple[str | None, ...]
    period: int | None
    count: int


@dataclass(frozen=True)
class RetourcodeCount:
    message_type: str
    code: str
    count: int


@dataclass(frozen=True)
class AnswerTimeCount:
    """Heenberichten of `message_type` whose first answer came within bucket `bucket` of the bounds asked."""

    message_type: str
    bucket: int
    count: int


@dataclass(frozen=True)
class PartnerDeliveries:
    """Delivery outcomes of the messages for one receiving party (the tenant of inbound messages, the partner of
    outbound ones): counts since the time asked, and the last of each ever recorded."""

    receiver: str | None
    successes: int
    failures: int
    last_success: datetime | None
    last_failure: datetime | None

    @property
    def error_rate(self) -> float | None:
        attempts = self.successes + self.failures
        return self.failures / attempts if attempts else None


def _bucket_case(expression: str, bounds: Sequence[float]) -> tuple[str, list[float]]:
    """SQL giving i when `expression` < bounds[i] (the first such i), else len(bounds)."""
    whens = " ".join(f"WHEN {expression} < ? THEN {index}" for index in range(len(bounds)))
    return f"CASE {whens} ELSE {len(bounds)} END", list(bounds)


def message_counts(
    filters: SearchFilters, by: Sequence[str], periods: Sequence[datetime]
) -> Operation[list[MessageCount]]:
    unknown = [column for column in by if column not in GROUP_COLUMNS]
    if unknown:
        raise ValueError(f"cannot count by {', '.join(unknown)}: choose from {', '.join(GROUP_COLUMNS)}")
    if len(periods) == 1 or not (by or periods):
        raise ValueError("count by at least one column or two period boundaries (Store.count counts them all)")
    where, params = where_clause(filters)
    select, select_params = [f"m.{column}" for column in by], []
    if periods:
        bounds = [to_seconds(moment) for moment in periods]
        case, select_params = _bucket_case("m.received_at", bounds[1:])
        select.append(f"{case} AS period")
        where += " AND m.received_at >= ? AND m.received_at < ?"
        params += [bounds[0], bounds[-1]]
    grouped = ", ".join([*by, *(["period"] if periods else [])])
    rows = yield Query(
        f"SELECT {grouped}, COUNT(*) AS n FROM (SELECT {', '.join(select)} FROM messages m WHERE {where}) t "
        f"GROUP BY {grouped} ORDER BY {grouped}",
        (*select_params, *params),
    )
    return [
        MessageCount(tuple(row[column] for column in by), row["period"] if periods else None, int(row["n"]))
        for row in rows
    ]


def retourcode_counts(filters: SearchFilters) -> Operation[list[RetourcodeCount]]:
    where, params = where_clause(filters)
    rows = yield Query(
        "SELECT m.message_type, r.code, COUNT(*) AS n FROM messages m "
        f"JOIN message_retourcodes r ON r.message_id = m.id WHERE {where} "
        "GROUP BY m.message_type, r.code ORDER BY m.message_type, r.code",
        params,
    )
    return [RetourcodeCount(row["message_type"], row["code"], int(row["n"])) for row in rows]


def answer_times(filters: SearchFilters, bounds_seconds: Sequence[float]) -> Operation[list[AnswerTimeCount]]:
    """`filters` select the heenberichten; each counts once, by the time to the first message correlated to it."""
    where, params = where_clause(filters)
    case, case_params = _bucket_case("seconds", bounds_seconds)
    rows = yield Query(
        f"SELECT message_type, {case} AS bucket, COUNT(*) AS n FROM ("
        "SELECT m.message_type, MIN(r.received_at) - m.received_at AS seconds FROM messages m "
        f"JOIN messages r ON r.correlation_id = m.id WHERE {where} "
        "GROUP BY m.id, m.message_type, m.received_at) t GROUP BY message_type, bucket ORDER BY message_type, bucket",
        (*case_params, *params),
    )
    return [AnswerTimeCount(row["message_type"], int(row["bucket"]), int(row["n"])) for row in rows]


def delivery_counts(since: datetime) -> Operation[list[PartnerDeliveries]]:
    success = ", ".join(f"'{event}'" for event in DELIVERY_SUCCESS)
    failure = ", ".join(f"'{event}'" for event in DELIVERY_FAILURE)
    cutoff = to_seconds(since)
    rows = yield Query(
        "SELECT receiver, "
        f"SUM(CASE WHEN event IN ({success}) AND at >= ? THEN 1 ELSE 0 END) AS successes, "
        f"SUM(CASE WHEN event IN ({failure}) AND at >= ? THEN 1 ELSE 0 END) AS failures, "
        f"MAX(CASE WHEN event IN ({success}) THEN at END) AS last_success, "
        f"MAX(CASE WHEN event IN ({failure}) THEN at END) AS last_failure "
        "FROM (SELECT CASE WHEN m.direction = 'inbound' THEN m.tenant ELSE m.partner END AS receiver, e.event, e.at "
        f"FROM message_events e JOIN messages m ON m.id = e.message_id WHERE e.event IN ({success}, {failure})) t "
        "GROUP BY receiver ORDER BY receiver",
        (cutoff, cutoff),
    )
    return [
        PartnerDeliveries(
            row["receiver"], int(row["successes"]), int(row["failures"]),
            None if row["last_success"] is None else to_datetime(row["last_success"]),
            None if row["last_failure"] is None else to_datetime(row["last_failure"]),
        )
        for row in rows
    ]
