"""Hostile request bodies and a raw HTTP/1.1 client over TLS that sends exactly what a test (or bench/hostile.py)
tells it to: a lying Content-Length, a chunked body without end, a body or headers trickled byte by byte."""
from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MB = 1024 * 1024
FILE_READ = b"root:"  # what /etc/passwd starts with: never in an answer

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Bericht [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Bericht>&lol9;</Bericht>"""


def quadratic_blowup(size: int = 50_000, references: int = 50_000) -> bytes:
    """One large entity referenced many times: no nesting for a parser to spot, gigabytes once expanded."""
    return (b'<?xml version="1.0"?>\n<!DOCTYPE Bericht [<!ENTITY a "' + b"a" * size + b'">]>\n<Bericht>'
            + b"&a;" * references + b"</Bericht>")


def deep_nesting(levels: int = 10_000) -> bytes:
    return b'<?xml version="1.0"?>\n' + b"<a>" * levels + b"</a>" * levels


def external_dtd(url: str) -> bytes:
    return f'<?xml version="1.0"?>\n<!DOCTYPE Bericht SYSTEM "{url}">\n<Bericht/>'.encode()


HOSTILE_XML = {
    "xxe": b'<?xml version="1.0"?>\n<!DOCTYPE Bericht [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
           b"<Bericht>&x;</Bericht>",
    "billion-laughs": BILLION_LAUGHS,
    "quadratic-blowup": quadratic_blowup(),
    "deep-nesting": deep_nesting(),
    "invalid-utf8": b'<?xml version="1.0" encoding="UTF-8"?>\n<Bericht>\xff\xfe\xc3\x28</Bericht>',
}


def deep_json(levels: int = 10_000) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@dataclass
class RawAnswer:
    """What came back: `status` None when the server closed the connection without an answer; `seconds` from
    connecting to the answer, `answer_seconds` from the last byte sent before the answer to the answer."""

    status: int | None
    body: Any
    seconds: float
    answer_seconds: float

    @property
    def message(self) -> str:
        return self.body["errors"][0]["message"] if isinstance(self.body, dict) else str(self.body)


class RawClient:
    """HTTP/1.1 over TLS, one request per connection, the body sent as the caller's iterator yields it."""

    def __init__(self, base_url: str, ssl_context: ssl.SSLContext) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.ssl_context = ssl_context

    def head(self, method: str, path: str, headers: dict[str, str]) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close",
                 *(f"{name}: {value}" for name, value in headers.items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def request(self, head: bytes, body: AsyncIterator[bytes] | None = None, *,
                      timeout: float = 60.0) -> RawAnswer:
        """Send `head`, then `body` until it ends or the server answers or closes; then read the answer."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        reader, writer = await asyncio.open_connection(self.host, self.port, ssl=self.ssl_context,
                                                       server_hostname="localhost")
        try:
            async with asyncio.timeout(timeout):
                answer = asyncio.ensure_future(_read_answer(reader))
                writer.write(head)
                last_write = loop.time()
                if body is not None:
                    last_write = await _send_until_answered(writer, body, answer) or last_write
                status, document, answered_at = await answer
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, ssl.SSLError, TimeoutError):  # the server may close first, or stop reading
                pass
        return RawAnswer(status, document, answered_at - started, answered_at - min(last_write, answered_at))


async def _send_until_answered(writer: asyncio.StreamWriter, body: AsyncIterator[bytes],
                               answer: asyncio.Future) -> float | None:
    """Writes `body` until the answer comes; the time of the last write."""
    last_write = None
    async for chunk in body:
        if answer.done():
            break
        writer.write(chunk)
        last_write = asyncio.get_running_loop().time()
        try:
            await writer.drain()
        except (ConnectionError, ssl.SSLError):
            break
    return last_write


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int | None, Any, float]:
    """(status, body, when the answer's head arrived); status None when the connection closed without one."""
    loop = asyncio.get_running_loop()
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        return None, None, loop.time()
    answered_at = loop.time()
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    try:
        body = await reader.readexactly(length)
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError) as error:
        body = getattr(error, "partial", b"")
    status = int(lines[0].split()[1])
    if headers.get("content-type", "").startswith("application/json"):
        return status, json.loads(body), answered_at
    return status, body.decode("utf-8", "replace"), answered_at


async def chunked(total: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A chunked body (Transfer-Encoding: chunked) of `total` bytes of XML-ish filler and its last chunk."""
    sent = 0
    data = b"<a>" + b"x" * (chunk - 3)
    while sent < total:
        yield f"{len(data):x}\r\n".encode() + data + b"\r\n"
        sent += len(data)
    yield b"0\r\n\r\n"


async def plain(total: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    """`total` bytes of filler, as fast as the connection takes them."""
    data = b"x" * chunk
    for _ in range(total // chunk):
        yield data


async def trickled(data: bytes, interval: float) -> AsyncIterator[bytes]:
    """`data` one byte per `interval` seconds: a slowloris client."""
    for index in range(len(data)):
        await asyncio.sleep(interval)
        yield data[index:index + 1]
