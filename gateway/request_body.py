"""Reading a request body defensively, for every route that declares one (`add_route(..., operation={"requestBody":
{"content": {MEDIA_TYPE: ...}}})`; `gateway.routing` wraps its handler with `guarded`). Before the handler runs:

- a Content-Type the route does not declare → 415 naming the ones it takes (application/xml and text/xml count as
  one; no Content-Type, or application/octet-stream, is left to the route's parser, which refuses what it cannot
  read);
- a Content-Length over `[limits] max_body_bytes` → 413 before a byte of the body is read; a chunked body is cut
  off at that limit while it is read (aiohttp's `client_max_size`), so memory stays bounded either way;
- the whole body must arrive within `[limits] body_timeout` seconds → 408: a client that trickles its upload
  (slowloris) holds a connection for that long at most. Trickled headers are bounded by the server's idle timeout
  (`gateway.server`).

The body is read once here; the handler's `await request.read()` returns it from aiohttp's cache. Handlers read
JSON bodies with `loads_json`, so absurd nesting is unreadable JSON like any other, not a RecursionError.
"""
from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import hdrs, web

from gateway.appkeys import CONFIG_KEY
from gateway.http_errors import json_error

XML_TYPES = frozenset({"application/xml", "text/xml"})
UNSPECIFIED_TYPES = frozenset({"application/octet-stream"})  # what clients send when they do not say

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def accepted_types(content_types: Iterable[str]) -> frozenset[str]:
    """The media types a route takes, XML ones widened to both names of XML."""
    types = frozenset(content_type.lower() for content_type in content_types)
    return types | XML_TYPES if types & XML_TYPES else types


def guarded(handler: Handler, content_types: Iterable[str]) -> Handler:
    """`handler`, after the body has passed the checks above."""
    accepted = accepted_types(content_types)

    @functools.wraps(handler)
    async def read_then_handle(request: web.Request) -> web.StreamResponse:
        await read_body(request, accepted)
        return await handler(request)

    return read_then_handle


async def read_body(request: web.Request, accepted: frozenset[str]) -> bytes:
    """The body, or a JSON error (415, 413, 408) saying what is wrong with it."""
    _check_content_type(request, accepted)
    limits = request.app[CONFIG_KEY].limits
    length = request.content_length
    if length is not None and length > limits.max_body_bytes:
        raise json_error(413, f"the body of {length} bytes (Content-Length) is over the limit of "
                              f"{limits.max_body_bytes} bytes")
    try:
        async with asyncio.timeout(limits.body_timeout):
            return await request.read()
    except TimeoutError:
        raise json_error(408, f"the body did not arrive within {limits.body_timeout:g} s",
                         headers={hdrs.CONNECTION: "close"}) from None


def _check_content_type(request: web.Request, accepted: frozenset[str]) -> None:
    if hdrs.CONTENT_TYPE not in request.headers or request.content_type in UNSPECIFIED_TYPES:
        return
    if request.content_type not in accepted:
        raise json_error(415, f"Content-Type {request.content_type} is not accepted here; send "
                              f"{' or '.join(sorted(accepted))}")


def loads_json(data: bytes | str) -> Any:
    """`json.loads`, where nesting too deep for the parser is a JSONDecodeError like any other unreadable JSON."""
    try:
        return json.loads(data)
    except RecursionError:
        raise json.JSONDecodeError("arrays and objects nested too deeply", "", 0) from None
