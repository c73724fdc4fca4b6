"""Running the application: TLS with optional client certificates, so token clients connect without one."""
from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

from aiohttp import web

from gateway.config import GatewaySettings
from gateway.tls import server_ssl_context

log = logging.getLogger(__name__)


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
    """Start serving `app` on `settings.host:port` (port 0 picks a free one); `base_url` has the real port."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=gateway_ssl_context(settings))
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    host, port = runner.addresses[0][:2]
    scheme = "https" if settings.tls else "http"
    shown_host = f"[{host}]" if ":" in host else host
    return RunningServer(runner=runner, base_url=f"{scheme}://{shown_host}:{port}")
