"""Queue operations: lease, ack, nack, dead letters, replay, statistics. Each is one transaction (see sql.py)."""
from __future__ import annotations

from collections.abc import Sequence

from .codec import PayloadCodec
from .errors import LeaseLost, MessageNotFound, NotDeadLettered
from .journal_ops import get_many, insert_event, insert_events, touch
from .model import LEASE_TOKEN, DeadLetter, LeasedMessage, QueueStats, is_lease, new_lease_token
from .records import FROM_MESSAGES, RECORD_COLUMNS, message_record, to_datetime
from .retry import RetryPolicy
from .sql import Dialect, Operation, Query, Wake


def _dead_letter(message_id: str, queue: str, attempts: int, reason: str, now: float) -> Operation[None]:
    yield Query(
        "UPDATE queue_items SET state = 'dead', dead_at = ?, reason = ?, lease_token = NULL WHERE message_id = ?",
        (now, reason, message_id),
    )
    yield from touch(message_id, now, "dead-lettered")
    yield insert_event(message_id, now, "dead-lettered", {"queue": queue, "attempts": attempts, "reason": reason})


def lease(
    dialect: Dialect,
    queue: str,
    n: int,
    visibility_seconds: float,
    policy: RetryPolicy,
    now: float,
    codec: PayloadCodec,
) -> Operation[list[LeasedMessage]]:
    """Up to n visible messages, oldest first, under one new token. One whose earlier leases all expired
    `max_attempts` times is dead-lettered instead of delivered again."""
    expires, token = now + visibility_seconds, new_lease_token()
    leased: list[tuple[str, int]] = []
    while len(leased) < n:
        rows = yield Query(
            "SELECT message_id, attempts FROM queue_items WHERE queue = ? AND state = 'ready' AND visible_at <= ? "
            f"ORDER BY visible_at LIMIT ? {dialect.skip_locked}",
            (queue, now, n - len(leased)),
        )
        if not rows:
            break
        fresh = []
        for row in rows:
            if row["attempts"] >= policy.max_attempts:
                reason = f"lease expired {row['attempts']} times without ack"
                yield from _dead_letter(row["message_id"], queue, row["attempts"], reason, now)
            else:
                fresh.append((row["message_id"], row["attempts"] + 1))
        if fresh:
            condition, params = dialect.in_list([message_id for message_id, _ in fresh])
            yield Query(
                "UPDATE queue_items SET visible_at = ?, lease_token = ?, attempts = attempts + 1 "
                f"WHERE message_id {condition}",
                (expires, token, *params),
            )
            events = [(message_id, "leased", {"queue": queue, "attempt": attempt}) for message_id, attempt in fresh]
            yield insert_events(now, events)
            leased += fresh
    records = yield from get_many(dialect, [message_id for message_id, _ in leased], now, codec)
    return [
        LeasedMessage(record, queue, token, attempt, to_datetime(expires))
        for record, (_, attempt) in zip(records, leased)
    ]


def _require_message(message_id: str) -> Operation[None]:
    rows = yield Query("SELECT id FROM messages WHERE id = ?", (message_id,))
    if not rows:
        raise MessageNotFound(message_id)


def _explain_no_lease(message_id: str) -> Operation[None]:
    """The message is not leased with the token given: raise why, or return when it is on no queue any more."""
    rows = yield Query("SELECT state FROM queue_items WHERE message_id = ?", (message_id,))
    if rows:
        why = "dead-lettered" if rows[0]["state"] == "dead" else "the lease expired or was given back"
        raise LeaseLost(f"message {message_id} is not leased with that token any more ({why})")
    yield from _require_message(message_id)


def ack(dialect: Dialect, message_id: str, token: str, now: float,
        queues: Sequence[str] | None = None) -> Operation[bool]:
    """Done with it: off the queue for good. Acking a message that is on no queue any more is a no-op. With
    `queues`, only a lease on one of them is acked; otherwise it returns False, having changed and explained
    nothing."""
    if (yield from ack_leases(dialect, [(message_id, token)], now, queues)):
        return True
    if queues is not None:
        return False
    yield from _explain_no_lease(message_id)
    return True


def ack_leases(dialect: Dialect, leases: Sequence[tuple[str, str]], now: float,
               queues: Sequence[str] | None = None) -> Operation[set[str]]:
    """Ack every (message id, lease token) whose lease is current, on one of `queues` when given: the ids acked. The
    others are left as they are, unexplained (`ack` tells why for one)."""
    leases = [(message_id, token) for message_id, token in leases if is_lease(message_id, token)]
    if not leases or queues is not None and not queues:
        return set()
    pairs, params = dialect.in_pairs(leases)
    restriction = ""
    if queues is not None:
        condition, queue_params = dialect.in_list(queues)
        restriction, params = f" AND queue {condition}", params + queue_params
    rows = yield Query(
        f"DELETE FROM queue_items WHERE (message_id, lease_token) {pairs} AND state = 'ready'{restriction} "
        "RETURNING message_id, queue, attempts",
        params,
    )
    if not rows:
        return set()
    acked = [row["message_id"] for row in rows]
    condition, ids = dialect.in_list(acked)
    yield Query(f"UPDATE messages SET updated_at = ?, status = 'acked' WHERE id {condition}", [now, *ids])
    yield insert_events(now, [(row["message_id"], "acked", {"queue": row["queue"], "attempt": row["attempts"]})
                              for row in rows])
    return set(acked)


def nack(
    dialect: Dialect,
    message_id: str,
    token: str,
    delay: float | None,
    reason: str | None,
    policy: RetryPolicy,
    now: float,
) -> Operation[str]:
    """Give it back: retried after `delay` (default: the policy's backoff), or dead-lettered after the last attempt.
    Returns the event recorded: "retried" or "dead-lettered"."""
    rows = [] if LEASE_TOKEN.fullmatch(token) is None else (yield Query(
        "SELECT queue, attempts FROM queue_items WHERE message_id = ? AND lease_token = ? AND state = 'ready' "
        f"{dialect.for_update}",
        (message_id, token),
    ))
    if not rows:
        yield from _explain_no_lease(message_id)
        raise LeaseLost(f"message {message_id} is on no queue any more (acked before?)")
    queue, attempts = rows[0]["queue"], rows[0]["attempts"]
    if attempts >= policy.max_attempts:
        yield from _dead_letter(message_id, queue, attempts, reason or f"nacked {attempts} times", now)
        return "dead-lettered"
    wait = policy.delay(attempts) if delay is None else max(delay, 0.0)
    yield Query(
        "UPDATE queue_items SET visible_at = ?, lease_token = NULL WHERE message_id = ?", (now + wait, message_id)
    )
    yield from touch(message_id, now)
    detail = {"queue": queue, "attempt": attempts, "delay_seconds": round(wait, 3), "reason": reason}
    yield insert_event(message_id, now, "retried", detail)
    yield Wake(queue)
    return "retried"


def replay(dialect: Dialect, message_id: str, now: float) -> Operation[None]:
    """Back from the dead-letter queue onto its own queue, with a fresh count of attempts."""
    rows = yield Query(
        f"SELECT queue FROM queue_items WHERE message_id = ? AND state = 'dead' {dialect.for_update}", (message_id,)
    )
    if not rows:
        yield from _require_message(message_id)
        raise NotDeadLettered(f"message {message_id} is not on a dead-letter queue")
    queue = rows[0]["queue"]
    yield Query(
        "UPDATE queue_items SET state = 'ready', visible_at = ?, attempts = 0, lease_token = NULL, enqueued_at = ?, "
        "dead_at = NULL, reason = NULL WHERE message_id = ?",
        (now, now, message_id),
    )
    yield from touch(message_id, now, "queued")
    yield insert_event(message_id, now, "replayed", {"queue": queue})
    yield Wake(queue)


def dead_letters(queue: str | None, limit: int, now: float) -> Operation[list[DeadLetter]]:
    where, params = "q.state = 'dead'", [limit]
    if queue is not None:
        where, params = "q.state = 'dead' AND q.queue = ?", [queue, limit]
    rows = yield Query(
        f"SELECT {RECORD_COLUMNS}, q.dead_at, q.reason {FROM_MESSAGES} WHERE {where} "
        "ORDER BY q.dead_at, q.message_id LIMIT ?",
        params,
    )
    return [
        DeadLetter(message_record(row, now), row["queue"], row["attempts"], to_datetime(row["dead_at"]), row["reason"])
        for row in rows
    ]


def queue_stats(now: float) -> Operation[list[QueueStats]]:
    in_flight = "state = 'ready' AND lease_token IS NOT NULL AND visible_at > ?"
    rows = yield Query(
        "SELECT queue, "
        f"SUM(CASE WHEN state = 'ready' AND NOT ({in_flight}) THEN 1 ELSE 0 END) AS depth, "
        f"SUM(CASE WHEN {in_flight} THEN 1 ELSE 0 END) AS in_flight, "
        "SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END) AS dead, "
        "MIN(CASE WHEN state = 'ready' THEN enqueued_at END) AS oldest "
        "FROM queue_items GROUP BY queue ORDER BY queue",
        (now, now),
    )
    return [
        QueueStats(
            row["queue"], int(row["depth"]), int(row["in_flight"]), int(row["dead"]),
            None if row["oldest"] is None else max(now - row["oldest"], 0.0),
        )
        for row in rows
    ]


def next_visible_at(queue: str) -> Operation[float | None]:
    """When the next message on `queue` becomes (or became) visible; None when it holds none that will."""
    rows = yield Query("SELECT MIN(visible_at) AS at FROM queue_items WHERE queue = ? AND state = 'ready'", (queue,))
    return rows[0]["at"]
