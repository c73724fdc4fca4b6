"""A Register kept in memory: for tests, the CLI and a single process without a store."""
from __future__ import annotations

from connectors.istandaarden.rules.register import (
    Afwijzing, Antwoord, Bericht, Declaratie, Prestatie, Record, Start, Stop, Toewijzing, Verzoek,
)


def _matches(record, **wanted) -> bool:
    return all(value is None or getattr(record, name) == value for name, value in wanted.items())


class InMemoryRegister:
    """Implements the Register protocol with lists."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    async def add(self, records: list[Record]) -> None:
        for record in records:
            if isinstance(record, Toewijzing):
                self.records = [r for r in self.records if not (isinstance(r, Toewijzing) and _matches(
                    r, standard=record.standard, tenant=record.tenant, toewijzingnummer=record.toewijzingnummer))]
            self.records.append(record)

    def _of(self, kind: type, **wanted) -> list:
        return [r for r in self.records if isinstance(r, kind) and _matches(r, **wanted)]

    async def message_seen(self, standard: str, message: str, afzender: str, identificatie: str) -> bool:
        return bool(self._of(Bericht, standard=standard, message=message, afzender=afzender,
                             identificatie=identificatie))

    async def toewijzingen(self, standard, tenant, *, agb=None, bsn=None, toewijzingnummer=None,
                           referentie_aanbieder=None) -> list[Toewijzing]:
        return self._of(Toewijzing, standard=standard, tenant=tenant, agb=agb, bsn=bsn,
                        toewijzingnummer=toewijzingnummer, referentie_aanbieder=referentie_aanbieder)

    async def starts(self, standard, tenant, agb, bsn) -> list[Start]:
        return self._of(Start, standard=standard, tenant=tenant, agb=agb, bsn=bsn)

    async def stops(self, standard, tenant, agb, bsn) -> list[Stop]:
        return self._of(Stop, standard=standard, tenant=tenant, agb=agb, bsn=bsn)

    async def verzoeken(self, standard, agb, *, tenant=None, bsn=None, referentie_aanbieder=None) -> list[Verzoek]:
        return self._of(Verzoek, standard=standard, agb=agb, tenant=tenant, bsn=bsn,
                        referentie_aanbieder=referentie_aanbieder)

    async def antwoorden(self, standard, tenant, agb, referentie_aanbieder) -> list[Antwoord]:
        return self._of(Antwoord, standard=standard, tenant=tenant, agb=agb, referentie_aanbieder=referentie_aanbieder)

    async def declaraties(self, standard, agb, declaratienummer) -> list[Declaratie]:
        return self._of(Declaratie, standard=standard, agb=agb, declaratienummer=declaratienummer)

    async def prestaties(self, standard, agb, *, tenant=None, toewijzingnummer=None, referentienummer=None,
                         vorig_referentienummer=None) -> list[Prestatie]:
        rejections = self._of(Afwijzing, standard=standard, agb=agb)
        whole = {(a.tenant, a.declaratienummer) for a in rejections if a.referentienummer is None}
        single = {a.referentienummer for a in rejections if a.referentienummer is not None}
        return [
            p for p in self._of(Prestatie, standard=standard, agb=agb, tenant=tenant,
                                toewijzingnummer=toewijzingnummer, referentienummer=referentienummer,
                                vorig_referentienummer=vorig_referentienummer)
            if (p.tenant, p.declaratienummer) not in whole and p.referentienummer not in single
        ]
