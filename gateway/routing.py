"""Registering a route: the handler, who may call it, and its entry in the OpenAPI document, in one call."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from gateway.appkeys import OPENAPI_KEY, ROUTE_ACCESS_KEY
from gateway.request_body import guarded


def add_route(
    app: web.Application,
    method: str,
    path: str,
    handler,
    *,
    access: frozenset[str],
    summary: str,
    operation: Mapping[str, Any] | None = None,
    documented: bool = True,
) -> web.AbstractRoute:
    """Add a route that `access` (PUBLIC, PROVIDER, BACKOFFICE, OPERATOR or a union, see `gateway.auth`) may use.

    `operation` adds OpenAPI operation fields (requestBody, responses, parameters, tags, description);
    `documented=False` keeps it out of the OpenAPI document (e.g. console pages).
    A route whose requestBody lists media types gets its body checked and read first (`gateway.request_body`).
    """
    body_types = (operation or {}).get("requestBody", {}).get("content")
    if body_types:
        handler = guarded(handler, body_types)
    route = app.router.add_route(method, path, handler)
    app[ROUTE_ACCESS_KEY][route] = access
    if documented:
        app[OPENAPI_KEY].add_operation(method, path, summary=summary, access=access, operation=operation)
    return route
