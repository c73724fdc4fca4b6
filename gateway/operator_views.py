"""What an operator sees of the journal, for the operator API and the console alike.

- `message_query`: the message log's filters from a query string (bad values name the parameter);
- `message_detail`: a message's metadata, timeline, RetourCodes with their meaning (codelist WJ001) and related
  messages — never its payload;
- `view_payload` and `replay`: the two operator actions on a message, each written to the audit trail (who, what,
  which message, when, outcome) before its result goes out.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.corv.inbound import JZ_MESSAGES, STUF_MESSAGES
from connectors.corv.json_mapping import STANDARD as CORV
from connectors.istandaarden import catalogue, retourcodes
from gateway.config import Token
from queues import (
    DeadLetter, MessageNotFound, MessageRecord, NotDeadLettered, QueueStats, SearchFilters, Store, StoreError,
    TimelineEvent,
)
from queues.audit import PAYLOAD_VIEW, REPLAY, AuditEvent

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
RELATED_LIMIT = 20
# Register tables that name a ToewijzingNummer, and the message each row came from.
CHAIN_MESSAGES = {"toewijzing": 301, "start": 305, "stop": 307, "prestatie": 323}

STANDARDS = (*catalogue.STANDARDS, CORV)
CORV_MESSAGES = {name.lower(): name for name in (*JZ_MESSAGES, *STUF_MESSAGES)}
# Query parameter → (SearchFilters field, pattern the value must match, what it is). `from`/`until` are dates.
FILTER_PARAMETERS: dict[str, tuple[str, str, str]] = {
    "standard": ("standard", "|".join(STANDARDS), ", ".join(STANDARDS[:-1]) + f" or {STANDARDS[-1]}"),
    "message": ("message_type", r"(?i)(WMO|JW)\d{3}|" + "|".join(CORV_MESSAGES.values()),
                "a message code such as WMO301, JW323 or vtoDi01"),
    "status": ("status", r"[a-z][a-z -]{0,39}", "a status such as accepted, rejected or dead-lettered"),
    "tenant": ("tenant", r"\d{4}", "a gemeentecode (four digits)"),
    "partner": ("partner", r"[0-9A-Za-z._-]{1,40}", "an AGB code or OIN"),
    "retourcode": ("retourcode", r"\d{4}", "a RetourCode (four digits)"),
    "direction": ("direction", "inbound|outbound", "inbound or outbound"),
    "bericht_identificatie": ("bericht_identificatie", r"[^\x00-\x1f]{1,40}", "a BerichtIdentificatie"),
    "correlation_id": ("correlation_id", r"[0-9a-f-]{36}", "a message id"),
}
PERIOD_PARAMETERS = {
    "from": "received on or after: a date (YYYY-MM-DD, that day included) or a date-time",
    "until": "received before: a date (YYYY-MM-DD, that day included) or a date-time (excluded)",
}


class BadQuery(ValueError):
    """A query parameter with a value that cannot be used; the message names it."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


class AuditUnavailable(Exception):
    """The audit trail could not be written, so the action's result is not handed out."""


class PayloadPurged(Exception):
    """The message is journaled but its payload was removed by retention."""


@dataclass(frozen=True)
class MessageQuery:
    filters: SearchFilters
    limit: int
    cursor: str | None


def message_query(query: Mapping[str, str], timezone: ZoneInfo) -> MessageQuery:
    """Filters, page size and cursor from query parameters; empty values count as absent. Raises BadQuery."""
    values: dict[str, Any] = {}
    for parameter, (field, pattern, meaning) in FILTER_PARAMETERS.items():
        value = query.get(parameter, "").strip()
        if value:
            if not re.fullmatch(pattern, value):
                raise BadQuery(parameter, f"{_shown(value)} is not {meaning}")
            values[field] = CORV_MESSAGES.get(value.lower(), value.upper()) if parameter == "message" else value
    values["received_from"] = _moment(query, "from", timezone)
    values["received_until"] = _moment(query, "until", timezone)
    limit_text = query.get("limit", "").strip() or str(DEFAULT_LIMIT)
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise BadQuery("limit", f"{_shown(limit_text)} is not a whole number from 1 to {MAX_LIMIT}")
    return MessageQuery(SearchFilters(**values), int(limit_text), query.get("cursor", "").strip() or None)


def _moment(query: Mapping[str, str], parameter: str, timezone: ZoneInfo) -> datetime | None:
    text = query.get(parameter, "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=parameter == "until"), time(), timezone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadQuery(parameter, f"{_shown(text)} is not a date (YYYY-MM-DD) or date-time (ISO 8601)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone)


def _shown(value: str) -> str:
    """A rejected value as the error quotes it: short, so a mistaken paste (a BSN, a payload) is not echoed whole."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


# ── the message page ──

@dataclass(frozen=True)
class RetourCodeMeaning:
    code: str
    meaning: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "meaning": self.meaning or "not in codelist WJ001"}


@dataclass(frozen=True)
class RelatedMessage:
    """`relation`: "heenbericht" (the message this one answers), "retour" (an answer to this one), "same
    BerichtIdentificatie" (between the same parties) or "same ToewijzingNummer" (Toewijzing, start, Declaratie
    and stop of one allocation)."""

    relation: str
    record: MessageRecord
    retourcodes: list[RetourCodeMeaning]


@dataclass(frozen=True)
class MessageDetail:
    record: MessageRecord
    timeline: list[TimelineEvent]
    retourcodes: list[RetourCodeMeaning]
    related: list[RelatedMessage]


def message_title(message_type: str) -> str:
    kind = catalogue.by_code(message_type)
    return kind.title if kind else message_type


def retourcode_meanings(standard: str, codes: tuple[str, ...]) -> list[RetourCodeMeaning]:
    return [RetourCodeMeaning(code, retourcodes.meaning(standard, code) if retourcodes.is_known(standard, code)
                              else None) for code in codes]


async def message_detail(store: Store, message_id: str) -> MessageDetail:
    """Raises MessageNotFound."""
    record = await store.get(message_id, payload=False)
    timeline = await store.timeline(message_id)
    return MessageDetail(record, timeline, retourcode_meanings(record.standard, record.retourcodes),
                         await related_messages(store, record))


async def related_messages(store: Store, record: MessageRecord) -> list[RelatedMessage]:
    """The heenbericht it answers, its retours, and other messages with its BerichtIdentificatie and parties."""
    found: dict[str, tuple[str, MessageRecord]] = {}
    if record.correlation_id:
        try:
            found[record.correlation_id] = ("heenbericht", await store.get(record.correlation_id, payload=False))
        except MessageNotFound:
            pass  # the heenbericht's row is gone (never journaled here); the link is still shown on the record
    answers = await store.search(SearchFilters(correlation_id=record.id), limit=RELATED_LIMIT)
    for answer in answers.messages:
        found.setdefault(answer.id, ("retour", answer))
    if record.bericht_identificatie:
        same = await store.search(SearchFilters(bericht_identificatie=record.bericht_identificatie,
                                                tenant=record.tenant, partner=record.partner), limit=RELATED_LIMIT)
        for other in same.messages:
            found.setdefault(other.id, ("same BerichtIdentificatie", other))
    for other in await allocation_chain(store, record):
        found.setdefault(other.id, ("same ToewijzingNummer", other))
    found.pop(record.id, None)
    related = [RelatedMessage(relation, other, retourcode_meanings(other.standard, other.retourcodes))
               for relation, other in found.values()]
    return sorted(related, key=lambda item: (item.record.received_at, item.record.id))


async def allocation_chain(store: Store, record: MessageRecord) -> list[MessageRecord]:
    """Toewijzing → start → declaraties → stop: the messages about the ToewijzingNummers this message is about,
    as the rules' register in the store knows them (accepted messages only). None when the store keeps no register."""
    if not (record.bericht_identificatie and record.tenant and record.partner):
        return []
    try:
        store.register_keys()
    except StoreError:
        return []
    parties = {"standard": record.standard, "tenant": record.tenant, "agb": record.partner}
    numbers: set[str] = set()
    for kind in CHAIN_MESSAGES:
        rows = await store.register_rows(kind, {**parties, "identificatie": record.bericht_identificatie})
        numbers.update(row["toewijzingnummer"] for row in rows if row["toewijzingnummer"])
    identificaties: dict[str, int] = {}
    for number in sorted(numbers)[:RELATED_LIMIT]:
        for kind, message_number in CHAIN_MESSAGES.items():
            for row in await store.register_rows(kind, {**parties, "toewijzingnummer": number}):
                identificaties.setdefault(row["identificatie"], message_number)
    chain = []
    for identificatie, message_number in list(identificaties.items())[:RELATED_LIMIT]:
        page = await store.search(SearchFilters(bericht_identificatie=identificatie, tenant=record.tenant,
                                                partner=record.partner, standard=record.standard), limit=10)
        chain += [other for other in page.messages if _number(other.message_type) == message_number]
    return chain


def _number(message_type: str) -> int | None:
    kind = catalogue.by_code(message_type)
    return kind.number if kind else None


# ── audited actions ──

async def view_payload(store: Store, token: Token, message_id: str, via: str) -> bytes:
    """The payload, once the view is in the audit trail. Raises MessageNotFound, PayloadPurged, AuditUnavailable."""
    try:
        record = await store.get(message_id)
    except MessageNotFound:
        await _audit(store, token, PAYLOAD_VIEW, message_id, "not_found", via)
        raise
    if record.payload is None:
        await _audit(store, token, PAYLOAD_VIEW, message_id, "purged", via)
        raise PayloadPurged(f"the payload of message {message_id} was removed by retention; its metadata remains")
    await _audit(store, token, PAYLOAD_VIEW, message_id, "success", via,
                 {"message_type": record.message_type, "tenant": record.tenant})
    return record.payload


async def replay(store: Store, token: Token, message_id: str, via: str) -> None:
    """Put a dead letter back on its queue, and audit the attempt. Raises MessageNotFound, NotDeadLettered,
    AuditUnavailable (the replay itself took place then)."""
    try:
        await store.replay(message_id)
    except MessageNotFound:
        await _audit(store, token, REPLAY, message_id, "not_found", via)
        raise
    except NotDeadLettered:
        await _audit(store, token, REPLAY, message_id, "not_dead_lettered", via)
        raise
    await _audit(store, token, REPLAY, message_id, "success", via)


async def _audit(store: Store, token: Token, action: str, object_id: str, outcome: str, via: str,
                 detail: Mapping[str, Any] | None = None) -> None:
    # The id as asked for, but escaped where it holds what a database may refuse to store (a NUL character).
    object_id = object_id if object_id.isprintable() else object_id.encode("unicode_escape").decode("ascii")
    event = AuditEvent(actor=token.name, role=token.role, action=action, object_id=object_id, outcome=outcome,
                       detail={"via": via, **(detail or {})})
    try:
        await store.audit(event)
    except Exception as error:  # whatever failed, the action's result must not go out unaudited
        raise AuditUnavailable(f"the audit trail cannot be written ({type(error).__name__})") from error


# ── JSON forms ──

def message_json(record: MessageRecord) -> dict[str, Any]:
    return {
        "id": record.id, "received_at": record.received_at.isoformat(), "updated_at": record.updated_at.isoformat(),
        "standard": record.standard, "message_type": record.message_type,
        "message_title": message_title(record.message_type), "direction": record.direction,
        "tenant": record.tenant, "partner": record.partner, "status": record.status,
        "bericht_identificatie": record.bericht_identificatie, "dagtekening": record.dagtekening,
        "correlation_id": record.correlation_id, "retourcodes": list(record.retourcodes),
        "queue": record.queue, "queue_state": record.queue_state, "attempts": record.attempts,
    }


def detail_json(detail: MessageDetail) -> dict[str, Any]:
    return {
        **message_json(detail.record),
        "meta": detail.record.meta,
        "retourcodes": [code.as_dict() for code in detail.retourcodes],
        "timeline": [{"at": event.at.isoformat(), "event": event.event, "detail": event.detail}
                     for event in detail.timeline],
        "related": [{**message_json(item.record), "relation": item.relation,
                     "retourcodes": [code.as_dict() for code in item.retourcodes]} for item in detail.related],
    }


def dead_letter_json(dead: DeadLetter) -> dict[str, Any]:
    return {**message_json(dead.message), "queue": dead.queue, "attempts": dead.attempts,
            "dead_at": dead.dead_at.isoformat(), "reason": dead.reason}


def queue_json(stats: QueueStats) -> dict[str, Any]:
    return {"queue": stats.queue, "depth": stats.depth, "in_flight": stats.in_flight, "dead": stats.dead,
            "oldest_age_seconds": stats.oldest_age_seconds}
