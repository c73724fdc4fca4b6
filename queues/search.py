"""Journal search: newest first, narrowed by SearchFilters, paged with an opaque keyset cursor."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .model import MESSAGE_ID, SearchFilters, SearchPage
from .records import FROM_MESSAGES, RECORD_COLUMNS, message_record, to_seconds
from .sql import Operation, Query

EQUALITY_FILTERS = (
    "tenant", "partner", "standard", "message_type", "direction", "status", "bericht_identificatie", "correlation_id",
)


def encode_cursor(received_at: float, message_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([received_at, message_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        received_at, message_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(received_at, (int, float)) and MESSAGE_ID.fullmatch(message_id):
            return float(received_at), message_id
    except (ValueError, TypeError, binascii.Error):
        pass
    raise ValueError(f"search cursor {cursor!r} is not one that search returned")


def where_clause(filters: SearchFilters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for name in EQUALITY_FILTERS:
        value = getattr(filters, name)
        if value is not None:
            clauses.append(f"m.{name} = ?")
            params.append(value)
    if filters.retourcode is not None:
        clauses.append("m.id IN (SELECT message_id FROM message_retourcodes WHERE code = ?)")
        params.append(filters.retourcode)
    if filters.received_from is not None:
        clauses.append("m.received_at >= ?")
        params.append(to_seconds(filters.received_from))
    if filters.received_until is not None:
        clauses.append("m.received_at < ?")
        params.append(to_seconds(filters.received_until))
    return " AND ".join(clauses) or "1 = 1", params


def search(filters: SearchFilters, limit: int, cursor: str | None, now: float) -> Operation[SearchPage]:
    where, params = where_clause(filters)
    if cursor is not None:
        received_at, message_id = decode_cursor(cursor)
        where += " AND (m.received_at < ? OR (m.received_at = ? AND m.id < ?))"
        params += [received_at, received_at, message_id]
    rows = yield Query(
        f"SELECT {RECORD_COLUMNS} {FROM_MESSAGES} WHERE {where} ORDER BY m.received_at DESC, m.id DESC LIMIT ?",
        (*params, limit + 1),
    )
    records = [message_record(row, now) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last["received_at"], last["id"])
    return SearchPage(records, next_cursor)


def count(filters: SearchFilters, at_most: int | None = None) -> Operation[int]:
    """How many messages match; with `at_most`, counting stops there (a journal of years holds tens of millions)."""
    where, params = where_clause(filters)
    if at_most is None:
        rows = yield Query(f"SELECT COUNT(*) AS n FROM messages m WHERE {where}", params)
    else:
        rows = yield Query(f"SELECT COUNT(*) AS n FROM (SELECT 1 FROM messages m WHERE {where} LIMIT ?) t",
                           (*params, at_most))
    return int(rows[0]["n"])


def statuses() -> Operation[list[str]]:
    """The statuses messages have, in order: one look into messages_status per status, not a pass over them all."""
    rows = yield Query(
        "WITH RECURSIVE present (status) AS (SELECT MIN(status) FROM messages UNION ALL "
        "SELECT (SELECT MIN(m.status) FROM messages m WHERE m.status > present.status) FROM present "
        "WHERE present.status IS NOT NULL) SELECT status FROM present WHERE status IS NOT NULL"
    )
    return [row["status"] for row in rows]
