"""The iWmo/iJw message path, top to bottom: receive → safe parse → identify → authorise → validate (XSD) →
rules (TR) → journal+enqueue (one transaction) → answer.

The journal's entries, queue names and statuses: `gateway.journal_entries`.

Idempotency: a provider's message is known by standard, sender, BerichtIdentificatie (IdentificatieRetour for a
retour) and its Dagtekening. Posting the same one again is not accepted twice: the answer is 200 with the first
message's id and `"duplicate": true` (409 when the content differs from the first one).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from lxml import etree

from connectors.common.safe_xml import PARSER_MAX_DEPTH
from connectors.istandaarden import json_mapping
from connectors.istandaarden.catalogue import AANBIEDER, GEMEENTE, RETOUR, MessageType
from connectors.istandaarden.problems import MessageError, Problem
from connectors.istandaarden.reader import IncomingMessage, read_message
from connectors.istandaarden.retour import RetourError, build_retour
from connectors.istandaarden.rules import (
    Finding, Register, records_from_message, rejects_message, retour_codes,
)
from connectors.istandaarden.safe_xml import Limits as XmlLimits
from connectors.istandaarden.validation import SchemaRegistry
from gateway.config import Config, Provider, Tenant
from gateway.journal_entries import (
    ACCEPTED, REJECTED, RETOUR_RECEIVED, Parties, idempotency_key, inbox_queue, message_entry, outbound_queue,
    parties_of, retour_entry, retourcodes_of,
)
from gateway.pipeline_metrics import PipelineMetrics
from gateway.request_body import loads_json
from gateway.rules_register import StoreRegister, register_rows
from gateway.technical_rules import TechnicalRules
from queues import SearchFilters, Store
from queues.register_ops import RegisterRow

BACKOFFICE_MESSAGES = (301, 319)  # what a backoffice sends; the gateway makes the retours itself
INLINE_BYTES = 32 * 1024  # messages up to this size are worked on without a thread hop (`Pipeline._work`)
T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    """What the HTTP route answers: `status` and JSON `body`; `outcome` and `kind` label the metrics."""

    status: int
    body: dict[str, Any]
    outcome: str
    kind: MessageType | None = None


@dataclass(frozen=True)
class Refusal:
    status: int
    problems: list[Problem]


class Pipeline:
    """The data path of iWmo/iJw messages; the routes hand it what arrived and send back its `Answer`.

    `register` is the seam for the rules across messages (TR on starts, stops, declaraties): None checks only what
    one message and the outside lists show; a durable register kept in the store goes here. The rules run with the
    lists of the message's tenant, and one sender's check+append at a time (`TechnicalRules.turn`).
    """

    def __init__(self, config: Config, store: Store, registry: SchemaRegistry, metrics: PipelineMetrics,
                 register: Register | None = None) -> None:
        self.config = config
        self.store = store
        self.registry = registry
        self.metrics = metrics
        self.register = register
        self.rules = TechnicalRules(config, store, register)
        self.xml_limits = XmlLimits(max_bytes=config.limits.max_body_bytes,
                                    max_depth=min(config.limits.max_depth, PARSER_MAX_DEPTH))

    async def _work(self, data: bytes, function: Callable[..., T], *args: Any, **options: Any) -> T:
        """`function(*args, **options)`, CPU work on the message `data`: on the event loop for a message of a usual
        size, where a thread hop costs more than parsing, validating or answering it (a tenth of a millisecond each
        for a few KB); in a thread for a large one (a Declaratie of thousands of Prestaties), so other requests go on
        meanwhile."""
        if len(data) <= INLINE_BYTES:
            return function(*args, **options)
        return await asyncio.to_thread(function, *args, **options)

    # ── provider → gateway: POST /istandaarden/{standard}/berichten ──

    async def receive_from_provider(self, provider: Provider, standard: str, data: bytes) -> Answer:
        started = time.perf_counter()
        answer = await self._from_provider(provider, standard, data)
        self.metrics.record("provider", provider.agb, answer, time.perf_counter() - started, standard)
        return answer

    async def _from_provider(self, provider: Provider, standard: str, data: bytes) -> Answer:
        try:
            message = await self._work(data, read_message, data, self.xml_limits)  # safe parse, identify
        except MessageError as error:
            return _refused(Refusal(400, error.problems))
        claimed = parties_of(message)
        refusal = self._authorise_provider(provider, standard, message, claimed)
        parties = Parties(claimed.tenant, provider.agb)  # the certificate says who sent it
        if refusal:
            return await self._reject(message, data, refusal, parties)
        problems = await self._work(data, self.registry.problems, message.root, message.message_type)
        if problems:
            retour = await self._work(data, self._rejection_retour, message, parties)
            return await self._reject(message, data, Refusal(422, problems), parties, retour=retour)
        if message.message_type.direction == RETOUR:
            return await self._accept_provider_retour(message, data, parties)
        async with self.rules.turn(message, parties.provider):
            findings = await self.rules.check(message, parties.tenant)
            retour = await self._work(data, build_retour, message.root, retour_codes(message.root, findings),
                                      registry=self.registry)
            if rejects_message(findings):
                return await self._reject(message, data, Refusal(422, _finding_problems(findings)), parties,
                                          retour=retour)
            return await self._accept_provider_heen(message, data, parties, findings, retour)

    def _authorise_provider(self, provider: Provider, standard: str, message: IncomingMessage,
                            parties: Parties) -> Refusal | None:
        """The provider may send this message type, from its own AGB code, to a tenant it has a contract with."""
        kind = message.message_type
        if kind.standard != standard:
            return _refusal(422, "/Bericht", f"{kind.describe()} is an {kind.standard} message; post it to "
                                             f"/istandaarden/{kind.standard}/berichten")
        if kind.sender != AANBIEDER:
            return _refusal(422, "/Bericht", f"{kind.describe()} is sent by a gemeente, not by a care provider")
        if not provider.allows_message(kind.code):
            return _refusal(403, "/Bericht", f"provider {provider.agb} may not send {kind.code}")
        sender_field = "Ontvanger" if kind.direction == RETOUR else "Afzender"  # a retour keeps the heen's parties
        if parties.provider not in (None, provider.agb):
            return _refusal(403, f"/Bericht/Header/{sender_field}",
                            f"{sender_field} {parties.provider} is not the AGB code of your certificate "
                            f"({provider.agb})")
        tenant_field = "Afzender" if kind.direction == RETOUR else "Ontvanger"
        if parties.tenant is not None and self.config.tenant(parties.tenant) is None:
            return _refusal(422, f"/Bericht/Header/{tenant_field}",
                            f"{tenant_field} {parties.tenant} is not a gemeente served by this gateway")
        if parties.tenant is not None and not provider.serves_tenant(parties.tenant):
            return _refusal(403, f"/Bericht/Header/{tenant_field}",
                            f"provider {provider.agb} has no contract with gemeente {parties.tenant}")
        return None

    async def _accept_provider_heen(self, message: IncomingMessage, data: bytes, parties: Parties,
                                    findings: list[Finding], retour: etree._Element) -> Answer:
        """Journal the heenbericht on the tenant's inbox and its retour on the provider's queue, in one transaction."""
        kind, header = message.message_type, message.header
        codes = retourcodes_of(retour)
        key = idempotency_key(kind.standard, header.afzender, header.identificatie, header.dagtekening)
        entry = message_entry(message, data, parties, self._served(parties), status=ACCEPTED,
                              queue=inbox_queue(parties.tenant), idempotency_key=key, retourcodes=codes,
                              events=((ACCEPTED, {"findings": _finding_details(findings)}),))
        records = self._register_records(message.root, findings)
        result = await self.store.append(entry, with_entries=[retour_entry(message, parties, retour)],
                                         register=self._durable_rows(records))
        if not result.created:
            return await self._duplicate(result.id, data, kind)
        await self._add_to_memory_register(records)
        return Answer(202, {"id": result.id, "status": ACCEPTED, "retour_id": result.related_ids[0],
                            "retourcodes": list(codes)}, ACCEPTED, kind)

    async def _accept_provider_retour(self, message: IncomingMessage, data: bytes, parties: Parties) -> Answer:
        """A 302/320 answers a message the tenant sent: it goes to the tenant's inbox and marks the original."""
        kind, header = message.message_type, message.header
        original = await self._original_of(message, parties)
        codes = retourcodes_of(message.root)
        key = idempotency_key(kind.standard, parties.provider, header.identificatie_retour,
                              header.dagtekening_retour, "retour")
        entry = message_entry(message, data, parties, self._served(parties), status=ACCEPTED,
                              queue=inbox_queue(parties.tenant), idempotency_key=key, retourcodes=codes,
                              correlation_id=original,
                              events=((ACCEPTED, {"answers": original or "no outbound message found"}),))
        result = await self.store.append(entry)
        if not result.created:
            return await self._duplicate(result.id, data, kind)
        if original is not None:
            # A second transaction: the retour itself is durable already; this only annotates the original.
            await self.store.update_status(original, RETOUR_RECEIVED, detail={"retour_id": result.id},
                                           retourcodes=codes)
        return Answer(202, {"id": result.id, "status": ACCEPTED, "correlation_id": original}, ACCEPTED, kind)

    async def _original_of(self, retour: IncomingMessage, parties: Parties) -> str | None:
        """The outbound heenbericht this retour answers: same parties, BerichtIdentificatie and Dagtekening."""
        header = retour.header
        page = await self.store.search(SearchFilters(
            tenant=parties.tenant, partner=parties.provider, standard=retour.standard, direction="outbound",
            message_type=retour.message_type.answers_code, bericht_identificatie=header.identificatie,
        ), limit=10)
        dagtekening = header.dagtekening.isoformat() if header.dagtekening else None
        return next((record.id for record in page.messages if record.dagtekening == dagtekening), None)

    def _rejection_retour(self, message: IncomingMessage, parties: Parties) -> etree._Element | None:
        """The 0001 retour (Header alone) for a technically rejected heenbericht, when its Header allows one."""
        if message.message_type.direction == RETOUR or parties.tenant is None:
            return None
        try:
            retour = build_retour(message.root, rejected=True, registry=self.registry)
        except (RetourError, AttributeError, TypeError):  # a Header too broken to copy gets no retour
            return None
        return None if self.registry.validate(retour) else retour

    # ── backoffice → gateway: POST /api/v1/tenants/{gemeentecode}/outbound ──

    async def receive_from_backoffice(self, tenant: Tenant, data: bytes, *, json_body: bool) -> Answer:
        started = time.perf_counter()
        answer = await self._from_backoffice(tenant, data, json_body)
        self.metrics.record("backoffice", tenant.gemeentecode, answer, time.perf_counter() - started)
        return answer

    async def _from_backoffice(self, tenant: Tenant, data: bytes, json_body: bool) -> Answer:
        if json_body:
            data = await self._work(data, self._xml_from_json, data)
            if isinstance(data, Refusal):
                return _refused(data)
        try:
            message = await self._work(data, read_message, data, self.xml_limits)
        except MessageError as error:
            return _refused(Refusal(400, error.problems))
        parties = Parties(tenant.gemeentecode, parties_of(message).provider)
        refusal = self._authorise_backoffice(tenant, message, parties)
        if refusal:
            return await self._reject(message, data, refusal, parties)
        problems = await self._work(data, self.registry.problems, message.root, message.message_type)
        if problems:
            return await self._reject(message, data, Refusal(422, problems), parties)
        async with self.rules.turn(message, tenant.gemeentecode):
            findings = await self.rules.check(message, tenant.gemeentecode)
            if rejects_message(findings):  # the backoffice hears it before the provider does
                return await self._reject(message, data, Refusal(422, _finding_problems(findings)), parties)
            return await self._accept_backoffice_heen(message, data, parties, findings)

    async def _accept_backoffice_heen(self, message: IncomingMessage, data: bytes, parties: Parties,
                                      findings: list[Finding]) -> Answer:
        """Journal the 301/319 on the provider's outbound queue. Findings below 0001 (a record the provider may reject
        in its retour, e.g. 9332) do not stop it: they are on the accepted event of its timeline and in the answer.
        The register takes every record: the provider's retour, not the gateway, decides on them."""
        kind, header = message.message_type, message.header
        key = idempotency_key(kind.standard, header.afzender, header.identificatie, header.dagtekening)
        entry = message_entry(message, data, parties, self._served(parties), status=ACCEPTED,
                              queue=outbound_queue(kind.standard, parties.provider), idempotency_key=key,
                              events=((ACCEPTED, {"findings": _finding_details(findings)}),))
        records = self._register_records(message.root)
        result = await self.store.append(entry, register=self._durable_rows(records))
        if not result.created:
            return await self._duplicate(result.id, data, kind)
        await self._add_to_memory_register(records)
        return Answer(202, {"id": result.id, "status": ACCEPTED,
                            "findings": [problem.as_dict() for problem in _finding_problems(findings)]},
                      ACCEPTED, kind)

    def _xml_from_json(self, data: bytes) -> bytes | Refusal:
        """The XML of the JSON form (`json_mapping`), or why it cannot be read: 400 not JSON, 422 not the shape."""
        try:
            document = loads_json(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return Refusal(400, [Problem(getattr(error, "lineno", None), None, f"not valid JSON: {error}")])
        try:
            root = json_mapping.to_xml(document, self.registry)
        except json_mapping.MappingError as error:
            return Refusal(422, [Problem(error.line, error.where, error.problem)])
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _authorise_backoffice(self, tenant: Tenant, message: IncomingMessage, parties: Parties) -> Refusal | None:
        """A backoffice sends 301 and 319 from its own gemeentecode to a provider with a contract with it."""
        kind = message.message_type
        if kind.sender != GEMEENTE or kind.number not in BACKOFFICE_MESSAGES:
            return _refusal(422, "/Bericht", f"{kind.describe()} is not a message a backoffice sends "
                                             f"(301 or 319; the gateway makes the retours itself)")
        afzender = message.header.afzender
        if afzender not in (None, tenant.gemeentecode):
            return _refusal(422, "/Bericht/Header/Afzender", f"Afzender {afzender} is not gemeente "
                                                             f"{tenant.gemeentecode} of this URL")
        provider = self.config.provider(parties.provider) if parties.provider else None
        if parties.provider is not None and (provider is None or not provider.serves_tenant(tenant.gemeentecode)):
            return _refusal(422, "/Bericht/Header/Ontvanger", f"Ontvanger {parties.provider} is no provider with "
                                                              f"a contract with gemeente {tenant.gemeentecode}")
        return None

    # ── register of the rules across messages ──

    def _register_records(self, root: etree._Element, findings: Sequence[Finding] = ()) -> list:
        """What an accepted message adds to the register; nothing to extract without one."""
        return records_from_message(root, findings) if self.register is not None else []

    def _durable_rows(self, records: list) -> list[RegisterRow]:
        """A register in the store takes the message's records in the transaction that journals the message."""
        return register_rows(records) if isinstance(self.register, StoreRegister) else []

    async def _add_to_memory_register(self, records: list) -> None:
        if self.register is not None and not isinstance(self.register, StoreRegister):
            await self.register.add(records)

    # ── journal ──

    def _served(self, parties: Parties) -> str | None:
        """The tenant a message is journaled under: its gemeente when this gateway serves it."""
        return parties.tenant if parties.tenant and self.config.tenant(parties.tenant) else None

    async def _reject(self, message: IncomingMessage, data: bytes, refusal: Refusal, parties: Parties, *,
                      retour: etree._Element | None = None) -> Answer:
        """Journal a refused message (no queue) so operators see it; a 0001 retour goes to the provider."""
        # Lines and paths only: XSD messages quote values, which may be personal data.
        where = [{"line": problem.line, "path": problem.path} for problem in refusal.problems]
        entry = message_entry(message, data, parties, self._served(parties), status=REJECTED,
                              events=((REJECTED, {"http_status": refusal.status, "problems": where}),))
        with_entries = [retour_entry(message, parties, retour)] if retour is not None else []
        result = await self.store.append(entry, with_entries=with_entries)
        answer = _refused(refusal, message.message_type)
        answer.body["id"] = result.id
        if with_entries:
            answer.body["retour_id"] = result.related_ids[0]
        return answer

    async def _duplicate(self, first_id: str, data: bytes, kind: MessageType) -> Answer:
        first = await self.store.get(first_id)
        if first.meta.get("sha256") != hashlib.sha256(data).hexdigest():
            return Answer(409, {"id": first_id, "errors": [{
                "line": None, "path": "/Bericht/Header",
                "message": f"this BerichtIdentificatie and Dagtekening were used before by message {first_id} "
                           "with different content",
            }]}, "duplicate", kind)
        return Answer(200, {"id": first_id, "status": first.status, "duplicate": True}, "duplicate", kind)








def _refusal(status: int, path: str, message: str) -> Refusal:
    return Refusal(status, [Problem(None, path, message)])


def _refused(refusal: Refusal, kind: MessageType | None = None) -> Answer:
    errors = [problem.as_dict() for problem in refusal.problems]
    return Answer(refusal.status, {"errors": errors}, REJECTED if kind else "refused", kind)


def _finding_problems(findings: Sequence[Finding]) -> list[Problem]:
    return [Problem(None, finding.location, f"{finding.rule} (retourcode {finding.retourcode}): {finding.detail}")
            for finding in findings]


def _finding_details(findings: Sequence[Finding]) -> list[dict[str, str]]:
    return [{"rule": f.rule, "retourcode": f.retourcode, "path": f.path} for f in findings]
