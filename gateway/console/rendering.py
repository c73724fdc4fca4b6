"""Rendering a console page: the template with what every page shows (who is logged in, the CSRF token, the
navigation), times in the console's time zone, and the headers that keep pages out of caches and frames."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway.appkeys import CONFIG_KEY
from gateway.auth import TOKEN_KEY
from gateway.console.session import SESSION_KEY, csrf_token
from gateway.operator_settings import settings_of
from gateway.operator_views import message_title

NAVIGATION = (
    ("messages", "Messages", "/console/messages"),
    ("queues", "Queues", "/console/queues"),
    ("dead-letters", "Dead letters", "/console/dead-letters"),
    ("partners", "Partner health", "/console/partners"),
    ("charts", "Charts", "/console/charts"),
    ("figures", "Management figures", "/console/figures"),
)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def setup_templates(app: web.Application) -> None:
    environment = aiohttp_jinja2.setup(
        app, loader=jinja2.PackageLoader("gateway.console", "templates"), autoescape=True, default_helpers=False,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters.update(title_of=message_title, duration=duration, shown=shown)


def render(request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200) -> web.Response:
    session, token = request.get(SESSION_KEY), request.get(TOKEN_KEY)
    settings = settings_of(request.app)
    config = request.app[CONFIG_KEY]
    timezone = settings.timezone

    def local(moment: datetime | None, with_seconds: bool = True) -> str:
        if moment is None:
            return "—"
        return moment.astimezone(timezone).strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")

    common = {
        "navigation": NAVIGATION, "operator": token.name if token else None,
        "csrf": csrf_token(settings.session_secret, session) if session else "",
        "session": session is not None, "local": local, "timezone": str(timezone),
        "tenant_names": {tenant.gemeentecode: tenant.name for tenant in config.tenants},
        "provider_names": {provider.agb: provider.name for provider in config.providers},
    }
    response = aiohttp_jinja2.render_template(template, request, {**common, **context}, status=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: web.Request, status: int, message: str, page: str = "") -> web.Response:
    return render(request, "error.html", {"page": page, "status": status, "message": message}, status=status)


def shown(value: Any) -> str:
    """A timeline detail value: text as it is, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def duration(seconds: float | None) -> str:
    """A short age: 42 s, 7 min, 3 h 5 min, 2 d 4 h."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"
