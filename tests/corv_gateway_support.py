"""A gateway with `[corv]` configured, and CORV's side of the conversation: SOAP requests with CORV's certificate,
the Bv03/Fo03 it answers, messages addressed to the test tenants."""
from __future__ import annotations

import copy
import dataclasses
import socket
from pathlib import Path

import aiohttp
from lxml import etree

import corv_messages as m
from connectors.corv import soap
from connectors.corv.stuf import StufFout, build_bv03, build_fo03, read_stuurgegevens
from gateway.config import Config
from gateway.tls import client_ssl_context

SERVICE_PATH = "/corv/ontvangAsynchroon"
VTO = m.Vto([m.Kind(bsn="999990019", geboortedatum="20150601")], [m.Gezagsdrager("Smit", bsn="999990135")])


def corv_config(config: Config, dev_pki, endpoint: str | None = None) -> Config:
    """`config` with CORV known by the OIN of `dev_pki.corv`, applicatie "JZA-Kop" standing for Texel, and with
    `endpoint` our messages going there over mutual TLS (the gateway's dev client certificate)."""
    section = {"certificate": {"serial_number": dev_pki.corv.serial_number}, "applicaties": {"JZA-Kop": "0448"}}
    if endpoint:
        section |= {"endpoint": endpoint, "client_cert": str(dev_pki.gateway_client.cert),
                    "client_key": str(dev_pki.gateway_client.key), "ca_files": [str(dev_pki.ca_cert)]}
    return dataclasses.replace(config, sections={**config.sections, "corv": section})


def with_public_port(config: Config) -> Config:
    """`config` on a fixed free port with the matching public_base_url (the WSDL's address must be reachable)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = dataclasses.replace(config.gateway, port=port, public_base_url=f"https://localhost:{port}")
    return dataclasses.replace(config, gateway=gateway)


def to_texel(message: etree._Element) -> etree._Element:
    """A copy of a message Texel sends (vtoDi01, zorgmeldingTerugkoppelingDi01) as if sent to Texel."""
    message = copy.deepcopy(message)
    header = message.find("{*}stuurgegevens")
    zender, ontvanger = header.find("{*}zender"), header.find("{*}ontvanger")
    zender.tag, ontvanger.tag = ontvanger.tag, zender.tag
    header.remove(ontvanger)
    header.insert(1, ontvanger)
    return message


async def post_as_corv(base_url: str, ca_cert: Path, data: bytes, files=None) -> tuple[int, etree._Element]:
    """POST a SOAP request to the gateway with `files` (a client certificate; default none): (status, the Body's
    element — the Bv03, or the Fo03 of a fault — or for a non-SOAP answer its text)."""
    context = client_ssl_context(ca_cert, files.cert if files else None, files.key if files else None)
    async with aiohttp.ClientSession() as session:
        async with session.post(base_url + SERVICE_PATH, data=data, ssl=context,
                                headers={"Content-Type": soap.CONTENT_TYPE}) as response:
            body = await response.read()
    if not body.startswith(b"<?xml"):
        return response.status, body.decode()
    payload = soap.body_payload(body)
    if payload.tag == f"{{{soap.SOAP_ENV}}}Fault":
        payload = soap.fault_detail(payload)
    return response.status, payload


def fout_code(fo03: etree._Element) -> str:
    assert etree.QName(fo03).localname == "Fo03Bericht", etree.tostring(fo03)
    return fo03.findtext("{*}body/{*}code")


def same_xml(text: str, element: etree._Element) -> bool:
    """Whether `text` is the XML of `element`; namespace declarations that nothing uses do not count."""
    def canonical(tree: etree._Element) -> bytes:
        return etree.tostring(tree, method="c14n", exclusive=True)
    return canonical(etree.fromstring(text.encode())) == canonical(element)


def answer_bv03(request_body: bytes) -> bytes:
    """What CORV answers to a message it takes."""
    return soap.envelope(build_bv03(read_stuurgegevens(soap.body_payload(request_body))))


def answer_fo03(request_body: bytes, code: str, details: str = "") -> bytes:
    """What CORV answers to a message it refuses (send with HTTP 500)."""
    fout = StufFout(code, details)
    fo03 = build_fo03(fout, read_stuurgegevens(soap.body_payload(request_body)))
    return soap.fault_envelope("Client" if fout.plek == "client" else "Server", fout.omschrijving, fo03)
