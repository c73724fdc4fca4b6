"""Operations on stored payloads as a whole: purge by retention, and rewrite under the current codec and key.

Both work in batches, one transaction each, so a large store is never locked for long and an interrupted run can
simply be started again.
"""
from __future__ import annotations

from .codec import PayloadCodec
from .journal_ops import insert_events
from .records import decode_payload
from .sql import Operation, Query, placeholders


def purge_payloads(tenant: str, older_than: float, now: float, limit: int) -> Operation[int]:
    """Drop up to `limit` payloads of `tenant` received before `older_than`; the metadata and timeline stay.

    Messages still on a queue (waiting, leased or dead-lettered) keep their payload until they leave it: a
    consumer or operator still needs it.
    """
    rows = yield Query(
        "SELECT m.id FROM messages m WHERE m.tenant = ? AND m.received_at < ? AND m.payload IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM queue_items q WHERE q.message_id = m.id) ORDER BY m.received_at LIMIT ?",
        (tenant, older_than, limit),
    )
    if rows:  # one statement each for the batch: on PostgreSQL every statement is a round trip
        ids = [row["id"] for row in rows]
        yield Query(f"UPDATE messages SET payload = NULL, updated_at = ? WHERE id IN ({placeholders(len(ids))})",
                    (now, *ids))
        yield insert_events(now, [(message_id, "payload.purged", {"reason": "retention"}) for message_id in ids])
    return len(rows)


def rewrite_payloads(codec: PayloadCodec, after_id: str, limit: int) -> Operation[tuple[int, str | None]]:
    """Re-encode the payloads among the next `limit` messages (by id, after `after_id`) that the codec does not
    hold in its current form: stored as plain text, or under an older key. Returns (rewritten, last id seen)."""
    rows = yield Query(
        "SELECT id, payload_codec, payload FROM messages WHERE id > ? AND payload IS NOT NULL ORDER BY id LIMIT ?",
        (after_id, limit),
    )
    rewritten = 0
    for row in rows:
        if row["payload_codec"] == codec.name and codec.is_current(bytes(row["payload"])):
            continue
        payload = decode_payload(row, codec)
        # "payload IS NOT NULL": a purge that committed meanwhile (PostgreSQL) is not undone.
        yield Query("UPDATE messages SET payload_codec = ?, payload = ? WHERE id = ? AND payload IS NOT NULL",
                    (codec.name, codec.encode(payload, row["id"]), row["id"]))
        rewritten += 1
    return rewritten, (rows[-1]["id"] if rows else None)
