"""Sending jz-berichten to CORV: SOAP 1.1 over mutual TLS, answered synchronously with Bv03/Bv04 or a Fo03 fault.

The request comes from our WSDL through zeep's binding: the operation for the message, its SOAPAction and the
endpoint address. The Body holds our message element exactly as built and validated: zeep's object round trip
would drop StUF's `xsi:nil` + `StUF:noValue` and the exactly-two choice of a VTO's uitvoerende, so the element is
not passed through zeep objects. The answer is read with the safe parser.
"""
from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import zeep
from lxml import etree

from connectors.corv import soap
from connectors.corv.schemas import SCHEMA_DIR
from connectors.corv.stuf import STUF_NS, Stuurgegevens, StufFout, read_fout, read_stuurgegevens

WSDL = SCHEMA_DIR / "ontvangAsynchroon.wsdl"
ACCEPTING = ("Bv03", "Bv04")  # Bv04: received, processability not (yet) checked; both mean "delivered"


class CorvSendError(Exception):
    """No StUF answer: CORV unreachable, TLS refused, timeout, or an answer that is no Bv/Fo message.
    Delivery may be retried; the message says what happened (never the message content)."""


@dataclass(frozen=True)
class SendResult:
    """CORV's answer: `accepted` for Bv03/Bv04; otherwise `fout` holds the StUF fault of the Fo03. `answer` is the
    Bv/Fo message element itself (for the journal)."""

    http_status: int
    berichtcode: str
    stuurgegevens: Stuurgegevens
    fout: StufFout | None
    answer: etree._Element | None = field(default=None, compare=False)

    @property
    def accepted(self) -> bool:
        return self.berichtcode in ACCEPTING and self.fout is None


def parse_answer(http_status: int, data: bytes) -> SendResult:
    """The SendResult for CORV's HTTP answer; `CorvSendError` when it is not a StUF Bv- or Fo-message."""
    try:
        payload = soap.body_payload(data)
    except soap.SoapError as error:
        raise CorvSendError(f"HTTP {http_status}: answer is not a SOAP 1.1 message ({error})") from None
    if payload.tag == f"{{{soap.SOAP_ENV}}}Fault":
        detail = soap.fault_detail(payload)
        if detail is None or etree.QName(detail).namespace != STUF_NS:
            raise CorvSendError(f"HTTP {http_status}: SOAP fault without a StUF foutbericht "
                                f"({payload.findtext('faultstring') or 'no faultstring'})")
        payload = detail
    name = etree.QName(payload)
    if name.namespace != STUF_NS or name.localname[:2] not in ("Bv", "Fo"):
        raise CorvSendError(f"HTTP {http_status}: unexpected answer {payload.tag}")
    stuurgegevens = read_stuurgegevens(payload)
    fout = read_fout(payload) if name.localname.startswith("Fo") else None
    return SendResult(http_status, stuurgegevens.berichtcode or name.localname[:4], stuurgegevens, fout, payload)


class CorvClient:
    """Sends jz-berichten to one CORV endpoint. `ssl_context` carries our client certificate (mutual TLS)."""

    def __init__(self, ssl_context: ssl.SSLContext, endpoint: str | None = None, *, wsdl: Path = WSDL,
                 timeout: float = 30.0) -> None:
        settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        service = zeep.Client(str(wsdl), settings=settings).service
        self._operations = {operation.input.body.qname: operation
                            for operation in service._binding._operations.values()}
        self.endpoint = endpoint or service._binding_options["address"]
        self.ssl_context = ssl_context
        self.timeout = timeout

    def request(self, message: etree._Element) -> tuple[bytes, dict[str, str]]:
        """The SOAP request body and HTTP headers for `message` (a jz Di01 element)."""
        operation = self._operations.get(etree.QName(message))
        if operation is None:
            raise ValueError(f"{message.tag} is not a message of the ontvangAsynchroon service")
        headers = {"Content-Type": soap.CONTENT_TYPE, "SOAPAction": f'"{operation.soapaction}"'}
        return soap.envelope(message), headers

    async def send(self, message: etree._Element) -> SendResult:
        """Send `message` and return CORV's answer; `CorvSendError` when there is none."""
        body, headers = self.request(message)
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(self.endpoint, data=body, headers=headers, ssl=self.ssl_context) as response:
                    data = await response.read()
                    status = response.status
        except (aiohttp.ClientSSLError, ssl.SSLError) as error:
            raise CorvSendError(f"TLS with {self.endpoint} failed: {error}") from None
        except asyncio.TimeoutError:
            raise CorvSendError(f"no answer from {self.endpoint} within {self.timeout:g} s") from None
        except aiohttp.ClientError as error:
            raise CorvSendError(f"cannot reach {self.endpoint}: {error}") from None
        return parse_answer(status, data)
