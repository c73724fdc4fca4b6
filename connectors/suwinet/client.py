"""Ask one Suwinet-Inkijk service about one person.

SuwiML answers a question in one of three ways: the data (ClientSuwi, possibly with an FWI of warnings),
an FWI (Fout/Waarschuwing/Informatie) alone, or NietsGevonden. Errors can also come as a SOAP fault whose
detail is an FWI Fout. These map to the connector errors: NietsGevonden → NotFound, Fout → PartnerFault.
"""
from __future__ import annotations

from typing import Any

from lxml import etree

from connectors.common.bsn import check_bsn
from connectors.common.endpoint import PartnerEndpoint
from connectors.common.errors import NotFound, PartnerFault
from connectors.common.lookup import check_purpose
from connectors.common.soap import SoapFault, SoapOperation
from connectors.suwinet.services import SERVICES, SuwinetService

FWI_NS = "http://bkwi.nl/SuwiML/FWI/v0205"


class SuwinetClient:
    """A `PersonLookup` for one Suwinet-Inkijk service; `endpoint.wsdl` overrides our WSDL (e.g. BKWI's own)."""

    def __init__(self, service: SuwinetService | str, endpoint: PartnerEndpoint) -> None:
        self.service = SERVICES[service] if isinstance(service, str) else service
        self._soap = SoapOperation(
            self.service.name,
            endpoint.wsdl or self.service.default_wsdl,
            self.service.operation,
            endpoint,
            self._fault_error,
        )

    async def lookup(self, bsn: str, purpose: str, *, caller: str | None = None) -> dict[str, Any]:
        """The service's answer about `bsn` as a dict (element names as in SuwiML).

        `purpose` and `caller` are not sent: Suwinet identifies the asking organisation by its certificate;
        the gateway records both in its own audit trail.
        """
        check_bsn(bsn)
        check_purpose(purpose)
        reply = await self._soap.call(Burgerservicenr=bsn)
        if reply.payload.find(f"{{{FWI_NS}}}NietsGevonden") is not None:
            raise NotFound(self.service.name, "NietsGevonden")
        fwi = reply.payload.find(f"{{{FWI_NS}}}FWI")
        error = fwi.find("Fout") if fwi is not None else None
        if error is not None:
            raise self._melding_error(error)
        return reply.as_dict()

    async def close(self) -> None:
        await self._soap.close()

    def _fault_error(self, fault: SoapFault) -> PartnerFault:
        if fault.detail is not None and fault.detail.tag == f"{{{FWI_NS}}}Fout":
            return self._melding_error(fault.detail)
        return PartnerFault(self.service.name, fault.code or "soap:Fault", fault.message)

    def _melding_error(self, melding: etree._Element) -> PartnerFault:
        code = (melding.findtext("Code") or "").strip()
        details = "; ".join(text.strip() for text in melding.xpath("Detail/text()"))
        text = (melding.findtext("Tekst") or "").strip()
        return PartnerFault(self.service.name, code, f"{text} ({details})" if details else text)
