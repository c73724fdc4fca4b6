"""Console sessions: a browser does not send bearer tokens by itself, so an operator pastes theirs once and gets a
signed session cookie (HttpOnly, Secure over TLS, SameSite=Strict).

The cookie holds the token's name, a keyed fingerprint of the token (so a rotated or removed token ends its
sessions), an expiry and a random session id, signed with HMAC-SHA256 under the console's secret. Forms that change
something carry a CSRF token derived from the session id; SameSite=Strict keeps other sites' requests cookie-less
as well.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

from gateway.appkeys import CONFIG_KEY
from gateway.config import Token
from gateway.operator_settings import settings_of

COOKIE_NAME = "ketenpoort_console"
COOKIE_PATH = "/console"
LOGIN_PATH = "/console/login"


@dataclass(frozen=True)
class Session:
    token: Token
    session_id: str
    expires_at: float


SESSION_KEY = web.RequestKey("console_session", Session)


def _sign(secret: bytes, value: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, value.encode(), hashlib.sha256).digest()).decode().rstrip("=")


def _token_binding(secret: bytes, token: Token) -> str:
    return _sign(secret, f"token:{token.sha256}")[:22]


def session_cookie(secret: bytes, token: Token, lifetime_seconds: float, now: float | None = None) -> str:
    """The cookie value for a new session of `token`."""
    body = json.dumps({"n": token.name, "k": _token_binding(secret, token),
                       "e": int((now or time.time()) + lifetime_seconds), "s": secrets.token_urlsafe(16)},
                      separators=(",", ":"))
    encoded = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{encoded}.{_sign(secret, encoded)}"


def read_session(secret: bytes, tokens: tuple[Token, ...], value: str, now: float | None = None) -> Session | None:
    """The session a cookie value stands for; None when it is forged, expired, or its token is gone or changed."""
    encoded, _, signature = value.partition(".")
    if not hmac.compare_digest(signature.encode(), _sign(secret, encoded).encode()):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        name, binding, expires_at, session_id = body["n"], body["k"], float(body["e"]), str(body["s"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if expires_at <= (now or time.time()):
        return None
    token = next((token for token in tokens if token.name == name and token.role == "operator"), None)
    if token is None or not hmac.compare_digest(binding, _token_binding(secret, token)):
        return None
    return Session(token, session_id, expires_at)


def csrf_token(secret: bytes, session: Session) -> str:
    return _sign(secret, f"csrf:{session.session_id}")


def session_reader(request: web.Request) -> Token:
    """For the auth middleware (`gateway.auth.SESSION_READER_KEY`): the operator of the request's session cookie,
    else a redirect to the login page that comes back here afterwards."""
    secret = settings_of(request.app).session_secret
    session = read_session(secret, request.app[CONFIG_KEY].tokens, request.cookies.get(COOKIE_NAME, ""))
    if session is None:
        back = request.path_qs if request.method == "GET" else "/console/"
        raise web.HTTPSeeOther(f"{LOGIN_PATH}?next={quote(back, safe='/')}")
    request[SESSION_KEY] = session
    return session.token


def check_csrf(request: web.Request, form: Mapping[str, Any]) -> bool:
    """Whether a POST may go ahead: always with a bearer token (no ambient credential), with a session only when the
    form carries that session's CSRF token."""
    session = request.get(SESSION_KEY)
    if session is None:
        return True
    expected = csrf_token(settings_of(request.app).session_secret, session)
    return hmac.compare_digest(str(form.get("csrf", "")).encode(), expected.encode())


def set_session_cookie(response: web.StreamResponse, request: web.Request, token: Token) -> None:
    settings = settings_of(request.app)
    lifetime = settings.session_hours * 3600
    response.set_cookie(COOKIE_NAME, session_cookie(settings.session_secret, token, lifetime), path=COOKIE_PATH,
                        max_age=int(lifetime), httponly=True, secure=request.app[CONFIG_KEY].gateway.tls,
                        samesite="Strict")


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE_NAME, path=COOKIE_PATH)
