"""The CORV message path (StUF-koppelvlak Jeugdzorg jz0100), top to bottom; the iWmo/iJw one is `gateway.pipeline`.

CORV → gateway: `POST /corv/ontvangAsynchroon` (SOAP 1.1, CORV's client certificate, `gateway.corv_routes`)
    safe parse → identify (stuurgegevens) → validate (XSD) → route (ontvanger → tenant) → journal+enqueue on
    `inbox:<gemeentecode>` in one transaction, unique on zender + referentienummer → Bv03 (HTTP 200), only after
    that commit. Not accepted → a Fo03 in a SOAP Fault (HTTP 500):
      StUF055 unreadable or schema-invalid, StUF025 not a message of this service, StUF010 no tenant here
              — journaled "rejected" (no queue), the foutcode as its retourcode;
      StUF016 zender + referentienummer received before — nothing new journaled, an event on the first one;
      StUF046 the store cannot be written.
    CORV's asynchronous answers to our messages (Bv01, Fo01) go to the same inbox, linked to the message they answer.

backoffice → gateway: `POST /api/v1/tenants/{gemeentecode}/outbound` with a vtoDi01 or zorgmeldingTerugkoppelingDi01
    (the message element as XML, or its JSON form from `connectors.corv.json_mapping`), recognised by its namespace
    (`is_corv_message`) → safe parse → validate (XSD) → the zender must be the tenant → journal+enqueue on
    `outbound:corv` → 202. `gateway.corv_delivery` sends it to CORV and records the Bv03 or Fo03.

Journal fields: standard "corv", message_type the element name ("vtoDi01"), bericht_identificatie the
referentienummer, partner the organisatie on CORV's side ("RvdK"), retourcodes the StUF foutcode of a refusal.
Fault details are answered to the sender but never journaled or logged: schema messages quote values (a BSN).
"""
from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from lxml import etree

from connectors.common.safe_xml import UnsafeXml, parse_xml
from connectors.common.xml_json import MappingError
from connectors.corv import json_mapping, soap
from connectors.corv.inbound import JZ_MESSAGES, STUF_MESSAGES, ReceivedMessage, Receiver
from connectors.corv.stuf import (
    JZ_NS, Stuurgegevens, StufFault, StufFout, gemeentecode, read_fout, read_stuurgegevens,
)
from gateway.config import Config, Tenant
from gateway.corv_config import CorvSettings
from gateway.journal_entries import ACCEPTED, REJECTED, inbox_queue
from gateway.pipeline_metrics import PipelineMetrics
from gateway.request_body import loads_json
from queues import MessageEntry, SearchFilters, Store, StoreError

log = logging.getLogger(__name__)

STANDARD = json_mapping.STANDARD
OUTBOUND_QUEUE = "outbound:corv"
GEMEENTE_SENDS = ("vtoDi01", "zorgmeldingTerugkoppelingDi01")  # the others come from the justice chain
ASYNCHRONOUS_ANSWERS = ("Bv01Bericht", "Fo01Bericht")
METRICS_PARTNER = "corv"  # one authenticated party; organisatie names from messages would be unbounded labels
SNIFF_BYTES, SNIFF_CHUNK = 64 * 1024, 4096
_JZ_NS_BYTES, _SOAP_ENV_BYTES = JZ_NS.encode(), soap.SOAP_ENV.encode()


@dataclass(frozen=True)
class Outcome:
    """What a route answers: `status` and `body` (SOAP bytes towards CORV, a JSON object towards a backoffice);
    `outcome` and `message` label the metrics."""

    status: int
    body: Any
    outcome: str
    message: str = "unknown"


def is_corv_message(data: bytes, *, json_body: bool) -> bool:
    """Whether a backoffice's outbound body is a CORV message: JSON with `"standard": "corv"`, or XML whose
    document element is in the jz0100 (or SOAP) namespace. Reads only what it needs to tell."""
    if json_body:
        try:
            document = loads_json(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return False
        return isinstance(document, dict) and document.get("standard") == STANDARD
    if _names_neither_namespace(data[:SNIFF_BYTES]):
        return False
    return _root_namespace(data) in (JZ_NS, soap.SOAP_ENV)


def _names_neither_namespace(head: bytes) -> bool:
    """A shortcut for the usual iWmo/iJw message: in an ASCII-compatible encoding the root's namespace URI stands
    written out before its start tag ends, unless a character reference (&...;) spells it."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return (text.startswith(b"<") and b"&" not in head
            and _JZ_NS_BYTES not in head and _SOAP_ENV_BYTES not in head)


def _root_namespace(data: bytes) -> str | None:
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
    for offset in range(0, min(len(data), SNIFF_BYTES), SNIFF_CHUNK):
        try:
            parser.feed(data[offset:offset + SNIFF_CHUNK])
        except etree.XMLSyntaxError:
            return None
        for _, element in parser.read_events():
            return etree.QName(element).namespace
    return None


class CorvPipeline:
    """The data path of CORV messages; the routes hand it what arrived and send back its `Outcome`."""

    def __init__(self, config: Config, settings: CorvSettings, store: Store, receiver: Receiver,
                 metrics: PipelineMetrics) -> None:
        self.config = config
        self.settings = settings
        self.store = store
        self.receiver = receiver
        self.metrics = metrics

    # ── CORV → gateway: POST /corv/ontvangAsynchroon ──

    async def receive(self, data: bytes) -> Outcome:
        started = time.perf_counter()
        try:
            received = await asyncio.to_thread(self.receiver.check, data)
        except StufFault as fault:
            outcome = await self._reject(fault, data)
        else:
            outcome = await self._accept(received)
        self._count("corv", outcome, time.perf_counter() - started)
        return outcome

    async def _accept(self, received: ReceivedMessage) -> Outcome:
        header = received.stuurgegevens
        payload = _standalone(received.message)
        codes = (read_fout(received.message).code,) if received.name == "Fo01Bericht" else ()
        try:
            answered = await self._answered_message(received) if received.name in ASYNCHRONOUS_ANSWERS else None
            result = await self.store.append(MessageEntry(
                payload=payload, standard=STANDARD, message_type=received.name, direction="inbound",
                tenant=received.gemeentecode, partner=header.zender.organisatie, status=ACCEPTED,
                queue=inbox_queue(received.gemeentecode), idempotency_key=received.duplicate_key,
                bericht_identificatie=header.referentienummer, correlation_id=answered, retourcodes=codes,
                meta={"sha256": hashlib.sha256(payload).hexdigest()},
            ))
        except StoreError as error:  # unavailable, or closed while shutting down
            log.error("CORV message not journaled: %s", type(error).__name__)
            fault = StufFault(StufFout("StUF046", "the message cannot be stored now; send it again later"), header)
            return self._fault(fault, "refused", received.name)
        if not result.created:
            await self._annotate(result.id, "duplicate received", {"foutcode": "StUF016"})
            return self._fault(self.receiver.duplicate(received), "duplicate", received.name)
        if answered is not None:
            await self._annotate(answered, "answer received", {
                "answer_id": result.id, "berichtcode": header.berichtcode, "foutcode": next(iter(codes), None)})
        return Outcome(200, self.receiver.accept(received), ACCEPTED, received.name)

    async def _annotate(self, message_id: str, event: str, detail: dict[str, Any]) -> None:
        """An event on an earlier message; the new one is durable already, so a failure here is only logged."""
        try:
            await self.store.record_event(message_id, event, detail)
        except StoreError as error:
            log.warning("event %r on message %s not recorded: %s", event, message_id, type(error).__name__)

    async def _answered_message(self, received: ReceivedMessage) -> str | None:
        """The message we sent that CORV's Bv01/Fo01 answers: its crossRefnummer is our referentienummer."""
        cross_refnummer = received.stuurgegevens.cross_refnummer
        if not cross_refnummer:
            return None
        page = await self.store.search(SearchFilters(
            tenant=received.gemeentecode, standard=STANDARD, direction="outbound",
            bericht_identificatie=cross_refnummer), limit=1)
        return page.messages[0].id if page.messages else None

    async def _reject(self, fault: StufFault, data: bytes) -> Outcome:
        """Journal the refused request (no queue) with its foutcode and where it is wrong, then the Fo03."""
        name, problems = await asyncio.to_thread(self._rejection_facts, fault, data)
        header = fault.stuurgegevens
        tenant = gemeentecode(header.ontvanger, self.settings.applicaties) if header else None
        entry = MessageEntry(
            payload=data, standard=STANDARD, message_type=name, direction="inbound",
            tenant=tenant if tenant and self.config.tenant(tenant) else None,
            partner=header.zender.organisatie if header else None, status=REJECTED,
            bericht_identificatie=header.referentienummer if header else None, retourcodes=(fault.fout.code,),
            meta={"sha256": hashlib.sha256(data).hexdigest()},
            events=((REJECTED, {"foutcode": fault.fout.code, "plek": fault.fout.plek, "problems": problems}),),
        )
        try:
            await self.store.append(entry)
        except StoreError as error:  # unavailable, or closed while shutting down
            log.error("rejected CORV message not journaled: %s", type(error).__name__)
        return self._fault(fault, REJECTED, name)

    def _rejection_facts(self, fault: StufFault, data: bytes) -> tuple[str, list[dict[str, Any]]]:
        """The message's element name and, for a schema-invalid one, the lines and paths of its problems."""
        try:
            message = soap.body_payload(data, max_bytes=self.receiver.max_bytes)
        except soap.SoapError as error:
            return "unknown", [{"line": error.line, "path": None}]
        name = etree.QName(message).localname
        if fault.fout.code != "StUF055":
            return name, []
        return name, [{"line": problem.line, "path": problem.path}
                      for problem in self.receiver.schemas.validate(message)]

    def _fault(self, fault: StufFault, outcome: str, name: str) -> Outcome:
        return Outcome(500, self.receiver.reject(fault), outcome, name)

    # ── backoffice → gateway: POST /api/v1/tenants/{gemeentecode}/outbound ──

    async def receive_from_backoffice(self, tenant: Tenant, data: bytes, *, json_body: bool) -> Outcome:
        started = time.perf_counter()
        outcome = await self._from_backoffice(tenant, data, json_body)
        self._count("backoffice", outcome, time.perf_counter() - started)
        return outcome

    async def _from_backoffice(self, tenant: Tenant, data: bytes, json_body: bool) -> Outcome:
        if self.settings.endpoint is None:
            return _refused(503, None, "CORV messages cannot be sent: no [corv] endpoint is configured")
        try:
            data, message = await asyncio.to_thread(self._outbound_message, data, json_body)
        except _Refusal as refusal:
            return refusal.outcome
        name = etree.QName(message).localname
        header = read_stuurgegevens(message)
        problems = await asyncio.to_thread(self._outbound_problems, tenant, message, header)
        if problems:
            return await self._reject_outbound(tenant, data, name, header, problems)
        entry = MessageEntry(
            payload=data, standard=STANDARD, message_type=name, direction="outbound", tenant=tenant.gemeentecode,
            partner=header.ontvanger.organisatie, status=ACCEPTED, queue=OUTBOUND_QUEUE,
            idempotency_key=header.duplicate_key, bericht_identificatie=header.referentienummer,
            meta={"sha256": hashlib.sha256(data).hexdigest()},
        )
        result = await self.store.append(entry)
        if result.created:
            return Outcome(202, {"id": result.id, "status": ACCEPTED}, ACCEPTED, name)
        first = await self.store.get(result.id)
        if first.meta.get("sha256") == entry.meta["sha256"]:
            return Outcome(200, {"id": result.id, "status": first.status, "duplicate": True}, "duplicate", name)
        return Outcome(409, {"id": result.id, "errors": [{
            "line": None, "path": f"/{name}/stuurgegevens/referentienummer",
            "message": f"zender and referentienummer were used before by message {result.id} with different "
                       "content (StUF016: a referentienummer is unique per zender)"}]}, "duplicate", name)

    def _outbound_message(self, data: bytes, json_body: bool) -> tuple[bytes, etree._Element]:
        """The XML and the message element of a backoffice's body; `_Refusal` when it is not readable."""
        if json_body:
            try:
                message = json_mapping.to_xml(loads_json(data))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise _Refusal(400, None, f"not valid JSON: {error}", getattr(error, "lineno", None)) from None
            except MappingError as error:
                raise _Refusal(422, error.where, error.problem, error.line) from None
            return etree.tostring(message, xml_declaration=True, encoding="UTF-8"), message
        try:
            message = parse_xml(data, max_bytes=self.config.limits.max_body_bytes)
        except UnsafeXml as error:
            raise _Refusal(400, None, error.reason, error.line) from None
        if message.tag == f"{{{soap.SOAP_ENV}}}Envelope":
            raise _Refusal(422, "/Envelope", "post the message element itself (e.g. vtoDi01), not a SOAP "
                                             "envelope: the gateway wraps it for CORV")
        return data, message

    def _outbound_problems(self, tenant: Tenant, message: etree._Element,
                           header: Stuurgegevens) -> list[dict[str, Any]]:
        name = etree.QName(message)
        if name.namespace != JZ_NS or name.localname not in GEMEENTE_SENDS:
            return [{"line": message.sourceline, "path": f"/{name.localname}",
                     "message": f"{name.localname} is not a message a gemeente sends to CORV "
                                f"(sent: {', '.join(GEMEENTE_SENDS)})"}]
        problems = [problem.as_dict() for problem in self.receiver.schemas.validate(message)]
        if problems:
            return problems
        zender = gemeentecode(header.zender, self.settings.applicaties)
        if zender != tenant.gemeentecode:
            return [{"line": None, "path": f"/{name.localname}/stuurgegevens/zender",
                     "message": f"zender organisatie {header.zender.organisatie!r}, applicatie "
                                f"{header.zender.applicatie!r} is not gemeente {tenant.gemeentecode} of this URL"}]
        return []

    async def _reject_outbound(self, tenant: Tenant, data: bytes, name: str, header: Stuurgegevens,
                               problems: list[dict[str, Any]]) -> Outcome:
        # Lines and paths only in the journal: schema messages quote values, which may be personal data.
        where = [{"line": problem["line"], "path": problem["path"]} for problem in problems]
        result = await self.store.append(MessageEntry(
            payload=data, standard=STANDARD, message_type=name, direction="outbound", tenant=tenant.gemeentecode,
            partner=header.ontvanger.organisatie, status=REJECTED, bericht_identificatie=header.referentienummer,
            meta={"sha256": hashlib.sha256(data).hexdigest()},
            events=((REJECTED, {"http_status": 422, "problems": where}),),
        ))
        return Outcome(422, {"id": result.id, "errors": problems}, REJECTED, name)

    def _count(self, source: str, outcome: Outcome, seconds: float) -> None:
        known = outcome.message in JZ_MESSAGES + STUF_MESSAGES
        self.metrics.messages.labels(STANDARD, outcome.message if known else "unknown", outcome.outcome,
                                     METRICS_PARTNER).inc()
        self.metrics.latency.labels(source, outcome.outcome).observe(seconds)


class _Refusal(Exception):
    def __init__(self, status: int, path: str | None, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.outcome = _refused(status, path, message, line)


def _refused(status: int, path: str | None, message: str, line: int | None = None) -> Outcome:
    return Outcome(status, {"errors": [{"line": line, "path": path, "message": message}]}, "refused")


def _standalone(message: etree._Element) -> bytes:
    """The message from a SOAP Body as a document of its own, without the envelope's namespace declaration."""
    message = copy.deepcopy(message)
    etree.cleanup_namespaces(message, keep_ns_prefixes=[
        prefix for prefix, namespace in message.nsmap.items() if namespace != soap.SOAP_ENV])
    return etree.tostring(message, xml_declaration=True, encoding="UTF-8")
