"""The operator API: search the message log, a message's detail and (audited) payload, dead letters and their
(audited) replay, queue depths. Operator tokens only; the store comes from `gateway.services` (STORE_KEY).

Query strings are not logged (see `gateway.server.AccessLogger`) and no filter value is ever logged here: a
BerichtIdentificatie or a mistaken paste may carry personal data.
"""
from __future__ import annotations

from aiohttp import web

from gateway.appkeys import STORE_KEY
from gateway.auth import OPERATOR, authenticated_token
from gateway.http_errors import json_error
from gateway.operator_settings import settings_of
from gateway.operator_views import (
    FILTER_PARAMETERS, MAX_LIMIT, PERIOD_PARAMETERS, AuditUnavailable, BadQuery, PayloadPurged, dead_letter_json,
    detail_json, message_detail, message_json, message_query, queue_json, replay, view_payload,
)
from gateway.routing import add_route
from queues import MessageNotFound, NotDeadLettered, Store, StoreUnavailable

TAGS = ["operator"]
MAX_DEAD_LETTERS = 1000


def _query_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string"}}


SEARCH_PARAMETERS = [
    *(_query_parameter(name, meaning) for name, (_, _, meaning) in FILTER_PARAMETERS.items()),
    *(_query_parameter(name, meaning) for name, meaning in PERIOD_PARAMETERS.items()),
    _query_parameter("limit", f"messages per page, 1 to {MAX_LIMIT} (default 50)"),
    _query_parameter("cursor", "`next_cursor` of the previous page"),
]


def setup(app: web.Application) -> None:
    settings_of(app)  # a wrong [console] section stops start-up here, not at the first request
    add_route(app, "GET", "/api/v1/messages", search_messages, access=OPERATOR,
              summary="Search the message log, newest first (no payloads)",
              operation={"tags": TAGS, "parameters": SEARCH_PARAMETERS, "responses": {
                  "200": {"description": "`{messages: [...], next_cursor}`; next_cursor is null on the last page"},
                  "400": {"description": "a filter value that cannot be used (the error names the parameter)"},
              }})
    add_route(app, "GET", "/api/v1/messages/{id}", get_message, access=OPERATOR,
              summary="A message: metadata, timeline, RetourCodes with their meaning, related messages (no payload)",
              operation={"tags": TAGS, "responses": {
                  "200": {"description": "the message; `related` lists its heenbericht, retours, messages with "
                                         "the same BerichtIdentificatie and, where the store keeps the rules' "
                                         "register, the messages about the same ToewijzingNummer"},
                  "404": {"description": "no message with this id"},
              }})
    add_route(app, "GET", "/api/v1/messages/{id}/payload", get_payload, access=OPERATOR,
              summary="The message itself (XML); every view is written to the audit trail first",
              operation={"tags": TAGS, "responses": {
                  "200": {"description": "the payload as received", "content": {"application/xml": {}}},
                  "404": {"description": "no message with this id"},
                  "410": {"description": "the payload was removed by retention; the metadata remains"},
                  "503": {"description": "the audit trail cannot be written, so nothing is shown"},
              }})
    add_route(app, "GET", "/api/v1/dead-letters", list_dead_letters, access=OPERATOR,
              summary="Messages that could not be delivered, oldest first",
              operation={"tags": TAGS, "parameters": [
                  _query_parameter("queue", "only this queue, e.g. inbox:0448"),
                  _query_parameter("limit", f"at most this many, 1 to {MAX_DEAD_LETTERS} (default 100)"),
              ], "responses": {"200": {"description": "`{dead_letters: [...]}` with queue, attempts, dead_at, "
                                                      "reason"}}})
    add_route(app, "POST", "/api/v1/dead-letters/{id}/replay", replay_dead_letter, access=OPERATOR,
              summary="Put a dead letter back on its queue (audited)",
              operation={"tags": TAGS, "responses": {
                  "200": {"description": "`{id, status: \"queued\"}`"},
                  "404": {"description": "no message with this id"},
                  "409": {"description": "the message is not a dead letter"},
              }})
    add_route(app, "GET", "/api/v1/queues", list_queues, access=OPERATOR,
              summary="Every queue: waiting, in flight, dead letters, age of the oldest waiting message",
              operation={"tags": TAGS, "responses": {"200": {"description": "`{queues: [...]}`"}}})


def store_of(request: web.Request) -> Store:
    store = request.app.get(STORE_KEY)
    if store is None:
        raise json_error(503, "the store is not open yet")
    return store


async def search_messages(request: web.Request) -> web.Response:
    try:
        query = message_query(request.query, settings_of(request.app).timezone)
        page = await _available(store_of(request).search(query.filters, limit=query.limit, cursor=query.cursor))
    except BadQuery as error:
        raise json_error(400, str(error), parameter=error.parameter) from None
    except ValueError as error:  # a cursor search did not hand out
        raise json_error(400, f"cursor: {error}", parameter="cursor") from None
    return web.json_response({"messages": [message_json(record) for record in page.messages],
                              "next_cursor": page.next_cursor})


async def get_message(request: web.Request) -> web.Response:
    message_id = request.match_info["id"]
    try:
        detail = await _available(message_detail(store_of(request), message_id))
    except MessageNotFound as error:
        raise json_error(404, str(error)) from None
    return web.json_response(detail_json(detail))


async def get_payload(request: web.Request) -> web.Response:
    message_id = request.match_info["id"]
    try:
        payload = await _available(view_payload(store_of(request), authenticated_token(request), message_id, "api"))
    except MessageNotFound as error:
        raise json_error(404, str(error)) from None
    except PayloadPurged as error:
        raise json_error(410, str(error)) from None
    except AuditUnavailable as error:
        raise json_error(503, f"{error}; the payload is not shown") from None
    return web.Response(body=payload, content_type="application/xml", headers={"Cache-Control": "no-store"})


async def list_dead_letters(request: web.Request) -> web.Response:
    limit_text = request.query.get("limit", "100")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_DEAD_LETTERS:
        raise json_error(400, f"limit: not a whole number from 1 to {MAX_DEAD_LETTERS}", parameter="limit")
    queue = request.query.get("queue") or None
    dead = await _available(store_of(request).dead_letters(queue, limit=int(limit_text)))
    return web.json_response({"dead_letters": [dead_letter_json(letter) for letter in dead]})


async def replay_dead_letter(request: web.Request) -> web.Response:
    message_id = request.match_info["id"]
    try:
        await _available(replay(store_of(request), authenticated_token(request), message_id, "api"))
    except MessageNotFound as error:
        raise json_error(404, str(error)) from None
    except NotDeadLettered as error:
        raise json_error(409, str(error)) from None
    except AuditUnavailable as error:
        raise json_error(503, f"{error}; the message was put back on its queue") from None
    return web.json_response({"id": message_id, "status": "queued"})


async def list_queues(request: web.Request) -> web.Response:
    stats = await _available(store_of(request).queue_stats())
    return web.json_response({"queues": [queue_json(queue) for queue in stats]})


async def _available(awaitable):
    """The store's answer; a store that cannot work (locked, unreachable) is a 503 saying why."""
    try:
        return await awaitable
    except StoreUnavailable as error:
        raise json_error(503, str(error)) from None
