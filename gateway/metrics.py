"""Prometheus metrics: one registry per application, HTTP request counts and durations by route template.

Labels hold route templates, methods and status codes only: never a path with values in it, never personal data.
Other modules add their own metrics to `Metrics.registry`.
"""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "ketenpoort_http_requests", "HTTP requests handled", ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "ketenpoort_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
            registry=self.registry,
        )
        # Gauges read from elsewhere at scrape time (queue_metrics.py), awaited before each exposition.
        self.refreshers: list[Callable[[], Awaitable[None]]] = []

    async def refresh(self) -> None:
        for refresher in self.refreshers:
            await refresher()

    def exposition(self) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    def middleware(self):
        @web.middleware
        async def count_requests(request: web.Request, handler):
            started = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as error:
                status = error.status
                raise
            finally:
                route = _route_label(request)
                self.http_requests.labels(request.method, route, str(status)).inc()
                self.http_duration.labels(request.method, route).observe(time.perf_counter() - started)

        return count_requests


def _route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"
