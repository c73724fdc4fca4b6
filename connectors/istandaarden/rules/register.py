"""The register the rules across messages read: what earlier accepted messages said, as plain records.

Each record type maps 1:1 to a table (fields are str, int, date or None). `standard` is the wettelijk domein
("iwmo" or "ijw"), `tenant` the gemeentecode, `agb` the provider's AGB code, `identificatie` the
BerichtIdentificatie of the message the record came from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class Bericht:
    """Every accepted message (TR056: Identificatie unique per message type and sender)."""

    standard: str
    message: str  # WMO301, JW323, ...
    afzender: str
    identificatie: str
    dagtekening: date | None


@dataclass(frozen=True)
class Toewijzing:
    """A ToegewezenProduct of a 301. A later 301 with the same (standard, tenant, toewijzingnummer) replaces it."""

    standard: str
    tenant: str
    agb: str
    bsn: str
    toewijzingnummer: str
    referentie_aanbieder: str | None
    categorie: str | None
    code: str | None
    toewijzingsdatum: date | None
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None
    identificatie: str


@dataclass(frozen=True)
class Start:
    """A StartProduct of a 305 (kept in the order received; StatusAanlevering 2 and 3 are later records)."""

    standard: str
    tenant: str
    agb: str
    bsn: str
    toewijzingnummer: str | None
    categorie: str | None
    code: str | None
    toewijzing_ingangsdatum: date | None
    begindatum: date
    status_aanlevering: str
    identificatie: str


@dataclass(frozen=True)
class Stop:
    """A StopProduct of a 307 (kept in the order received)."""

    standard: str
    tenant: str
    agb: str
    bsn: str
    toewijzingnummer: str | None
    categorie: str | None
    code: str | None
    toewijzing_ingangsdatum: date | None
    begindatum: date
    reden_beeindiging: str
    einddatum: date
    status_aanlevering: str
    identificatie: str


@dataclass(frozen=True)
class Verzoek:
    """A request: one AangevraagdProduct of a 315, or the Verzoek of a 317."""

    standard: str
    tenant: str
    agb: str
    bsn: str
    message: str  # WMO315 / WMO317 / JW315 / JW317
    referentie_aanbieder: str
    dagtekening: date | None
    identificatie: str


@dataclass(frozen=True)
class Antwoord:
    """The Antwoord of a 319."""

    standard: str
    tenant: str
    agb: str
    referentie_aanbieder: str
    verzoek_antwoord: str
    reden_afwijzing: str | None
    identificatie: str


@dataclass(frozen=True)
class Declaratie:
    """The Declaratie of a 323."""

    standard: str
    tenant: str
    agb: str
    declaratienummer: str
    begindatum: date
    einddatum: date
    dagtekening: date | None
    identificatie: str


@dataclass(frozen=True)
class Prestatie:
    """A Prestatie of a 323; `bedrag` in eurocents, `debet_credit` "D" or "C"."""

    standard: str
    tenant: str
    agb: str
    bsn: str
    declaratienummer: str
    referentienummer: str
    vorig_referentienummer: str | None
    toewijzingnummer: str
    categorie: str
    code: str
    begindatum: date
    einddatum: date
    volume: int
    eenheid: str
    tarief: int | None
    bedrag: int
    debet_credit: str
    identificatie: str

    @property
    def signed_volume(self) -> int:
        return -self.volume if self.debet_credit == "C" else self.volume

    @property
    def signed_bedrag(self) -> int:
        return -self.bedrag if self.debet_credit == "C" else self.bedrag


@dataclass(frozen=True)
class Afwijzing:
    """A 325 rejected a Prestatie (`referentienummer`) or, when that is None, the whole Declaratie."""

    standard: str
    tenant: str
    agb: str
    declaratienummer: str
    referentienummer: str | None
    identificatie: str


Record = Bericht | Toewijzing | Start | Stop | Verzoek | Antwoord | Declaratie | Prestatie | Afwijzing


class Register(Protocol):
    """The queries of the rules across messages. Lists come in the order the records were added."""

    async def add(self, records: list[Record]) -> None:
        """Store the records of one accepted message (a Toewijzing replaces the one with its number)."""

    async def message_seen(self, standard: str, message: str, afzender: str, identificatie: str) -> bool:
        """Whether a message of this type with this Identificatie came from this sender before."""

    async def toewijzingen(self, standard: str, tenant: str, *, agb: str | None = None, bsn: str | None = None,
                           toewijzingnummer: str | None = None,
                           referentie_aanbieder: str | None = None) -> list[Toewijzing]:
        """The current Toewijzingen of the tenant, filtered by whatever is given."""

    async def starts(self, standard: str, tenant: str, agb: str, bsn: str) -> list[Start]:
        ...

    async def stops(self, standard: str, tenant: str, agb: str, bsn: str) -> list[Stop]:
        ...

    async def verzoeken(self, standard: str, agb: str, *, tenant: str | None = None, bsn: str | None = None,
                        referentie_aanbieder: str | None = None) -> list[Verzoek]:
        ...

    async def antwoorden(self, standard: str, tenant: str, agb: str, referentie_aanbieder: str) -> list[Antwoord]:
        ...

    async def declaraties(self, standard: str, agb: str, declaratienummer: str) -> list[Declaratie]:
        """Declaraties of the provider in the domain with this number, of any tenant."""

    async def prestaties(self, standard: str, agb: str, *, tenant: str | None = None,
                         toewijzingnummer: str | None = None, referentienummer: str | None = None,
                         vorig_referentienummer: str | None = None) -> list[Prestatie]:
        """The provider's Prestaties in the domain, leaving out those a 325 rejected (see Afwijzing)."""
