"""The operator web console at `/console`: server-rendered pages (aiohttp-jinja2), a little vanilla JavaScript,
charts as inline SVG, no front-end build step.

Operators log in with their operator token (the same tokens as the operator API) and get a session cookie
(`gateway.console.session`); the console's pages accept that cookie or an `Authorization: Bearer` header. Payload
views, replays and logins are audited.
"""
from __future__ import annotations

from importlib import resources

from aiohttp import web

from gateway.auth import CONSOLE, PUBLIC, SESSION_READER_KEY
from gateway.console import health, login, pages, reports
from gateway.console.rendering import setup_templates
from gateway.console.session import session_reader
from gateway.operator_settings import settings_of
from gateway.routing import add_route

STATIC_TYPES = {"console.css": "text/css", "console.js": "text/javascript"}
# The console's forms: their bodies are checked (type, size, time) before a handler reads them.
FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {}}}}

PAGES = (
    ("GET", "/console/messages", pages.messages_page, "Message log"),
    ("GET", "/console/messages/{id}", pages.message_page, "One message"),
    ("POST", "/console/messages/{id}/payload", pages.payload_page, "One message with its payload (audited)"),
    ("GET", "/console/queues", pages.queues_page, "Queues"),
    ("GET", "/console/dead-letters", pages.dead_letters_page, "Dead letters"),
    ("POST", "/console/dead-letters/{id}/replay", pages.replay_action, "Replay a dead letter (audited)"),
    ("GET", "/console/partners", health.partners_page, "Partner health"),
    ("GET", "/console/charts", reports.charts_page, "Charts"),
    ("GET", "/console/figures", reports.figures_page, "Management figures"),
    ("POST", "/console/logout", login.logout, "Log out"),
)


def setup(app: web.Application) -> None:
    settings_of(app)
    setup_templates(app)
    app[SESSION_READER_KEY] = session_reader
    for method, path, handler, summary in PAGES:
        add_route(app, method, path, handler, access=CONSOLE, summary=summary, documented=False,
                  operation=FORM if method == "POST" else None)
    for path in ("/console", "/console/"):
        add_route(app, "GET", path, home, access=PUBLIC, summary="The console", documented=False)
    add_route(app, "GET", "/console/login", login.login_form, access=PUBLIC, summary="Console login",
              documented=False)
    add_route(app, "POST", "/console/login", login.login, access=PUBLIC, summary="Console login", documented=False,
              operation=FORM)
    files = resources.files("gateway.console") / "static"
    static = {name: (files / name).read_bytes() for name in STATIC_TYPES}

    async def static_file(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in static:
            raise web.HTTPNotFound()
        return web.Response(body=static[name], content_type=STATIC_TYPES[name],
                            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})

    add_route(app, "GET", "/console/static/{name}", static_file, access=PUBLIC, summary="Console styles and script",
              documented=False)


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(login.HOME)
