"""Reading a queue over HTTP: lease a page of messages, show each one, then ack or nack it with its lease token.

A page is `{"messages": [...]}`; each message has `id`, `message` (the code, e.g. "WMO305"), its metadata, `xml`
(the message as received), `lease_token` and `lease_expires_at`, and for backoffice systems `json` (the lossless
JSON form: `connectors.istandaarden.json_mapping`, or `connectors.corv.json_mapping` for CORV messages). Ack and
nack take `{"lease_token": "..."}` as JSON body; a lease that expired or was given back answers 409, and the message
comes again with the next lease. A page's acks may go in one request, `{"acks": [{"id", "lease_token"}, ...]}`.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from aiohttp import web
from lxml import etree

from connectors.common.bsn import holds_bsn
from connectors.corv import json_mapping as corv_json
from connectors.istandaarden import json_mapping
from connectors.istandaarden.safe_xml import parse
from gateway.http_errors import JsonHttpError, json_error
from gateway.pipeline import Pipeline
from gateway.request_body import loads_json
from queues import LeasedMessage, LeaseLost, MessageNotFound, MessageRecord, Store

DEFAULT_LIMIT, MAX_LIMIT = 10, 100
DEFAULT_LEASE_SECONDS, MAX_LEASE_SECONDS = 60.0, 3600.0
MAX_NACK_DELAY_SECONDS = 7 * 24 * 3600.0
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A page whose payloads hold up to this many bytes is shown on the event loop (a few milliseconds: 40 messages
# of the usual 3 KB); the thread hop cost a tenth of each delivery. A larger page goes to a thread, so other requests
# go on meanwhile.
INLINE_PAGE_BYTES = 128 * 1024
ACKS_OPERATION = {
    "requestBody": {"content": {"application/json": {"schema": {
        "type": "object", "required": ["acks"], "properties": {"acks": {
            "type": "array", "minItems": 1, "maxItems": MAX_LIMIT, "items": {
                "type": "object", "required": ["id", "lease_token"],
                "properties": {"id": {"type": "string"}, "lease_token": {"type": "string"}}}}},
    }}}},
    "responses": {"200": {"description": "{acked: [id], failed: [{id, status, errors}]}: each failed one as its "
                                         "own ack would have answered (404, 403, 409), and left as it was"}},
}


async def lease_page(request: web.Request, pipeline: Pipeline, queue: str, *, with_json: bool) -> web.Response:
    """`GET ...?limit=N&lease=SECONDS`: up to N messages of `queue`, invisible to others for SECONDS."""
    limit = _query_number(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, int)
    seconds = _query_number(request, "lease", DEFAULT_LEASE_SECONDS, 1, MAX_LEASE_SECONDS, float)
    leased = await pipeline.store.lease(queue, limit, seconds)

    def views() -> list[dict[str, Any]]:
        return [_view(item, pipeline, with_json) for item in leased]

    size = sum(len(item.message.payload or b"") for item in leased)
    page = {"messages": views() if size <= INLINE_PAGE_BYTES else await asyncio.to_thread(views)}
    # orjson writes a page with its JSON forms in a sixth of json.dumps's time (4.5 against 28.7 µs per message).
    return web.Response(body=orjson.dumps(page), content_type="application/json")


def record_view(record: MessageRecord) -> dict[str, Any]:
    """The metadata of a journaled message as JSON (no payload)."""
    return {
        "id": record.id, "message": record.message_type, "standard": record.standard,
        "direction": record.direction, "tenant": record.tenant, "partner": record.partner,
        "status": record.status, "bericht_identificatie": record.bericht_identificatie,
        "dagtekening": record.dagtekening, "correlation_id": record.correlation_id,
        "retourcodes": list(record.retourcodes), "received_at": record.received_at.isoformat(),
    }


def _view(leased: LeasedMessage, pipeline: Pipeline, with_json: bool) -> dict[str, Any]:
    payload = leased.message.payload or b""
    view = record_view(leased.message) | {
        "attempt": leased.attempts, "lease_token": leased.token,
        "lease_expires_at": leased.lease_expires_at.isoformat(),
    }
    # Whatever is queued passed the depth check when it came in: the parser's own limit (256 levels) will do.
    root = parse(payload, pipeline.xml_limits, check_depth=False) if with_json else None
    view["xml"] = _text(payload, root)
    if root is not None and leased.message.standard == corv_json.STANDARD:
        view["json"] = corv_json.to_json(root)
    elif root is not None:
        view["json"] = json_mapping.to_json(root, pipeline.registry)
    return view


def _text(payload: bytes, root: etree._Element | None) -> str:
    """The message as text: as received when it is UTF-8, else re-serialised from its tree."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        root = root if root is not None else parse(payload)
        return etree.tostring(root, encoding="unicode")


async def leased_message(store: Store, message_id: str) -> MessageRecord:
    """The journaled message `message_id` without its payload, or 404."""
    try:
        return await store.get(message_id, payload=False)
    except MessageNotFound as error:
        raise json_error(404, str(error)) from None


async def acknowledge(request: web.Request, store: Store, message_id: str, queues: Sequence[str],
                      check_owner: Callable[[str], Awaitable[object]]) -> web.Response:
    """`POST .../{id}/ack` with `{"lease_token"}`: done with the message; it leaves the queue for good.

    A lease on one of `queues` (the caller's) is acked in one write, without reading the message first: a fifth of
    a delivery's cost. Anything else goes to `check_owner`, which answers 404 or 403 for a message that is not the
    caller's; for the caller's own, the ack then says why it failed (409), or that it was acked before (200)."""
    token = _lease_token(await _json_body(request))
    if not await store.ack(message_id, token, queues=queues):
        await _ack_not_on_queues(store, message_id, token, check_owner)
    return web.json_response({"id": message_id, "status": "acked"})


async def acknowledge_many(request: web.Request, store: Store, queues: Sequence[str],
                           check_owner: Callable[[str], Awaitable[object]]) -> web.Response:
    """`POST .../ack` with `{"acks": [{"id", "lease_token"}, ...]}`: a page's acks in one request and one write.

    Answers 200 `{"acked": [id, ...], "failed": [{"id", "status", "errors"}, ...]}`: each failed one with the status
    and errors its own `POST .../{id}/ack` would have answered (404, 403, 409); those are left as they were."""
    leases = _leases(await _json_body(request))
    acked = await store.ack_many(leases, queues=queues)
    answer: dict[str, list[Any]] = {"acked": [], "failed": []}
    for message_id, token in dict(leases).items():
        if message_id not in acked:
            try:
                await _ack_not_on_queues(store, message_id, token, check_owner)
            except JsonHttpError as error:
                answer["failed"].append({"id": message_id, "status": error.status,
                                         "errors": json.loads(error.text or "{}").get("errors", [])})
                continue
        answer["acked"].append(message_id)
    return web.json_response(answer)


async def _ack_not_on_queues(store: Store, message_id: str, token: str,
                             check_owner: Callable[[str], Awaitable[object]]) -> None:
    """The ack of a lease that is not on the caller's queues: 404 or 403 from `check_owner`, 409 for a lease that
    is not current; for a message acked before, nothing to say."""
    await check_owner(message_id)
    try:
        await store.ack(message_id, token)
    except LeaseLost as error:
        raise json_error(409, str(error)) from None


async def give_back(request: web.Request, store: Store, message_id: str) -> web.Response:
    """`POST .../{id}/nack` with `{"lease_token", "delay"?, "reason"?}`: deliver it again later (after `delay`
    seconds, default the backoff), or to the dead-letter queue after the last attempt."""
    body = await _json_body(request)
    delay = body.get("delay")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float))
                              or not 0 <= delay <= MAX_NACK_DELAY_SECONDS):
        raise json_error(400, f"delay must be a number of seconds from 0 to {MAX_NACK_DELAY_SECONDS:g}",
                         path="$.delay")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise json_error(400, "reason must be a string", path="$.reason")
    if reason is not None and CONTROL_CHARACTER.search(reason):  # a NUL, for one, PostgreSQL cannot store
        raise json_error(400, "reason must not hold control characters other than tab and line breaks",
                         path="$.reason")
    if reason is not None and holds_bsn(reason):  # reasons are kept in clear in the timeline and dead letters
        raise json_error(400, "reason must not hold a BSN (it is stored in clear); say what went wrong without it",
                         path="$.reason")
    try:
        result = await store.nack(message_id, _lease_token(body), delay, reason=reason)
    except LeaseLost as error:
        raise json_error(409, str(error)) from None
    return web.json_response({"id": message_id, "result": result})


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = loads_json(await request.read() or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise json_error(400, f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise json_error(400, 'the body must be a JSON object like {"lease_token": "..."}')
    return body


def _lease_token(body: dict[str, Any], path: str = "$") -> str:
    token = body.get("lease_token")
    if not isinstance(token, str) or not token:
        raise json_error(400, "lease_token missing: give the lease_token the message came with",
                         path=f"{path}.lease_token")
    return token


def _leases(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The (id, lease_token) pairs of `{"acks": [...]}`: 1 to MAX_LIMIT, as many as a page holds."""
    acks = body.get("acks")
    if not isinstance(acks, list) or not 1 <= len(acks) <= MAX_LIMIT:
        raise json_error(400, f'acks must be a list of 1 to {MAX_LIMIT} objects like {{"id": "...", '
                              '"lease_token": "..."}', path="$.acks")
    leases = []
    for number, item in enumerate(acks):
        path = f"$.acks[{number}]"
        if not isinstance(item, dict):
            raise json_error(400, 'each ack must be an object like {"id": "...", "lease_token": "..."}', path=path)
        message_id = item.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise json_error(400, "id missing: give the id the message came with", path=f"{path}.id")
        leases.append((message_id, _lease_token(item, path)))
    return leases


def query_flag(request: web.Request, name: str, default: bool) -> bool:
    """A query parameter `name=true|false`."""
    text = request.query.get(name)
    if text is None:
        return default
    if text not in ("true", "false"):
        raise json_error(400, f"query parameter {name}={text!r} must be true or false", path=name)
    return text == "true"


def _query_number(request: web.Request, name: str, default, minimum, maximum, kind):
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:
        raise json_error(400, f"query parameter {name}={text!r} must be a number from {minimum} to {maximum}",
                         path=name)
    return value
