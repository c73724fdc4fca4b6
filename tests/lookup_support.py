"""Helpers for the lookup connector tests: endpoints towards the fake partner, SOAP envelopes, reference answers."""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from connectors.common.endpoint import PartnerEndpoint

REPO_DIR = Path(__file__).resolve().parents[1]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
# BSNs that pass the 11-proof (test numbers from the BRP test set)
BSN = "999992314"
OTHER_BSN = "149221897"


def endpoint(pki, server, path: str, *, timeout: float = 5.0, client=None, ca=None, wsdl=None) -> PartnerEndpoint:
    """An endpoint on the fake partner with the gateway's client certificate, trusting the dev CA."""
    client = client or pki.gateway_client
    return PartnerEndpoint(url=server.url_for(path), cert=client.cert, key=client.key, ca=ca or pki.ca_cert,
                           timeout=timeout, wsdl=wsdl)


def envelope(body: str) -> bytes:
    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Header/><soapenv:Body>{body}'
            "</soapenv:Body></soapenv:Envelope>").encode()


def soap_fault(code: str, message: str, detail: str = "") -> bytes:
    detail_xml = f"<detail>{detail}</detail>" if detail else ""
    return envelope(f"<soapenv:Fault><faultcode>{code}</faultcode><faultstring>{message}</faultstring>"
                    f"{detail_xml}</soapenv:Fault>")


def render_stuf_bg_example(reference_dir: Path, name: str, **values: str) -> bytes:
    """A StUF-BG example answer from the reference with its `{{ placeholder }}`s filled in."""
    defaults = {"tijdstip_bericht": "20240101120000000", "referentienummer": "ref-1"}
    text = (reference_dir / "stuf-bg" / "examples" / name).read_text(encoding="utf-8")
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m[1]) or defaults.get(m[1], "Ketenpoort"), text).encode()


class SlowAnswer:
    """A request handler that answers only when released, so a test can time out first and then clean up.

    `finish()` releases the handler and waits until the server has logged the request, so the late answer cannot
    show up in the next test's request log.
    """

    def __init__(self, server, response) -> None:
        self._server = server
        self._response = response
        self._released = threading.Event()

    def __call__(self, request):
        self._released.wait(10)
        return self._response

    def finish(self) -> None:
        count = len(self._server.log)
        self._released.set()
        deadline = time.monotonic() + 10
        while len(self._server.log) == count and time.monotonic() < deadline:
            time.sleep(0.01)
