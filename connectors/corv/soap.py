"""SOAP 1.1 envelopes around StUF messages: reading a request safely, writing an answer or a fault.

StUF puts a Fo03 (Fo02, Fo01) in the `detail` of a SOAP Fault; SOAP 1.1 answers a fault with HTTP 500.
"""
from __future__ import annotations

import copy

from lxml import etree

from connectors.common.safe_xml import UnsafeXml, parse_xml

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
CONTENT_TYPE = "text/xml; charset=utf-8"
_E = f"{{{SOAP_ENV}}}"


class SoapError(ValueError):
    """The request is not a usable SOAP 1.1 envelope; `reason` and `line` say what and where."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line else reason)


def body_payload(data: bytes, *, max_bytes: int | None = None) -> etree._Element:
    """The one element inside the SOAP Body of `data` (the StUF message), parsed with the safe parser."""
    try:
        envelope = parse_xml(data, **({"max_bytes": max_bytes} if max_bytes else {}))
    except UnsafeXml as error:
        raise SoapError(error.reason, error.line) from None
    if envelope.tag == f"{{{SOAP12_ENV}}}Envelope":
        raise SoapError("SOAP 1.2 envelope received; this service speaks SOAP 1.1", envelope.sourceline)
    if envelope.tag != _E + "Envelope":
        raise SoapError(f"expected a SOAP 1.1 Envelope, found {envelope.tag}", envelope.sourceline)
    body = envelope.find(_E + "Body")
    if body is None:
        raise SoapError("the SOAP Envelope has no Body", envelope.sourceline)
    payload = list(body.iterchildren(etree.Element))
    if len(payload) != 1:
        raise SoapError(f"the SOAP Body must hold exactly one message, found {len(payload)}", body.sourceline)
    return payload[0]


def fault_detail(fault: etree._Element) -> etree._Element | None:
    """The first element in the detail of a SOAP 1.1 Fault (a StUF Fo-bericht), or None."""
    detail = fault.find("detail")
    if detail is None:
        return None
    return next(detail.iterchildren(etree.Element), None)


def envelope(payload: etree._Element) -> bytes:
    """A SOAP 1.1 envelope holding (a copy of) `payload` in its Body."""
    root = etree.Element(_E + "Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(root, _E + "Body").append(copy.deepcopy(payload))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def fault_envelope(faultcode: str, faultstring: str, detail: etree._Element) -> bytes:
    """A SOAP 1.1 Fault; `faultcode` is "Client" or "Server" (the sender's message, or we, are at fault)."""
    root = etree.Element(_E + "Envelope", nsmap={"soap": SOAP_ENV})
    fault = etree.SubElement(etree.SubElement(root, _E + "Body"), _E + "Fault")
    etree.SubElement(fault, "faultcode").text = f"soap:{faultcode}"
    etree.SubElement(fault, "faultstring").text = faultstring
    etree.SubElement(fault, "detail").append(detail)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
