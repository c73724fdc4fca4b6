"""The care providers' HTTP interface for iWmo/iJw (mutual TLS; the certificate says which provider calls).

- `POST /istandaarden/{iwmo|ijw}/berichten` — a message (XML body): a heenbericht (305, 307, 315, 317, 323) or a
  retour (302, 320) to a gemeente's message. `202 {"id", "status", ...}` once it is journaled durably; `200` with
  the first id and `"duplicate": true` for one sent before; `4xx {"errors": [{"line", "path", "message"}]}`.
- `GET /istandaarden/{std}/retour?limit=N&lease=SECONDS` — the retours the gateway made for the provider's
  messages; `POST /istandaarden/{std}/retour/{id}/ack` with `{"lease_token"}` when processed, or a page's at once:
  `POST /istandaarden/{std}/retour/ack` with `{"acks": [{"id", "lease_token"}, ...]}` (so too for berichten).
- `GET /istandaarden/{std}/berichten?limit=N&lease=SECONDS` — for providers that pull (no delivery URL): the
  gemeenten's messages to it (301, 319); `POST /istandaarden/{std}/berichten/{id}/ack` with `{"lease_token"}`.
  Providers with a delivery URL get both kinds pushed instead (gateway.delivery) and pulling answers 409.
"""
from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from gateway.auth import PROVIDER, authenticated_provider
from gateway.http_errors import json_error
from gateway.leases import ACKS_OPERATION, acknowledge, acknowledge_many, lease_page, leased_message
from gateway.journal_entries import outbound_queue, retour_queue
from gateway.routing import add_route
from gateway.services import PIPELINE_KEY

BASE = "/istandaarden/{standard:iwmo|ijw}"
TAGS = ["care providers"]
PAGE_PARAMETERS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}},
    {"name": "lease", "in": "query", "description": "seconds the messages stay invisible to others",
     "schema": {"type": "number", "minimum": 1, "maximum": 3600, "default": 60}},
]
ACK_BODY = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["lease_token"], "properties": {"lease_token": {"type": "string"}},
}}}}


def setup(app: web.Application) -> None:
    add_route(app, "POST", f"{BASE}/berichten", receive, access=PROVIDER,
              summary="Send an iWmo/iJw message (XML); 202 once it is journaled", operation={
                  "tags": TAGS, "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}},
                  "responses": {"202": {"description": "accepted: {id, status, retour_id, retourcodes}"},
                                "200": {"description": "sent before: {id, duplicate: true}"}}})
    add_route(app, "GET", f"{BASE}/retour", retours, access=PROVIDER,
              summary="Lease the retour messages for your messages",
              operation={"tags": TAGS, "parameters": PAGE_PARAMETERS})
    add_route(app, "POST", f"{BASE}/retour/ack", ack_retours, access=PROVIDER,
              summary="Acknowledge several retour messages at once", operation={"tags": TAGS, **ACKS_OPERATION})
    add_route(app, "POST", f"{BASE}/retour/{{id}}/ack", ack_retour, access=PROVIDER,
              summary="Acknowledge a retour message", operation={"tags": TAGS, "requestBody": ACK_BODY})
    add_route(app, "GET", f"{BASE}/berichten", outbound, access=PROVIDER,
              summary="Lease the gemeenten's messages to you (providers without a delivery URL)",
              operation={"tags": TAGS, "parameters": PAGE_PARAMETERS})
    add_route(app, "POST", f"{BASE}/berichten/ack", ack_outbound_many, access=PROVIDER,
              summary="Acknowledge several of the gemeenten's messages at once",
              operation={"tags": TAGS, **ACKS_OPERATION})
    add_route(app, "POST", f"{BASE}/berichten/{{id}}/ack", ack_outbound, access=PROVIDER,
              summary="Acknowledge a gemeente's message", operation={"tags": TAGS, "requestBody": ACK_BODY})


async def receive(request: web.Request) -> web.Response:
    answer = await request.app[PIPELINE_KEY].receive_from_provider(
        authenticated_provider(request), request.match_info["standard"], await request.read()
    )
    return web.json_response(answer.body, status=answer.status)


async def retours(request: web.Request) -> web.Response:
    return await _lease(request, retour_queue)


async def outbound(request: web.Request) -> web.Response:
    return await _lease(request, outbound_queue)


async def ack_retour(request: web.Request) -> web.Response:
    return await _ack(request, retour_queue)


async def ack_outbound(request: web.Request) -> web.Response:
    return await _ack(request, outbound_queue)


async def ack_retours(request: web.Request) -> web.Response:
    return await _ack(request, retour_queue, many=True)


async def ack_outbound_many(request: web.Request) -> web.Response:
    return await _ack(request, outbound_queue, many=True)


async def _lease(request: web.Request, queue_of: Callable[[str, str], str]) -> web.Response:
    provider = authenticated_provider(request)
    if provider.delivery.mode == "push":
        raise json_error(409, f"messages for provider {provider.agb} are pushed to its delivery URL")
    queue = queue_of(request.match_info["standard"], provider.agb)
    return await lease_page(request, request.app[PIPELINE_KEY], queue, with_json=False)


async def _ack(request: web.Request, queue_of: Callable[[str, str], str], *, many: bool = False) -> web.Response:
    provider = authenticated_provider(request)
    store = request.app[PIPELINE_KEY].store
    queue = queue_of(request.match_info["standard"], provider.agb)

    async def check_owner(message_id: str) -> None:
        record = await leased_message(store, message_id)
        if record.partner != provider.agb or record.direction != "outbound" or record.queue not in (None, queue):
            raise json_error(404, f"no message with id {message_id} on your queue {queue}")

    if many:
        return await acknowledge_many(request, store, [queue], check_owner)
    return await acknowledge(request, store, request.match_info["id"], [queue], check_owner)
