"""The aiohttp application: services under typed keys, middlewares, health, metrics and the OpenAPI document.

Route modules listed in ROUTE_MODULES each define `setup(app)`, which adds their routes with
`gateway.routing.add_route` and their resources with `app.cleanup_ctx.append(...)`.
"""
from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterable

from aiohttp import web

from gateway.appkeys import CONFIG_KEY, METRICS_KEY, OPENAPI_KEY, READINESS_CHECKS_KEY, ROUTE_ACCESS_KEY
from gateway.auth import ANY_PARTY, OPERATOR, PUBLIC, auth_middleware
from gateway.config import Config
from gateway.http_errors import error_middleware
from gateway.metrics import Metrics
from gateway.openapi import OpenApi
from gateway.routing import add_route

ROUTE_MODULES: tuple[str, ...] = (
    "gateway.memory", "gateway.lookups", "gateway.services", "gateway.security", "gateway.istandaarden_routes",
    "gateway.backoffice_routes", "gateway.delivery", "gateway.corv_routes", "gateway.operator_routes",
    "gateway.console",
)
READINESS_TIMEOUT = 5.0


def create_app(config: Config, *, route_modules: Iterable[str] = ROUTE_MODULES) -> web.Application:
    metrics = Metrics()
    app = web.Application(
        client_max_size=config.limits.max_body_bytes,
        middlewares=[metrics.middleware(), error_middleware(config.limits.request_timeout), auth_middleware],
    )
    app[CONFIG_KEY] = config
    app[METRICS_KEY] = metrics
    app[OPENAPI_KEY] = OpenApi("Ketenpoort", "1.0")
    app[READINESS_CHECKS_KEY] = {}
    app[ROUTE_ACCESS_KEY] = {}
    add_route(app, "GET", "/healthz", healthz, access=PUBLIC, summary="The process is up")
    add_route(app, "GET", "/readyz", readyz, access=OPERATOR, summary="Dependencies (store, ...) are reachable")
    add_route(app, "GET", "/metrics", metrics_page, access=OPERATOR, summary="Prometheus metrics",
              operation={"responses": {"200": {"description": "Prometheus text format"}}})
    add_route(app, "GET", "/api/v1/openapi.json", openapi_document, access=ANY_PARTY,
              summary="This document")
    for name in route_modules:
        importlib.import_module(name).setup(app)
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    results = {}
    for name, check in request.app[READINESS_CHECKS_KEY].items():
        try:
            async with asyncio.timeout(READINESS_TIMEOUT):
                await check()
            results[name] = "ok"
        except Exception as error:  # any failure means not ready; its kind and text tell the operator why
            results[name] = f"{type(error).__name__}: {error}"
    ready = all(result == "ok" for result in results.values())
    return web.json_response({"status": "ready" if ready else "not ready", "checks": results},
                             status=200 if ready else 503)


async def metrics_page(request: web.Request) -> web.Response:
    metrics = request.app[METRICS_KEY]
    await metrics.refresh()
    return metrics.exposition()


async def openapi_document(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    return web.json_response(request.app[OPENAPI_KEY].document(config.gateway.public_base_url))
