"""Push delivery: for every party with a delivery URL, a worker leases its queue and POSTs each message there.

- tenants with `delivery = {url, token}`: their inbox (`inbox:<gemeentecode>`), with `Authorization: Bearer token`;
- providers with a delivery URL: their retours and the gemeenten's messages (`retour:` and `outbound:<std>:<agb>`),
  over mutual TLS with the gateway's client certificate (`[gateway] client_cert`, `client_key`; the partners'
  servers are checked against `partner_ca_files`, else the system CAs).

The body is the message XML; headers `X-Ketenpoort-Message-Id` and `X-Ketenpoort-Message` say which one. A 2xx
answer acks it (status "delivered"). Anything else, a connection error or no answer within `[delivery] timeout`
nacks it: the store retries with exponential backoff and jitter and dead-letters it after `max_attempts`. A
partner that fails `circuit_breaker_threshold` times in a row (5xx, 408, 429, no answer) gets no attempts for
`circuit_breaker_reset` seconds, then one trial. A gateway that stops in the middle of a delivery leaves the lease
to expire: the message is delivered again (partners see an id twice at most in that case, never zero times).
"""
from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from connectors.istandaarden import catalogue
from gateway.appkeys import CONFIG_KEY
from gateway.config import Config, GatewaySettings
from gateway.journal_entries import inbox_queue, outbound_queue, retour_queue
from gateway.pipeline_metrics import PipelineMetrics
from gateway.services import PIPELINE_KEY, PIPELINE_METRICS_KEY
from queues import LeasedMessage, LeaseLost, Store

log = logging.getLogger(__name__)

DELIVERED = "delivered"
IDLE_WAIT_SECONDS = 30.0
TRIAL_POLL_SECONDS = 0.1
ERROR_PAUSE_SECONDS = 1.0
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Target:
    """One queue pushed to one URL; `partner` (gemeentecode or AGB code) names the circuit breaker."""

    queue: str
    partner: str
    url: str
    token: str | None = None


def push_targets(config: Config) -> list[Target]:
    targets = [Target(inbox_queue(tenant.gemeentecode), tenant.gemeentecode, tenant.delivery.url,
                      tenant.delivery.token)
               for tenant in config.tenants if tenant.delivery.mode == "push"]
    for provider in config.providers:
        if provider.delivery.mode == "push":
            targets += [Target(queue_of(standard, provider.agb), provider.agb, provider.delivery.url,
                               provider.delivery.token)
                        for standard in catalogue.STANDARDS for queue_of in (retour_queue, outbound_queue)]
    return targets


class CircuitBreaker:
    """Closed: deliver. After `threshold` failures in a row: open for `reset` seconds, then half-open (one trial
    delivery; success closes it, failure opens it again)."""

    def __init__(self, threshold: int, reset: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.reset = reset
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trial_running = False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def wait_seconds(self) -> float:
        """0 when deliveries may be tried now, else how long to wait first."""
        if self.opened_at is None:
            return 0.0
        remaining = self.opened_at + self.reset - self.clock()
        if remaining > 0:
            return remaining
        return TRIAL_POLL_SECONDS if self.trial_running else 0.0

    def begin(self) -> bool:
        """Whether a delivery may start now; when half-open, the one that may is the trial."""
        if self.wait_seconds() > 0:
            return False
        if self.opened_at is not None:
            self.trial_running = True
        return True

    def succeeded(self) -> None:
        """The partner answered (even when it refused the message): it is up."""
        self.failures, self.opened_at, self.trial_running = 0, None, False

    def release(self) -> None:
        """A started delivery did not happen after all (nothing to deliver, or an error on our side)."""
        self.trial_running = False

    def failed(self) -> None:
        self.failures += 1
        self.trial_running = False
        if self.failures >= self.threshold:
            self.opened_at = self.clock()


def client_context(settings: GatewaySettings) -> ssl.SSLContext:
    """The gateway as a TLS client: partners' servers checked against `partner_ca_files` (else the system CAs),
    presenting `client_cert` when configured."""
    ca_files = settings.partner_ca_files
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_files[0]) if ca_files else None)
    for ca_file in ca_files[1:]:
        context.load_verify_locations(cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.client_cert is not None:
        context.load_cert_chain(certfile=str(settings.client_cert), keyfile=str(settings.client_key))
    return context


class Deliverer:
    """The push workers of one process: one task per target, one circuit breaker per partner."""

    def __init__(self, config: Config, store: Store, session: aiohttp.ClientSession, metrics: PipelineMetrics):
        self.settings = config.delivery
        self.store = store
        self.session = session
        self.metrics = metrics
        self.breakers: dict[str, CircuitBreaker] = {}
        # Long enough for one POST, so a live delivery keeps its lease; a crashed one is retried after it.
        self.lease_seconds = 2 * self.settings.timeout + 1

    def breaker(self, partner: str) -> CircuitBreaker:
        if partner not in self.breakers:
            self.breakers[partner] = CircuitBreaker(self.settings.circuit_breaker_threshold,
                                                    self.settings.circuit_breaker_reset)
        return self.breakers[partner]

    async def run(self, target: Target) -> None:
        """Deliver from `target.queue` until cancelled; store errors pause the worker, they do not end it."""
        breaker = self.breaker(target.partner)
        while True:
            self.metrics.circuit_open.labels(target.partner).set(1 if breaker.is_open else 0)
            try:
                wait = breaker.wait_seconds()
                if wait > 0:
                    await asyncio.sleep(wait)
                elif await self.store.wait_for_messages(target.queue, IDLE_WAIT_SECONDS) and breaker.begin():
                    leased = await self.store.lease(target.queue, 1, self.lease_seconds)
                    if leased:
                        await self.deliver(target, leased[0], breaker)
                    else:
                        breaker.release()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store or the network stack failed; log it and keep the worker alive
                breaker.release()
                log.exception("delivery worker for %s: unexpected error, pausing", target.queue)
                await asyncio.sleep(ERROR_PAUSE_SECONDS)

    async def deliver(self, target: Target, leased: LeasedMessage, breaker: CircuitBreaker) -> None:
        record = leased.message
        failure, partner_down = await self._post(target, leased)
        kind = target.queue.split(":", 1)[0]
        if failure is None:
            breaker.succeeded()
            try:
                await self.store.ack(record.id, leased.token)
            except LeaseLost:  # delivered, but after the lease ran out: it will be delivered once more
                log.warning("message %s delivered to %s after its lease expired", record.id, target.partner)
                return
            await self.store.update_status(record.id, DELIVERED, detail={"url": target.url, "attempt": leased.attempts})
            self.metrics.delivered(kind, target.partner, DELIVERED)
            return
        if partner_down:
            breaker.failed()
        else:
            breaker.succeeded()
        try:
            result = await self.store.nack(record.id, leased.token, reason=failure)
        except LeaseLost:
            result = "lease expired"
        log.info("delivery of %s to %s failed (%s, attempt %d): %s", record.id, target.partner, failure,
                 leased.attempts, result)
        self.metrics.delivered(kind, target.partner, result)

    async def _post(self, target: Target, leased: LeasedMessage) -> tuple[str | None, bool]:
        """(None, False) when the partner took the message, else (what went wrong, whether the partner is down)."""
        record = leased.message
        headers = {"Content-Type": "application/xml", "X-Ketenpoort-Message-Id": record.id,
                   "X-Ketenpoort-Message": record.message_type}
        if target.token:
            headers["Authorization"] = f"Bearer {target.token}"
        try:
            async with asyncio.timeout(self.settings.timeout):
                async with self.session.post(target.url, data=record.payload, headers=headers) as response:
                    await response.content.read(MAX_ANSWER_BYTES)
                    status = response.status
        except TimeoutError:
            return f"no answer within {self.settings.timeout:g} s", True
        except aiohttp.ClientError as error:
            return f"{type(error).__name__}: {error}", True
        if 200 <= status < 300:
            return None, False
        return f"HTTP {status}", status >= 500 or status in (408, 429)


async def push_delivery(app: web.Application):
    config = app[CONFIG_KEY]
    targets = push_targets(config)
    if not targets:
        yield
        return
    connector = aiohttp.TCPConnector(ssl=client_context(config.gateway))
    async with aiohttp.ClientSession(connector=connector) as session:
        deliverer = Deliverer(config, app[PIPELINE_KEY].store, session, app[PIPELINE_METRICS_KEY])
        tasks = [asyncio.create_task(deliverer.run(target), name=f"deliver {target.queue}") for target in targets]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(push_delivery)
