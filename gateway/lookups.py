"""`POST /api/v1/lookups/{service}`: ask a chain partner (Suwinet-Inkijk, the BRP) about one person.

"Ask the citizen once": the backoffice looks data up in the chain instead. Suwinet's security norms make every
lookup purpose-bound and logged, so here:
- the BSN must pass the 11-proof and a purpose (doelbinding) must be given, before anything else happens;
- the caller's token must grant that service for that purpose (`lookups = [{service, purposes}]`);
- every lookup that passes those checks — refused, found or failed — gets an audit record in the store's
  tamper-evident audit chain: who (token), purpose, service, the subject as keyed hash of the BSN (the same
  keyed hash the message search uses), time and outcome. Without a written audit record no answer goes out.
Answers are passed through, never stored or cached; BSNs never reach the log.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from connectors.common.bsn import InvalidBsn, check_bsn
from connectors.common.errors import (
    LookupFailed, MalformedAnswer, NotFound, PartnerFault, PartnerUnreachable, Timeout, TlsError,
)
from connectors.common.lookup import PersonLookup
from gateway.appkeys import CONFIG_KEY, STORE_KEY
from gateway.auth import BACKOFFICE, authenticated_token
from gateway.config import Config, Token
from gateway.config_reader import ConfigError
from gateway.http_errors import json_error
from gateway.lookup_config import lookup_clients
from gateway.request_body import loads_json
from gateway.routing import add_route
from queues.audit import LOOKUP, AuditEvent
from queues.encryption import KeyRingError, KeyRingSource

# Failure → (HTTP status, audit outcome).
FAILURES: dict[type[LookupFailed], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    PartnerFault: (502, "partner_fault"),
    MalformedAnswer: (502, "malformed_answer"),
    TlsError: (502, "tls_error"),
    Timeout: (504, "timeout"),
    PartnerUnreachable: (503, "unreachable"),
}


class AuditLog(Protocol):
    async def append(self, event: AuditEvent) -> object: ...


class LookupAudit:
    """Writes one audit record per lookup; the subject goes in only as `pseudonymise(bsn)`."""

    def __init__(self, log: AuditLog, pseudonymise: Callable[[str], str]) -> None:
        self._log = log
        self._pseudonymise = pseudonymise

    async def record(self, token: Token, service: str, purpose: str, bsn: str, outcome: str,
                     code: str | None = None) -> None:
        detail = {"service": service, **({"code": code} if code else {})}
        await self._log.append(AuditEvent(
            actor=token.name, role=token.role, action=LOOKUP, object_id=f"bsn:{self._pseudonymise(bsn)}",
            purpose=purpose, outcome=outcome, detail=detail,
        ))


LOOKUP_CLIENTS_KEY = web.AppKey("lookup_clients", dict[str, PersonLookup])
# Set before start-up to use another audit trail; by default the store's (`app[STORE_KEY].audit`).
LOOKUP_AUDIT_KEY = web.AppKey("lookup_audit", LookupAudit)

REQUEST_SCHEMA = {
    "type": "object", "required": ["bsn", "purpose"],
    "properties": {"bsn": {"type": "string", "pattern": "^[0-9]{9}$", "description": "passes the 11-proof"},
                   "purpose": {"type": "string", "description": "doelbinding, as granted to the token"}},
}


def setup(app: web.Application) -> None:
    add_route(app, "POST", "/api/v1/lookups/{service}", lookup, access=BACKOFFICE,
              summary="Look up one person at a chain partner (Suwinet, BRP), purpose-bound and audited",
              operation={
                  "tags": ["lookups"],
                  "requestBody": {"required": True, "content": {"application/json": {"schema": REQUEST_SCHEMA}}},
                  "responses": {
                      "200": {"description": "`{service, purpose, answer}`: the partner's answer"},
                      "400": {"description": "no purpose, or a BSN that fails the 11-proof"},
                      "403": {"description": "the token is not granted this service for this purpose"},
                      "404": {"description": "unknown service, or the partner knows no such person"},
                      "502": {"description": "the partner answered with a fault or an invalid answer, or TLS failed"},
                      "503": {"description": "the partner or the audit trail cannot be reached"},
                      "504": {"description": "the partner did not answer in time"},
                  },
              })
    app.cleanup_ctx.append(_lookup_resources)


async def lookup(request: web.Request) -> web.Response:
    service = request.match_info["service"]
    client = request.app[LOOKUP_CLIENTS_KEY].get(service)
    if client is None:
        raise json_error(404, f"unknown lookup service {service!r}",
                         known=sorted(request.app[LOOKUP_CLIENTS_KEY]))
    bsn, purpose = await _question(request)
    token = authenticated_token(request)
    audit = request.app[LOOKUP_AUDIT_KEY]
    if not token.allows_lookup(service, purpose):
        await _audited(audit.record(token, service, purpose, bsn, "refused"))
        raise json_error(403, f"token {token.name!r} may not look up {service} for purpose {purpose!r}")
    try:
        answer = await client.lookup(bsn, purpose, caller=token.name)
    except LookupFailed as failure:
        status, outcome = _failure(failure)
        await _audited(audit.record(token, service, purpose, bsn, outcome, getattr(failure, "code", None)))
        raise json_error(status, str(failure), outcome=outcome,
                         **({"code": failure.code} if isinstance(failure, PartnerFault) else {})) from None
    await _audited(audit.record(token, service, purpose, bsn, "found"))
    return web.json_response({"service": service, "purpose": purpose, "answer": answer})


async def _question(request: web.Request) -> tuple[str, str]:
    try:
        body = loads_json(await request.read())
    except ValueError:
        raise json_error(400, 'the body must be JSON: {"bsn": "...", "purpose": "..."}') from None
    if not isinstance(body, dict):
        raise json_error(400, 'the body must be a JSON object: {"bsn": "...", "purpose": "..."}')
    purpose = body.get("purpose")
    if not isinstance(purpose, str) or not purpose.strip():
        raise json_error(400, "purpose: required; every lookup needs its purpose (doelbinding)", field="purpose")
    try:
        bsn = check_bsn(body.get("bsn"))
    except InvalidBsn as error:
        raise json_error(400, f"bsn: {error}", field="bsn") from None
    return bsn, purpose.strip()


def _failure(failure: LookupFailed) -> tuple[int, str]:
    return next(result for kind, result in FAILURES.items() if isinstance(failure, kind))


async def _audited(write) -> None:
    """No audit record, no answer: an unwritable audit trail stops the lookup's result from going out."""
    try:
        await write
    except Exception as error:  # whatever the store's failure, the answer must not leave unaudited
        raise json_error(503, f"the audit trail cannot be written ({type(error).__name__}); nothing is answered")


async def _lookup_resources(app: web.Application):
    config = app[CONFIG_KEY]
    app[LOOKUP_CLIENTS_KEY] = lookup_clients(config)
    if LOOKUP_AUDIT_KEY not in app and app[LOOKUP_CLIENTS_KEY]:
        app[LOOKUP_AUDIT_KEY] = LookupAudit(_StoreAudit(app), _pseudonymiser(config))
    yield
    for client in app[LOOKUP_CLIENTS_KEY].values():
        await client.close()


class _StoreAudit:
    """The store's audit trail (`app[STORE_KEY].audit`), looked up per record: the store may open after us."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    async def append(self, event: AuditEvent) -> object:
        store = self._app.get(STORE_KEY)
        if store is None:
            raise RuntimeError("no store is open")
        return await store.audit(event)


def _pseudonymiser(config: Config) -> Callable[[str], str]:
    try:
        return KeyRingSource(config.storage.keys_file).bsn_search_key
    except KeyRingError as error:
        raise ConfigError(f"lookups: audit records need the key ring for the subject's keyed hash: {error}") from None
