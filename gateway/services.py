"""The message services of the application: the store, the compiled schemas and the pipeline, opened at start-up.

`setup(app)` adds a cleanup context that opens the store (encrypting payloads when keys are configured),
compiles every schema once (a broken schema directory stops start-up), and puts the store under `STORE_KEY` and
the pipeline under `PIPELINE_KEY`, with the register of the rules across messages when the store has the key ring
that protects its BSNs; the store's write timings go to the pipeline's metrics, its queues to the queue gauges;
`/readyz` checks the store. Route modules that need them list this module before themselves in `ROUTE_MODULES`.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from connectors.istandaarden import catalogue
from connectors.istandaarden.schema_structure import message_root
from connectors.istandaarden.validation import SchemaRegistry
from gateway.appkeys import CONFIG_KEY, METRICS_KEY, READINESS_CHECKS_KEY, STORE_KEY
from gateway.config import Config
from gateway.pipeline import Pipeline
from gateway.pipeline_metrics import PipelineMetrics
from gateway.queue_metrics import QueueMetrics
from gateway.rules_register import has_register
from gateway.security import payload_codec
from queues import RetryPolicy, Store, WriteTiming, open_store

log = logging.getLogger(__name__)

PIPELINE_KEY = web.AppKey("pipeline", Pipeline)
PIPELINE_METRICS_KEY = web.AppKey("pipeline_metrics", PipelineMetrics)


def setup(app: web.Application) -> None:
    app[PIPELINE_METRICS_KEY] = PipelineMetrics(app[METRICS_KEY].registry)
    app.cleanup_ctx.append(message_services)


def schema_registry(config: Config) -> SchemaRegistry:
    """`[schemas]`: a directory per standard holding its XSDs (e.g. an official release), else `root/<standard>/3.2`.

    One registry per set of directories and process: compiled schemas are read-only and thread-safe."""
    configured = tuple(sorted((standard, path) for standard, path in config.schemas.directories.items()
                              if standard in catalogue.STANDARDS))
    return _registry(configured, config.schemas.root)


@functools.cache
def _registry(directories: tuple[tuple[str, Path], ...], root: Path) -> SchemaRegistry:
    return SchemaRegistry(dict(directories), schemas_dir=root)


def store_for(config: Config, write_observer: Callable[[WriteTiming], None] | None = None) -> Store:
    """The store of `[storage]`, not started yet; its retry policy is `[delivery]`'s."""
    delivery = config.delivery
    codec = payload_codec(config)
    retry = RetryPolicy(max_attempts=delivery.max_attempts, base_delay_seconds=delivery.backoff_base,
                        max_delay_seconds=delivery.backoff_max)
    return open_store(config.storage.url, payload_codec=codec, retry=retry, write_observer=write_observer,
                      slow_write_seconds=config.storage.slow_write_seconds)


def _compile_schemas(registry: SchemaRegistry) -> None:
    registry.compile_all()
    for message in catalogue.MESSAGES:  # the structure walks (retours, JSON) compile their own form
        message_root(message, registry)


async def message_services(app: web.Application):
    config = app[CONFIG_KEY]
    registry = schema_registry(config)
    await asyncio.to_thread(_compile_schemas, registry)
    store = store_for(config, app[PIPELINE_METRICS_KEY].observe_write)
    await store.start()
    app[STORE_KEY] = store
    app[PIPELINE_KEY] = Pipeline(config, store, registry, app[PIPELINE_METRICS_KEY],
                                 with_register=has_register(store))
    app[READINESS_CHECKS_KEY]["store"] = store.ping
    app[METRICS_KEY].refreshers.append(QueueMetrics(app[METRICS_KEY].registry, store.queue_stats).refresh)
    log.info("store open, schemas compiled")
    try:
        yield
    finally:
        await store.close()
