"""The typed keys under which the application keeps its services (`app[CONFIG_KEY]`, ...)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gateway.config import Config
from gateway.metrics import Metrics
from gateway.openapi import OpenApi

CONFIG_KEY = web.AppKey("config", Config)
METRICS_KEY = web.AppKey("metrics", Metrics)
OPENAPI_KEY = web.AppKey("openapi", OpenApi)
# The durable store (queues/), set by whoever opens it in a cleanup context.
STORE_KEY: web.AppKey[Any] = web.AppKey("store")
# name → async check that raises when that dependency is not ready; `/readyz` runs them all.
READINESS_CHECKS_KEY = web.AppKey("readiness_checks", dict[str, Callable[[], Awaitable[object]]])
# route → which callers may use it; filled by `gateway.routing.add_route`, enforced by the auth middleware.
ROUTE_ACCESS_KEY = web.AppKey("route_access", dict[web.AbstractRoute, frozenset[str]])
