"""The Suwinet-Inkijk services Ketenpoort knows: which operation asks about a person, and our WSDL for it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "suwinet"


@dataclass(frozen=True)
class SuwinetService:
    """A SuwiML service: `operation` takes a Burgerservicenr and answers with ClientSuwi, FWI or NietsGevonden."""

    name: str
    version: str
    operation: str

    @property
    def namespace(self) -> str:
        return f"http://bkwi.nl/SuwiML/Diensten/{self.name}/{self.version}"

    @property
    def default_wsdl(self) -> Path:
        return SCHEMAS_DIR / f"{self.name}-{self.version}" / f"{self.name}.wsdl"


SERVICES: dict[str, SuwinetService] = {
    service.name: service
    for service in (
        SuwinetService("BRPDossierPersoonGSD", "v0200", "AanvraagPersoon"),
        SuwinetService("UWVDossierInkomstenGSD", "v0200", "UWVPersoonsIkvInfo"),
        SuwinetService("Bijstandsregelingen", "v0500", "BijstandsregelingenInfo"),
    )
}
