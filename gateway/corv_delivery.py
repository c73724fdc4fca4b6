"""Sending the backoffices' CORV messages: one worker leases `outbound:corv` and sends each message with
`CorvClient` (SOAP 1.1 over mutual TLS) to `[corv] endpoint`.

The worker is `gateway.delivery`'s (lease, circuit breaker, backoff with jitter, dead letters after
`[delivery] max_attempts`, `[delivery] timeout` per attempt); what CORV answers decides what happens next:
- Bv03 (or Bv04): acked, status "delivered", CORV's answer (berichtcode, referentienummer) in the timeline;
- Fo03 for our message (plek "client", e.g. StUF055): acked, status "failed", the foutcode as its retourcode; the
  Fo03 itself goes to the tenant's inbox (linked to the message), so the backoffice reads why. Never retried: the
  same message would get the same answer. A StUF016 on a later attempt means CORV has the message from an attempt
  whose answer we lost: "delivered".
- Fo03 for CORV's own trouble (plek "server", e.g. StUF046), no StUF answer (HTTP 5xx, TLS, timeout): retried; the
  circuit breaker counts the failures without an answer; after the last attempt the message is dead-lettered, from
  where an operator can replay it.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from lxml import etree

from connectors.common.safe_xml import parse_xml
from connectors.corv.outbound import CorvClient, CorvSendError, SendResult
from gateway.appkeys import CONFIG_KEY, STORE_KEY
from gateway.config import Config
from gateway.corv_config import CorvSettings
from gateway.corv_pipeline import METRICS_PARTNER, OUTBOUND_QUEUE, STANDARD
from gateway.delivery import DELIVERED, CircuitBreaker, Deliverer, Target
from gateway.journal_entries import inbox_queue
from gateway.pipeline_metrics import PipelineMetrics
from gateway.services import PIPELINE_METRICS_KEY
from queues import LeasedMessage, LeaseLost, MessageEntry, Store

log = logging.getLogger(__name__)

FAILED = "failed"
QUEUE_KIND = "outbound"


class CorvDeliverer(Deliverer):
    """`gateway.delivery.Deliverer` with CORV as the transport and StUF answers as the outcome."""

    def __init__(self, config: Config, store: Store, client: CorvClient, metrics: PipelineMetrics) -> None:
        super().__init__(config, store, None, metrics)  # no shared session: CorvClient opens its own per send
        self.client = client

    async def deliver(self, target: Target, leased: LeasedMessage, breaker: CircuitBreaker) -> None:
        try:
            message = await asyncio.to_thread(parse_xml, leased.message.payload)
            result = await self.client.send(message)
        except CorvSendError as error:
            breaker.failed()
            await self._retry(leased, str(error))
            return
        breaker.succeeded()
        fout = result.fout
        if result.accepted or (fout is not None and fout.code == "StUF016" and leased.attempts > 1):
            await self._finish(leased, DELIVERED, _answer_detail(result, leased))
        elif fout is not None and fout.plek == "client":
            await self._refused(leased, result)
        else:
            await self._retry(leased, f"CORV answered {result.berichtcode} {_fout_text(result)}")

    async def _finish(self, leased: LeasedMessage, status: str, detail: dict[str, Any],
                      retourcodes: tuple[str, ...] | None = None) -> None:
        try:
            await self.store.ack(leased.id, leased.token)
        except LeaseLost:  # answered, but after the lease ran out: it will be sent once more
            log.warning("CORV message %s answered after its lease expired", leased.id)
            return
        await self.store.update_status(leased.id, status, detail=detail, retourcodes=retourcodes)
        self.metrics.delivered(QUEUE_KIND, METRICS_PARTNER, status)

    async def _refused(self, leased: LeasedMessage, result: SendResult) -> None:
        """CORV's Fo03 goes to the tenant's inbox, linked to our message, before that is acked as failed."""
        record = leased.message
        answer = etree.tostring(result.answer, xml_declaration=True, encoding="UTF-8")
        await self.store.append(MessageEntry(
            payload=answer, standard=STANDARD, message_type=etree.QName(result.answer).localname,
            direction="inbound", tenant=record.tenant, partner=record.partner, status="received",
            queue=inbox_queue(record.tenant), idempotency_key=f"corv answer\x1f{record.id}",
            bericht_identificatie=result.stuurgegevens.referentienummer, correlation_id=record.id,
            retourcodes=(result.fout.code,),
        ))
        await self._finish(leased, FAILED, _answer_detail(result, leased), retourcodes=(result.fout.code,))

    async def _retry(self, leased: LeasedMessage, failure: str) -> None:
        try:
            result = await self.store.nack(leased.id, leased.token, reason=failure)
        except LeaseLost:
            result = "lease expired"
        log.info("CORV delivery of %s failed (%s, attempt %d): %s", leased.id, failure, leased.attempts, result)
        self.metrics.delivered(QUEUE_KIND, METRICS_PARTNER, result)


def _answer_detail(result: SendResult, leased: LeasedMessage) -> dict[str, Any]:
    """CORV's answer for the timeline: which one, its referentienummer, and for a Fo03 the code and omschrijving
    (not the details: they may quote the message)."""
    detail = {"answer": result.berichtcode, "http_status": result.http_status, "attempt": leased.attempts,
              "referentienummer": result.stuurgegevens.referentienummer}
    if result.fout is not None:
        detail |= {"foutcode": result.fout.code, "plek": result.fout.plek, "omschrijving": result.fout.omschrijving}
    return detail


def _fout_text(result: SendResult) -> str:
    return f"{result.fout.code} ({result.fout.omschrijving})" if result.fout else "without a foutcode"


def corv_delivery(settings: CorvSettings):
    """The cleanup context that runs the worker while the app runs (nothing without `[corv] endpoint`)."""

    async def run(app: web.Application):
        if settings.endpoint is None:
            yield
            return
        config = app[CONFIG_KEY]
        client = await asyncio.to_thread(CorvClient, settings.client_context(config), settings.endpoint,
                                         timeout=config.delivery.timeout)
        deliverer = CorvDeliverer(config, app[STORE_KEY], client, app[PIPELINE_METRICS_KEY])
        task = asyncio.create_task(deliverer.run(Target(OUTBOUND_QUEUE, METRICS_PARTNER, settings.endpoint)),
                                   name=f"deliver {OUTBOUND_QUEUE}")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return run
