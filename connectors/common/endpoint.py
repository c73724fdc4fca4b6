"""A chain partner's HTTPS endpoint with mutual TLS: its address, our client certificate, the CA we trust for it.

`PartnerSession.post` sends one request and turns every transport failure into a `LookupFailed` subclass.
"""
from __future__ import annotations

import asyncio
import errno
import ssl
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from connectors.common.errors import MalformedAnswer, PartnerUnreachable, Timeout, TlsError

MAX_ANSWER_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class PartnerEndpoint:
    """Where and how to reach one partner service. `cert`/`key` are ours (per service), `ca` is theirs."""

    url: str
    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None
    timeout: float = 10.0
    wsdl: Path | None = None

    def ssl_context(self) -> ssl.SSLContext:
        """Verify the partner against `ca` (system CAs when None) and present our certificate when configured."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca) if self.ca else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.cert is not None:
            context.load_cert_chain(certfile=str(self.cert), keyfile=str(self.key) if self.key else None)
        return context


@dataclass(frozen=True)
class Answer:
    """A partner's HTTP answer, read completely."""

    status: int
    content_type: str
    body: bytes


class PartnerSession:
    """One aiohttp session per partner service: connections are reused, the TLS context is built once."""

    def __init__(self, partner: str, endpoint: PartnerEndpoint) -> None:
        self.partner = partner
        self.endpoint = endpoint
        self._ssl = endpoint.ssl_context()
        self._session: aiohttp.ClientSession | None = None

    async def post(self, body: bytes, headers: dict[str, str], url: str | None = None) -> Answer:
        """POST `body`; the whole exchange (connect, TLS, answer) must finish within the endpoint's timeout."""
        try:
            async with asyncio.timeout(self.endpoint.timeout):
                async with self._client().post(url or self.endpoint.url, data=body, headers=headers) as response:
                    content = await response.content.read(MAX_ANSWER_BYTES + 1)
                    if len(content) > MAX_ANSWER_BYTES:
                        raise MalformedAnswer(self.partner, f"answer larger than {MAX_ANSWER_BYTES} bytes")
                    return Answer(response.status, response.headers.get("Content-Type", ""), content)
        except TimeoutError:
            raise Timeout(self.partner, f"no answer within {self.endpoint.timeout:g} s") from None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise TlsError(self.partner, f"partner certificate rejected: {exc.certificate_error}") from None
        except aiohttp.ClientSSLError as exc:
            raise TlsError(self.partner, f"TLS handshake failed: {_ssl_reason(exc)}") from None
        except aiohttp.ClientConnectorError as exc:
            raise PartnerUnreachable(self.partner, f"cannot connect: {exc.strerror or exc}") from None
        except aiohttp.ClientError as exc:
            if isinstance(_root_cause(exc), ssl.SSLError):
                raise TlsError(self.partner, f"TLS failed: {_ssl_reason(_root_cause(exc))}") from None
            if self._reset_after_handshake(exc):
                raise TlsError(self.partner, "connection reset right after the TLS handshake: the partner "
                                             "probably rejected our client certificate") from None
            raise PartnerUnreachable(self.partner, f"connection failed: {type(exc).__name__}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _reset_after_handshake(self, exc: aiohttp.ClientError) -> bool:
        # With TLS 1.3 the server checks our certificate after the client's side of the handshake is done; its
        # alert can lose the race with our request, and then all we see is the connection being reset.
        return (
            isinstance(exc, aiohttp.ClientOSError) and exc.errno in (errno.ECONNRESET, errno.EPIPE)
            and self.endpoint.cert is not None and self.endpoint.url.startswith("https:")
        )

    def _client(self) -> aiohttp.ClientSession:
        # Created lazily: an aiohttp session belongs to the running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self._ssl))
        return self._session


def _root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None or (exc.__context__ is not None and not exc.__suppress_context__):
        exc = exc.__cause__ or exc.__context__
    return exc


def _ssl_reason(exc: BaseException) -> str:
    error = _root_cause(exc)
    return getattr(error, "reason", None) or str(error)
