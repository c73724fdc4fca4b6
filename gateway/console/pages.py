"""The console's journal pages: the message log, one message (payload only on request, audited), queues, and dead
letters with replay (audited). The data comes from `gateway.operator_views`, as for the operator API."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from connectors.istandaarden import catalogue
from gateway.appkeys import CONFIG_KEY, STORE_KEY
from gateway.config import Config
from gateway.auth import authenticated_token
from gateway.console.rendering import error_page, render
from gateway.console.session import check_csrf
from gateway.operator_settings import settings_of
from gateway.operator_views import (
    CORV_MESSAGES, STANDARDS, AuditUnavailable, BadQuery, PayloadPurged, message_detail, message_query, replay,
    view_payload,
)
from queues import MessageNotFound, NotDeadLettered, Store, StoreUnavailable

DEAD_LETTER_PAGE = 200
COUNTED_AT_MOST = 10_000  # the log's "N messages match" stops there: counting years of messages takes seconds
CSRF_REFUSED = "this form has expired or did not come from the console; reload the page and try again"


class Unavailable(Exception):
    """The store cannot answer now; the page says why."""


def store_of(request: web.Request) -> Store:
    store = request.app.get(STORE_KEY)
    if store is None:
        raise Unavailable("the store is not open yet")
    return store


def guarded(handler):
    """A page handler whose store failures become an error page (503) instead of a JSON error."""

    @functools.wraps(handler)
    async def page(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except (Unavailable, StoreUnavailable) as error:
            return error_page(request, 503, f"The journal cannot be read now: {error}")

    return page


@dataclass(frozen=True)
class Choice:
    """One drop-down filter of the message log: option groups of (value, text)."""

    name: str
    label: str
    any_text: str
    groups: list[tuple[str | None, list[tuple[str, str]]]]


def filter_choices(config: Config, statuses: list[str]) -> list[Choice]:
    return [
        Choice("standard", "Standard", "all", [(None, [(standard, standard) for standard in STANDARDS])]),
        Choice("message", "Message", "all", [
            ("iWmo and iJw", [(kind.code, f"{kind.code} {kind.title}") for kind in catalogue.MESSAGES]),
            ("CORV", [(name, name) for name in CORV_MESSAGES.values()]),
        ]),
        Choice("status", "Status", "all", [(None, [(status, status) for status in statuses])]),
        Choice("tenant", "Gemeente", "all",
               [(None, [(t.gemeentecode, f"{t.gemeentecode} {t.name}") for t in config.tenants])]),
        Choice("partner", "Zorgaanbieder", "all", [(None, [(p.agb, f"{p.agb} {p.name}") for p in config.providers])]),
        Choice("direction", "Direction", "both", [(None, [("inbound", "inbound"), ("outbound", "outbound")])]),
    ]


@guarded
async def messages_page(request: web.Request) -> web.Response:
    store = store_of(request)
    statuses = await store.statuses()
    chosen = dict(request.query)
    if chosen.get("message"):
        chosen["message"] = CORV_MESSAGES.get(chosen["message"].lower(), chosen["message"].upper())
    form = {"choices": filter_choices(request.app[CONFIG_KEY], statuses), "chosen": chosen}
    try:
        query = message_query(request.query, settings_of(request.app).timezone)
        page = await store.search(query.filters, limit=query.limit, cursor=query.cursor)
    except ValueError as error:  # BadQuery, or a cursor search did not hand out
        problem = str(error) if isinstance(error, BadQuery) else f"cursor: {error}"
        return render(request, "messages.html", {"page": "messages", "form": form, "problem": problem,
                                                 "messages": [], "total": None, "next_url": None}, status=400)
    total = await store.count(query.filters, at_most=COUNTED_AT_MOST)
    next_url = None
    if page.next_cursor:
        next_url = "/console/messages?" + urlencode({**_kept(request.query), "cursor": page.next_cursor})
    first_url = "/console/messages?" + urlencode(_kept(request.query)) if query.cursor else None
    return render(request, "messages.html", {
        "page": "messages", "form": form, "problem": None, "messages": page.messages, "total": total,
        "next_url": next_url, "first_url": first_url, "counted_at_most": COUNTED_AT_MOST,
    })


def _kept(query) -> dict[str, str]:
    """The filters of a query, without paging."""
    return {name: value for name, value in query.items() if value and name != "cursor"}


@guarded
async def message_page(request: web.Request) -> web.Response:
    return await _message(request, payload=None)


@guarded
async def payload_page(request: web.Request) -> web.Response:
    if not check_csrf(request, await request.post()):
        return error_page(request, 403, CSRF_REFUSED, "messages")
    message_id = request.match_info["id"]
    try:
        payload = await view_payload(store_of(request), authenticated_token(request), message_id, "console")
    except MessageNotFound:
        return error_page(request, 404, f"There is no message with id {message_id}.", "messages")
    except (PayloadPurged, AuditUnavailable) as error:
        return await _message(request, payload=None, notice=f"The payload is not shown: {error}.")
    return await _message(request, payload=payload.decode("utf-8", errors="replace"))


async def _message(request: web.Request, *, payload: str | None, notice: str | None = None) -> web.Response:
    message_id = request.match_info["id"]
    try:
        detail = await message_detail(store_of(request), message_id)
    except MessageNotFound:
        return error_page(request, 404, f"There is no message with id {message_id}.", "messages")
    return render(request, "message.html", {"page": "messages", "detail": detail, "message": detail.record,
                                            "payload": payload, "notice": notice})


@guarded
async def queues_page(request: web.Request) -> web.Response:
    stats = await store_of(request).queue_stats()
    return render(request, "queues.html", {"page": "queues", "queues": stats})


@guarded
async def dead_letters_page(request: web.Request) -> web.Response:
    queue = request.query.get("queue") or None
    dead = await store_of(request).dead_letters(queue, limit=DEAD_LETTER_PAGE)
    return render(request, "dead_letters.html", {
        "page": "dead-letters", "dead_letters": dead, "queue": queue, "limit": DEAD_LETTER_PAGE,
        "replayed": request.query.get("replayed"),
    })


@guarded
async def replay_action(request: web.Request) -> web.Response:
    if not check_csrf(request, await request.post()):
        return error_page(request, 403, CSRF_REFUSED, "dead-letters")
    message_id = request.match_info["id"]
    try:
        await replay(store_of(request), authenticated_token(request), message_id, "console")
    except MessageNotFound:
        return error_page(request, 404, f"There is no message with id {message_id}.", "dead-letters")
    except NotDeadLettered:
        return error_page(request, 409, f"Message {message_id} is not a dead letter (replayed already?).",
                          "dead-letters")
    except AuditUnavailable as error:
        return error_page(request, 503, f"{error}; the message was put back on its queue.", "dead-letters")
    raise web.HTTPSeeOther("/console/dead-letters?" + urlencode({"replayed": message_id}))
