"""Running the application: TLS with optional client certificates, so token clients connect without one."""
from __future__ import annotations

import asyncio
import gc
import logging
import resource
import signal
import ssl
from dataclasses import dataclass

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gateway.app import create_app
from gateway.appkeys import CONFIG_KEY
from gateway.config import Config, GatewaySettings
from gateway.tls import server_ssl_context

log = logging.getLogger(__name__)


class ServerStartError(Exception):
    """The server could not start listening (address in use, no permission, ...)."""


class AccessLogger(AbstractAccessLogger):
    """One line per request without the query string: queries may carry search terms such as a BSN."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %s %.3fs", request.remote, request.method, request.path, response.status, time)


@dataclass
class RunningServer:
    runner: web.AppRunner
    base_url: str

    async def stop(self) -> None:
        await self.runner.cleanup()


def gateway_ssl_context(settings: GatewaySettings) -> ssl.SSLContext | None:
    """The server context of `[gateway]`: client certificates optional at TLS level, verified when presented."""
    if not settings.tls:
        return None
    return server_ssl_context(
        settings.tls_cert, settings.tls_key, settings.client_ca_files, crl=settings.crl, require_client_cert=False
    )


async def start_server(app: web.Application, settings: GatewaySettings) -> RunningServer:
    """Start serving `app` on `settings.host:port` (port 0 picks a free one); `base_url` has the real port.

    A connection that sends no whole request head within `[limits] idle_timeout` (from its start, or from the
    last answer) is closed: clients that trickle their headers (slowloris) hold a connection that long at most.
    """
    runner = web.AppRunner(app, access_log_class=AccessLogger,
                           keepalive_timeout=app[CONFIG_KEY].limits.idle_timeout)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=gateway_ssl_context(settings))
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise ServerStartError(
            f"cannot listen on {settings.host}:{settings.port}: {error.strerror or error}"
        ) from error
    except BaseException:
        await runner.cleanup()
        raise
    host, port = runner.addresses[0][:2]
    scheme = "https" if settings.tls else "http"
    shown_host = f"[{host}]" if ":" in host else host
    return RunningServer(runner=runner, base_url=f"{scheme}://{shown_host}:{port}")


def freeze_start_up_objects() -> None:
    """Keep what start-up made (compiled schemas, caches, the app) out of the garbage collector's full collections:
    they live as long as the process, and walking them paused every request for about 70 ms now and then."""
    gc.collect()
    gc.freeze()
    log.info("start-up done: %d long-lived objects left out of garbage collection", gc.get_freeze_count())


def raise_open_files_limit() -> None:
    """Every connection is an open file. Service managers start processes with a soft limit of 1,024 (systemd's
    default) under a far higher hard one; beyond the soft limit accept() fails and new senders wait. The event loop
    polls with epoll, so nothing in the process needs the low limit: take the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY or soft >= hard:
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    log.info("open files: the soft limit raised from %d to the hard limit %d (one per connection)", soft, hard)


async def serve_until_stopped(config: Config) -> None:
    """Serve the gateway until SIGINT or SIGTERM, then finish open requests and close resources."""
    raise_open_files_limit()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    server = await start_server(create_app(config), config.gateway)
    log.info("serving on %s (public URL %s)", server.base_url, config.gateway.public_base_url)
    freeze_start_up_objects()
    try:
        await stopped.wait()
    finally:
        log.info("stopping")
        await server.stop()
