"""Logging in to the console with an operator token, and out again; both are written to the audit trail."""
from __future__ import annotations

from aiohttp import web

from gateway.appkeys import CONFIG_KEY, STORE_KEY
from gateway.auth import authenticated_token
from gateway.config import Token
from gateway.console.rendering import error_page, render
from gateway.console.session import (
    LOGIN_PATH, check_csrf, clear_session_cookie, set_session_cookie,
)
from queues.audit import LOGIN, AuditEvent

HOME = "/console/messages"
LOGOUT = "logout"


def _safe_next(target: str) -> str:
    """Only a console path: the login form must not send anyone elsewhere."""
    return target if target.startswith("/console/") and not target.startswith("//") else HOME


async def login_form(request: web.Request) -> web.Response:
    return render(request, "login.html", {"page": "login", "next": _safe_next(request.query.get("next", "")),
                                          "problem": None})


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    presented, target = str(form.get("token", "")).strip(), _safe_next(str(form.get("next", "")))
    token = request.app[CONFIG_KEY].token_for(presented) if presented else None
    if token is None or token.role != "operator":
        problem = "This is not an operator token." if token else "Unknown token."
        audited = await _audit(request, token, "failure", {"reason": "not an operator token" if token else
                                                            "unknown token"})
        if not audited:
            return error_page(request, 503, "The audit trail cannot be written, so nobody can log in now.", "login")
        return render(request, "login.html", {"page": "login", "next": target, "problem": problem}, status=401)
    if not await _audit(request, token, "success", {}):
        return error_page(request, 503, "The audit trail cannot be written, so nobody can log in now.", "login")
    response = web.HTTPSeeOther(target)
    set_session_cookie(response, request, token)
    raise response


async def logout(request: web.Request) -> web.Response:
    if not check_csrf(request, await request.post()):
        return error_page(request, 403, "This form did not come from the console.")
    await _audit(request, authenticated_token(request), "success", {}, action=LOGOUT)
    response = web.HTTPSeeOther(LOGIN_PATH)
    clear_session_cookie(response)
    raise response


async def _audit(request: web.Request, token: Token | None, outcome: str, detail: dict, *,
                 action: str = LOGIN) -> bool:
    """Whether the audit record was written. A failed login names no actor: what was typed may be anything."""
    store = request.app.get(STORE_KEY)
    event = AuditEvent(actor=token.name if token else "unknown", role=token.role if token else "",
                       action=action, outcome=outcome, detail={"via": "console", **detail})
    try:
        await store.audit(event)
    except Exception:  # whatever failed (no store, a locked database): no audit record, no session
        return False
    return True
