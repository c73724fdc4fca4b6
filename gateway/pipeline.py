"""The iWmo/iJw message path, top to bottom: receive → safe parse → identify → authorise → validate (XSD) →
rules (TR) → journal+enqueue → answer; the rules run inside the transaction that journals and enqueues, so the rules
across messages see every message journaled before (`TechnicalRules.check_and_append`).

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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from lxml import etree

from connectors.common.safe_xml import PARSER_MAX_DEPTH
from connectors.istandaarden import json_mapping
from connectors.istandaarden.catalogue import AANBIEDER, GEMEENTE, RETOUR, MessageType
from connectors.istandaarden.problems import MessageError, Problem
from connectors.istandaarden.reader import IncomingMessage, read_message
from connectors.istandaarden.retour import RetourError, build_retour
from connectors.istandaarden.rules import Finding, records_from_message, rejects_message, retour_codes
from connectors.istandaarden.safe_xml import Limits as XmlLimits
from connectors.istandaarden.validation import SchemaRegistry
from gateway.config import Config, Provider, Tenant
from gateway.journal_entries import (
    ACCEPTED, REJECTED, RETOUR_RECEIVED, Parties, idempotency_key, inbox_queue, message_entry, outbound_queue,
    parties_of, retour_entry, retourcodes_of,
)
from gateway.pipeline_metrics import PipelineMetrics
from gateway.request_body import loads_json
from gateway.rules_register import register_rows
from gateway.technical_rules import TechnicalRules
from queues import Appending, AppendResult, SearchFilters, Store
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


@dataclass(frozen=True, kw_only=True)
class Decision(Appending):
    """What to journal for a message, and how to answer once it is journaled: `answer` gets the append's result."""

    answer: Callable[[AppendResult], Answer]


Decide = Callable[[IncomingMessage, bytes, Parties, list[Finding]], Awaitable[Decision]]


@dataclass(frozen=True)
class Refusal:
    status: int
    problems: list[Problem]


class Pipeline:
    """The data path of iWmo/iJw messages; the routes hand it what arrived and send back its `Answer`.

    `with_register` turns on the rules across messages (TR on starts, stops, declaraties), against the register kept
    in the store; without it only what one message and the outside lists show is checked. The rules run with the
    lists of the message's tenant, in the transaction that journals the message, one sender's message at a time
    (`TechnicalRules.check_and_append`).
    """

    def __init__(self, config: Config, store: Store, registry: SchemaRegistry, metrics: PipelineMetrics, *,
                 with_register: bool = False) -> None:
        self.config = config
        self.store = store
        self.registry = registry
        self.metrics = metrics
        self.rules = TechnicalRules(config, store, with_register)
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
        return await self._check_and_journal(message, data, parties, parties.provider, self._decide_provider_heen)

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

    async def _decide_provider_heen(self, message: IncomingMessage, data: bytes, parties: Parties,
                                    findings: list[Finding]) -> Decision:
        """After the rules: the retour goes on the provider's queue either way, the heenbericht on the tenant's inbox
        unless a finding rejects it."""
        retour = await self._work(data, build_retour, message.root, retour_codes(message.root, findings),
                                  registry=self.registry)
        if rejects_message(findings):
            return self._rejection(message, data, Refusal(422, _finding_problems(findings)), parties, retour=retour)
        kind, header = message.message_type, message.header
        codes = retourcodes_of(retour)
        key = idempotency_key(kind.standard, header.afzender, header.identificatie, header.dagtekening)
        entry = message_entry(message, data, parties, self._served(parties), status=ACCEPTED,
                              queue=inbox_queue(parties.tenant), idempotency_key=key, retourcodes=codes,
                              events=((ACCEPTED, {"findings": _finding_details(findings)}),))
        return Decision(entry, [retour_entry(message, parties, retour)], self._register_rows(message, findings),
                        answer=lambda result: Answer(202, {"id": result.id, "status": ACCEPTED,
                                                           "retour_id": result.related_ids[0],
                                                           "retourcodes": list(codes)}, ACCEPTED, kind))

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
        return await self._check_and_journal(message, data, parties, tenant.gemeentecode,
                                             self._decide_backoffice_heen)

    async def _decide_backoffice_heen(self, message: IncomingMessage, data: bytes, parties: Parties,
                                      findings: list[Finding]) -> Decision:
        """After the rules: the 301/319 goes on the provider's outbound queue, unless a finding rejects it (the
        backoffice then hears it before the provider does). Findings below 0001 (a record the provider may reject in
        its retour, e.g. 9332) do not stop it: they are on the accepted event of its timeline and in the answer. The
        register takes every record: the provider's retour, not the gateway, decides on them."""
        if rejects_message(findings):
            return self._rejection(message, data, Refusal(422, _finding_problems(findings)), parties)
        kind, header = message.message_type, message.header
        key = idempotency_key(kind.standard, header.afzender, header.identificatie, header.dagtekening)
        entry = message_entry(message, data, parties, self._served(parties), status=ACCEPTED,
                              queue=outbound_queue(kind.standard, parties.provider), idempotency_key=key,
                              events=((ACCEPTED, {"findings": _finding_details(findings)}),))
        problems = [problem.as_dict() for problem in _finding_problems(findings)]
        return Decision(entry, (), self._register_rows(message),
                        answer=lambda result: Answer(202, {"id": result.id, "status": ACCEPTED,
                                                           "findings": problems}, ACCEPTED, kind))

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

    # ── the rules and the journal ──

    async def _check_and_journal(self, message: IncomingMessage, data: bytes, parties: Parties, sender: str,
                                 decide: Decide) -> Answer:
        """The technical rules, then what `decide` makes of their findings, journaled in the same transaction."""
        decision, result = await self.rules.check_and_append(
            message, parties.tenant, sender, lambda findings: decide(message, data, parties, findings))
        if not result.created:
            return await self._duplicate(result.id, data, message.message_type)
        return decision.answer(result)

    def _register_rows(self, message: IncomingMessage, findings: Sequence[Finding] = ()) -> list[RegisterRow]:
        """What an accepted message adds to the register, in the transaction that journals it."""
        return register_rows(records_from_message(message.rules_view, findings)) if self.rules.with_register else []

    # ── journal ──

    def _served(self, parties: Parties) -> str | None:
        """The tenant a message is journaled under: its gemeente when this gateway serves it."""
        return parties.tenant if parties.tenant and self.config.tenant(parties.tenant) else None

    async def _reject(self, message: IncomingMessage, data: bytes, refusal: Refusal, parties: Parties, *,
                      retour: etree._Element | None = None) -> Answer:
        decision = self._rejection(message, data, refusal, parties, retour=retour)
        return decision.answer(await self.store.append(decision.entry, with_entries=decision.with_entries))

    def _rejection(self, message: IncomingMessage, data: bytes, refusal: Refusal, parties: Parties, *,
                   retour: etree._Element | None = None) -> Decision:
        """A refused message is journaled (no queue) so operators see it; a 0001 retour goes to the provider."""
        # Lines and paths only: XSD messages quote values, which may be personal data.
        where = [{"line": problem.line, "path": problem.path} for problem in refusal.problems]
        entry = message_entry(message, data, parties, self._served(parties), status=REJECTED,
                              events=((REJECTED, {"http_status": refusal.status, "problems": where}),))
        with_entries = [retour_entry(message, parties, retour)] if retour is not None else []

        def answer(result: AppendResult) -> Answer:
            refused = _refused(refusal, message.message_type)
            refused.body["id"] = result.id
            if with_entries:
                refused.body["retour_id"] = result.related_ids[0]
            return refused

        return Decision(entry, with_entries, answer=answer)

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
