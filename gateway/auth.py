"""Who is calling: care providers and CORV by client certificate, backoffice systems and operators by bearer token.

Every route declares who may use it (`gateway.routing.add_route(..., access=...)`); the middleware refuses a route
without a declaration, so nothing is anonymous by accident. Handlers read the caller with
`authenticated_provider(request)` or `authenticated_token(request)`.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from aiohttp import web

from gateway.appkeys import CONFIG_KEY, ROUTE_ACCESS_KEY
from gateway.config import CertificateIdentity, Provider, Tenant, Token
from gateway.http_errors import json_error
from gateway.pki import certificate_fingerprint, subject_serial_number
from gateway.tls import peer_certificate_der

log = logging.getLogger(__name__)

Access = frozenset[str]
PUBLIC: Access = frozenset()
PROVIDER: Access = frozenset({"provider"})
BACKOFFICE: Access = frozenset({"backoffice"})
OPERATOR: Access = frozenset({"operator"})
CORV: Access = frozenset({"corv"})  # only CORV's client certificate (`[corv] certificate`), nobody else
ANY_PARTY: Access = PROVIDER | BACKOFFICE | OPERATOR
# Operator pages of the web console: an operator token, or the console's session cookie instead of the header.
CONSOLE_SESSION = "console session"
CONSOLE: Access = OPERATOR | {CONSOLE_SESSION}

PROVIDER_KEY = web.RequestKey("provider", Provider)
TOKEN_KEY = web.RequestKey("token", Token)
# request → the operator token of its console session cookie; raises (a redirect to the login page) without one.
SESSION_READER_KEY = web.AppKey("session_reader", Callable[[web.Request], Token])
# CORV's certificate identity, set by `gateway.corv_routes` when `[corv]` is configured; without it CORV is refused.
CORV_CERTIFICATE_KEY = web.AppKey("corv_certificate", CertificateIdentity)


def authenticated_provider(request: web.Request) -> Provider:
    """The care provider whose client certificate authenticated this request (routes with PROVIDER access)."""
    return request[PROVIDER_KEY]


def authenticated_token(request: web.Request) -> Token:
    """The bearer token that authenticated this request (routes with BACKOFFICE or OPERATOR access)."""
    return request[TOKEN_KEY]


def require_tenant(request: web.Request, gemeentecode: str) -> Tenant:
    """The configured tenant `gemeentecode` if the caller may act for it; else a 404 or 403 JSON error."""
    tenant = request.app[CONFIG_KEY].tenant(gemeentecode)
    if tenant is None:
        raise json_error(404, f"unknown tenant (gemeentecode {gemeentecode!r})")
    token = request.get(TOKEN_KEY)
    provider = request.get(PROVIDER_KEY)
    allowed = (token is not None and token.serves_tenant(gemeentecode)) or (
        provider is not None and provider.serves_tenant(gemeentecode)
    )
    if not allowed:
        raise json_error(403, f"not authorised for tenant {gemeentecode}")
    return tenant


@web.middleware
async def auth_middleware(request: web.Request, handler):
    if request.match_info.http_exception is not None:  # 404/405: nothing to protect
        return await handler(request)
    access = request.app[ROUTE_ACCESS_KEY].get(request.match_info.route)
    if access is None:
        log.error("route %s has no access rule; refused", request.match_info.route.resource)
        raise json_error(403, "this route has no access rule")
    if access == PUBLIC:
        return await handler(request)
    if access == CORV:
        _require_corv_certificate(request)
        return await handler(request)
    if "provider" in access and "Authorization" not in request.headers:
        request[PROVIDER_KEY] = _provider_from_certificate(request)
    elif CONSOLE_SESSION in access and "Authorization" not in request.headers:
        request[TOKEN_KEY] = request.app[SESSION_READER_KEY](request)
    else:
        token = _token_from_header(request)
        if token.role not in access:
            raise json_error(403, f"token {token.name!r} has role {token.role}; this route is for "
                                  f"{' or '.join(sorted(access))}")
        request[TOKEN_KEY] = token
    return await handler(request)


def _client_certificate(request: web.Request) -> tuple[str | None, str]:
    """(subject serialNumber, SHA-256 fingerprint) of the client certificate, which TLS verified (chain, CRL)."""
    der = peer_certificate_der(request.transport.get_extra_info("ssl_object") if request.transport else None)
    if der is None:
        raise json_error(401, "a client certificate is required for this route")
    return _certificate_identity(der)


@functools.lru_cache(maxsize=1024)
def _certificate_identity(der: bytes) -> tuple[str | None, str]:
    # Parsing the certificate costs more than the rest of authorising; a partner presents the same one every time.
    return subject_serial_number(der), certificate_fingerprint(der)


def _require_corv_certificate(request: web.Request) -> None:
    serial_number, fingerprint = _client_certificate(request)
    identity = request.app.get(CORV_CERTIFICATE_KEY)
    if identity is None or not identity.matches(serial_number, fingerprint):
        raise json_error(403, f"client certificate (serialNumber {serial_number!r}, SHA-256 {fingerprint}) is not "
                              "CORV's ([corv] certificate)")


def _provider_from_certificate(request: web.Request) -> Provider:
    # Here the verified certificate is mapped to a configured party.
    serial_number, fingerprint = _client_certificate(request)
    provider = request.app[CONFIG_KEY].provider_for_certificate(serial_number, fingerprint)
    if provider is None:
        raise json_error(403, f"client certificate (serialNumber {serial_number!r}, SHA-256 {fingerprint}) "
                              "belongs to no configured provider")
    return provider


def _token_from_header(request: web.Request) -> Token:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="ketenpoort"'}
    if scheme.lower() != "bearer" or not value.strip():
        raise json_error(401, "a bearer token is required (Authorization: Bearer TOKEN)", headers=challenge)
    token = request.app[CONFIG_KEY].token_for(value.strip())
    if token is None:
        raise json_error(401, "unknown bearer token", headers=challenge)
    return token
