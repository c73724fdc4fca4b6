"""The backoffice systems' HTTP interface (bearer token with role backoffice, for its tenants).

- `GET /api/v1/tenants/{gemeentecode}/inbox?limit=N&lease=SECONDS` — lease the tenant's messages (providers'
  heenberichten and their retours to the tenant's messages): `{"messages": [{"id", "message", "xml", "json",
  "lease_token", ...}]}`; each stays invisible to other readers for SECONDS. `&json=false` leaves the JSON form
  out, for a backoffice that reads the XML: making it is about half the gateway's cost of a delivery.
- `POST /api/v1/inbox/{id}/ack` with `{"lease_token"}` — processed; `POST /api/v1/inbox/{id}/nack` with
  `{"lease_token", "delay"?, "reason"?}` — give it back (dead-lettered after the last attempt).
- `POST /api/v1/inbox/ack` with `{"acks": [{"id", "lease_token"}, ...]}` — a page processed, in one request:
  `{"acked": [...], "failed": [{"id", "status", "errors"}]}`.
- `POST /api/v1/tenants/{gemeentecode}/outbound` — a 301 or 319 for a provider, or a vtoDi01 or
  zorgmeldingTerugkoppelingDi01 for CORV (told apart by the namespace, or the JSON form's "standard"), as XML or
  (Content-Type application/json) its JSON form; `202 {"id"}` once journaled, then delivered to the partner. A
  301/319 is checked by the technical rules too: 422 for a 0001 finding, else its lesser `"findings"` in the 202.
"""
from __future__ import annotations

import functools

from aiohttp import web

from gateway.auth import BACKOFFICE, authenticated_token, require_tenant
from gateway.corv_pipeline import is_corv_message
from gateway.corv_routes import CORV_PIPELINE_KEY
from gateway.http_errors import json_error
from gateway.leases import (
    ACKS_OPERATION, acknowledge, acknowledge_many, give_back, lease_page, leased_message, query_flag,
)
from gateway.journal_entries import inbox_queue
from gateway.routing import add_route
from gateway.services import PIPELINE_KEY

TAGS = ["backoffice"]
LEASE_BODY = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["lease_token"],
    "properties": {"lease_token": {"type": "string"}, "delay": {"type": "number", "description": "nack: seconds"},
                   "reason": {"type": "string", "description": "nack: why, for the timeline"}},
}}}}


def setup(app: web.Application) -> None:
    add_route(app, "GET", "/api/v1/tenants/{gemeentecode}/inbox", inbox, access=BACKOFFICE,
              summary="Lease the tenant's incoming messages (XML and JSON)", operation={"tags": TAGS, "parameters": [
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                  {"name": "lease", "in": "query", "schema": {"type": "number", "minimum": 1, "maximum": 3600}},
                  {"name": "json", "in": "query", "description": "false: without the JSON form of each message",
                   "schema": {"type": "boolean", "default": True}},
              ]})
    add_route(app, "POST", "/api/v1/inbox/ack", ack_many, access=BACKOFFICE,
              summary="Acknowledge several inbox messages at once", operation={"tags": TAGS, **ACKS_OPERATION})
    add_route(app, "POST", "/api/v1/inbox/{id}/ack", ack, access=BACKOFFICE,
              summary="Acknowledge an inbox message", operation={"tags": TAGS, "requestBody": LEASE_BODY})
    add_route(app, "POST", "/api/v1/inbox/{id}/nack", nack, access=BACKOFFICE,
              summary="Give an inbox message back for a later attempt",
              operation={"tags": TAGS, "requestBody": LEASE_BODY})
    add_route(app, "POST", "/api/v1/tenants/{gemeentecode}/outbound", send, access=BACKOFFICE,
              summary="Send a 301 or 319 to a provider, or a vtoDi01 or zorgmeldingTerugkoppelingDi01 to CORV "
                      "(XML or JSON)", operation={"tags": TAGS, "requestBody": {
                  "content": {"application/xml": {"schema": {"type": "string"}},
                              "application/json": {"schema": {"type": "object"}}}},
                  "responses": {"202": {"description": "journaled: {id, status}; a 301/319 also {findings} of "
                                                        "the technical rules below retourcode 0001"},
                                "422": {"description": "invalid, or rejected by a technical rule (0001): {errors}"}}})


async def inbox(request: web.Request) -> web.Response:
    tenant = require_tenant(request, request.match_info["gemeentecode"])
    return await lease_page(request, request.app[PIPELINE_KEY], inbox_queue(tenant.gemeentecode),
                            with_json=query_flag(request, "json", True))


async def ack(request: web.Request) -> web.Response:
    return await acknowledge(request, request.app[PIPELINE_KEY].store, request.match_info["id"],
                             _inbox_queues(request), functools.partial(_inbox_message_store, request))


async def ack_many(request: web.Request) -> web.Response:
    return await acknowledge_many(request, request.app[PIPELINE_KEY].store, _inbox_queues(request),
                                  functools.partial(_inbox_message_store, request))


def _inbox_queues(request: web.Request) -> list[str]:
    return [inbox_queue(gemeentecode) for gemeentecode in authenticated_token(request).tenants]


async def nack(request: web.Request) -> web.Response:
    store = await _inbox_message_store(request, request.match_info["id"])
    return await give_back(request, store, request.match_info["id"])


async def send(request: web.Request) -> web.Response:
    tenant = require_tenant(request, request.match_info["gemeentecode"])
    data, json_body = await request.read(), request.content_type == "application/json"
    pipeline = request.app[PIPELINE_KEY]
    if is_corv_message(data, json_body=json_body):
        if CORV_PIPELINE_KEY not in request.app:
            raise json_error(503, "this is a CORV message, and CORV is not configured on this gateway ([corv])")
        pipeline = request.app[CORV_PIPELINE_KEY]
    answer = await pipeline.receive_from_backoffice(tenant, data, json_body=json_body)
    return web.json_response(answer.body, status=answer.status)


async def _inbox_message_store(request: web.Request, message_id: str):
    """The store, once the message is known to be on (or acked from) an inbox of a tenant the caller serves."""
    store = request.app[PIPELINE_KEY].store
    record = await leased_message(store, message_id)
    if record.tenant is None or record.direction != "inbound":
        raise json_error(404, f"no inbox message with id {message_id}")
    require_tenant(request, record.tenant)
    return store
