"""JSON error answers `{"errors": [{"message": ...}]}` for every failure, and the request time limit."""
from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

log = logging.getLogger(__name__)
INTERNAL_ERROR = "internal error; the gateway's log has the details"


class JsonHttpError(web.HTTPException):
    """An HTTP error whose body is the JSON error document."""

    def __init__(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        super().__init__(text=body, content_type="application/json", headers=headers)


def json_error(status: int, message: str, *, headers: dict[str, str] | None = None,
               **fields: object) -> JsonHttpError:
    """An HTTP error carrying `{"errors": [{"message": ..., **fields}]}`; `raise` it from a handler.

    Extra `fields` go into the error object, e.g. `path="/Bericht/Header"` or `line=12`.
    """
    return JsonHttpError(status, json.dumps({"errors": [{"message": message, **fields}]}), headers)


def error_middleware(request_timeout: float):
    """Turns every error into a JSON answer (tracebacks only in the log) and bounds handler time."""

    @web.middleware
    async def json_errors(request: web.Request, handler):
        deadline = asyncio.timeout(request_timeout)
        try:
            async with deadline:
                return await handler(request)
        except TimeoutError:
            if deadline.expired():
                raise json_error(503, f"the request took longer than {request_timeout:g} s") from None
            _log_unhandled(request)
            raise json_error(500, INTERNAL_ERROR) from None
        except web.HTTPException as error:
            if error.content_type == "application/json" or error.status < 400:
                raise
            raise json_error(error.status, _message(error), headers=_kept_headers(error)) from None
        except Exception:
            _log_unhandled(request)
            raise json_error(500, INTERNAL_ERROR) from None

    return json_errors


def _log_unhandled(request: web.Request) -> None:
    log.exception("unhandled error in %s %s", request.method, request.match_info.route.resource)


def _message(error: web.HTTPException) -> str:
    """aiohttp's own text where it says more than the status line (e.g. the body size limit), else the reason."""
    text = error.text or ""
    return text if text and not text.startswith(f"{error.status}:") else error.reason


def _kept_headers(error: web.HTTPException) -> dict[str, str]:
    return {name: value for name, value in error.headers.items() if name in ("Allow", "WWW-Authenticate")}
