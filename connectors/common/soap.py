"""One SOAP operation of a partner, bound from its WSDL with zeep and sent over aiohttp with mutual TLS.

zeep builds the request envelope from the WSDL (including WS-Addressing headers where the WSDL asks for them) and
deserialises the answer; the transport here only moves bytes. Every answer is parsed safely, checked for a SOAP
fault, and its body validated against the WSDL's schemas before anything reads it. WSDLs and XSDs load from local
files only: an official WSDL works as long as its imports sit beside it.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import zeep
import zeep.exceptions
from zeep.wsdl import Document
from lxml import etree
from xmlschema.extras.wsdl import Wsdl11Document
from zeep.helpers import serialize_object
from zeep.wsdl.utils import etree_to_string

from connectors.common.endpoint import PartnerEndpoint, PartnerSession
from connectors.common.errors import LookupFailed, MalformedAnswer, PartnerFault
from connectors.common.safe_xml import UnsafeXml, parse_xml

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SETTINGS = zeep.Settings(
    strict=True, raw_response=True, forbid_dtd=True, forbid_entities=True, xml_huge_tree=False
)


@dataclass(frozen=True)
class SoapFault:
    """A SOAP 1.1 fault as received: `detail` is the first element inside <detail>, if any."""

    code: str
    message: str
    detail: etree._Element | None


@dataclass(frozen=True)
class SoapReply:
    """A valid answer: the body's payload element and zeep's deserialisation of it."""

    payload: etree._Element
    value: Any

    def as_dict(self) -> dict[str, Any]:
        """The answer as plain JSON-able data, absent elements left out."""
        return _without_empty(serialize_object(self.value, target_cls=dict))


FaultReader = Callable[[SoapFault], LookupFailed]


class SoapOperation:
    """Calls `operation` of the WSDL at `wsdl` on `endpoint`; `read_fault` turns a SOAP fault into an error."""

    def __init__(
        self, partner: str, wsdl: Path, operation: str, endpoint: PartnerEndpoint, read_fault: FaultReader
    ) -> None:
        self.partner = partner
        self._session = PartnerSession(partner, endpoint)
        self._read_fault = read_fault
        document, self._schema = _load_wsdl(Path(wsdl).resolve())
        client = zeep.AsyncClient(document, transport=_Transport(self), settings=SETTINGS)
        binding = _binding_with(document, operation, wsdl)
        self._proxy = client.create_service(binding.name, endpoint.url)
        self._operation = binding.get(operation)
        self.operation = operation

    async def call(self, **parameters: Any) -> SoapReply:
        """Send the operation with `parameters` (zeep's element names); return the validated answer."""
        try:
            answer = await self._proxy[self.operation](**parameters)
        except zeep.exceptions.ValidationError as exc:
            raise ValueError(f"{self.partner}: cannot build {self.operation}: {exc.message}") from None
        return self._read(answer.status, answer.body)

    async def close(self) -> None:
        await self._session.close()

    async def _post(self, address: str, envelope: etree._Element, headers: dict[str, str]):
        self._check_request(envelope)
        return await self._session.post(etree_to_string(envelope), headers, url=address)

    def _check_request(self, envelope: etree._Element) -> None:
        # Our own request must satisfy the partner's schema too: a mismatch is our bug, so say so before sending.
        payload = _body_payload(envelope)
        error = next(self._schema.iter_errors(payload), None) if payload is not None else None
        if error is not None:
            raise ValueError(f"{self.partner}: {self.operation} request invalid at {error.path}: {error.reason}")

    def _read(self, status: int, body: bytes) -> SoapReply:
        try:
            envelope = parse_xml(body)
        except UnsafeXml as exc:
            raise MalformedAnswer(self.partner, f"HTTP {status} answer is not acceptable XML: {exc}") from None
        # zeep reads elements only; comments and processing instructions carry nothing an answer needs.
        etree.strip_elements(envelope, etree.Comment, etree.ProcessingInstruction, with_tail=False)
        if envelope.tag != f"{{{SOAP_ENV}}}Envelope":
            raise MalformedAnswer(self.partner, f"answer is not a SOAP 1.1 envelope but <{envelope.tag}>")
        fault = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
        if fault is not None:
            raise self._read_fault(_soap_fault(fault))
        if status != 200:
            raise PartnerFault(self.partner, f"HTTP {status}", "answer without SOAP fault")
        payload = _body_payload(envelope)
        if payload is None:
            raise MalformedAnswer(self.partner, "SOAP body is empty")
        error = next(self._schema.iter_errors(payload), None)
        if error is not None:
            line = getattr(error.elem, "sourceline", None)
            where = f"line {line}, {error.path}" if line else str(error.path)
            raise MalformedAnswer(self.partner, f"answer invalid against the schema at {where}: {error.reason}")
        try:
            value = self._operation.process_reply(envelope)
        except (zeep.exceptions.Error, ValueError) as exc:
            raise MalformedAnswer(self.partner, f"answer cannot be read: {exc}") from None
        return SoapReply(payload, value)


class _Transport:
    """What zeep asks of a transport: `load` for WSDL/XSD files (local only) and `post_xml` for the call."""

    def __init__(self, operation: SoapOperation) -> None:
        self._operation = operation

    def load(self, url: str) -> bytes:
        return _read_local(url)

    async def post_xml(self, address: str, envelope: etree._Element, headers: dict[str, str]):
        return await self._operation._post(address, envelope, headers)

    async def aclose(self) -> None:
        await self._operation.close()


class _LoadingTransport:
    """zeep's loader for a WSDL document outside any call."""

    def load(self, url: str) -> bytes:
        return _read_local(url)


@functools.lru_cache(maxsize=32)
def _load_wsdl(path: Path) -> tuple[Document, Any]:
    """A WSDL's zeep document and its schemas (xmlschema), loaded once per process."""
    if not path.is_file():
        raise FileNotFoundError(f"WSDL not found: {path}")
    document = Document(str(path), _LoadingTransport(), settings=SETTINGS)
    schema = Wsdl11Document(str(path), allow="local", defuse="always").schema
    return document, schema


def _read_local(url: str) -> bytes:
    parsed = urlparse(url)
    if parsed.scheme not in ("", "file"):
        raise ValueError(f"refusing to fetch {url}: WSDLs and schemas load from local files only")
    return Path(parsed.path if parsed.scheme else url).read_bytes()


def _binding_with(document: Document, operation: str, wsdl: Path):
    for binding in document.bindings.values():
        if operation in binding.all():
            return binding
    raise ValueError(f"{wsdl}: no binding offers operation {operation!r}")


def _body_payload(envelope: etree._Element) -> etree._Element | None:
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        return None
    return next((child for child in body if isinstance(child.tag, str)), None)


def _soap_fault(fault: etree._Element) -> SoapFault:
    detail = fault.find("detail")
    return SoapFault(
        code=(fault.findtext("faultcode") or "").strip(),
        message=(fault.findtext("faultstring") or "").strip(),
        detail=next((child for child in detail if isinstance(child.tag, str)), None) if detail is not None else None,
    )


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {key: _without_empty(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [_without_empty(item) for item in value]
    return value
