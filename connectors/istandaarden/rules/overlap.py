"""A product may occur more than once in a message only when its periods do not overlap (TR302, TR386, TR410)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from lxml import etree

from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule

# iWmo only: hulpmiddelen and woonvoorzieningen (categories 11-14) may overlap, also at category level.
_WMO_STACKABLE = {"11", "12", "13", "14"}
# A toewijzing ended on its start date with RedenWijziging 01 or 13 is withdrawn: it does not count (TR302).
_WITHDRAWN = {"01", "13"}
NIEUW = "Client/Verzoek/NieuweProducten/NieuwProduct"


@dataclass(frozen=True)
class Period:
    record: etree._Element
    categorie: str | None
    code: str | None
    begin: date
    end: date | None

    def overlaps(self, other: Period) -> bool:
        return (self.end is None or other.begin <= self.end) and (other.end is None or self.begin <= other.end)


def same_product(a: Period, b: Period, standard: str) -> bool:
    """Whether two requested or allocated products may not overlap in time."""
    if standard == "iwmo" and (a.categorie in _WMO_STACKABLE or b.categorie in _WMO_STACKABLE):
        return False
    if a.categorie is None or b.categorie is None:
        return True
    if a.code is None or b.code is None:
        return a.categorie == b.categorie
    return (a.categorie, a.code) == (b.categorie, b.code)


def periods_of(message: Message, path: str, begin: str, end: str) -> list[Period]:
    periods = []
    for record in message.findall(message.root, path):
        start = message.date(record, begin)
        if start is not None:
            product = message.text(record, "Product/Categorie"), message.text(record, "Product/Code")
            periods.append(Period(record, *product, start, message.date(record, end)))
    return periods


def overlapping(message: Message, periods: list[Period]) -> Iterator[Violation]:
    for index, later in enumerate(periods):
        for earlier in periods[:index]:
            if later.overlaps(earlier) and same_product(earlier, later, message.standard):
                yield Violation(later.record, f"the product overlaps in time with {message.path_of(earlier.record)}")
                break


@rule("TR302")
def toegewezen_products_do_not_overlap(message: Message, context: RuleContext) -> Iterator[Violation]:
    periods = [
        p for p in periods_of(message, "Client/ToegewezenProducten/ToegewezenProduct", "Ingangsdatum", "Einddatum")
        if not (p.end == p.begin and message.text(p.record, "RedenWijziging") in _WITHDRAWN)
    ]
    yield from overlapping(message, periods)


@rule("TR386")
def aangevraagde_products_do_not_overlap(message: Message, context: RuleContext) -> Iterator[Violation]:
    yield from overlapping(message, periods_of(message, "Client/AangevraagdeProducten/AangevraagdProduct",
                                             "ToewijzingIngangsdatum", "ToewijzingEinddatum"))


@rule("TR410")
def nieuwe_products_do_not_overlap(message: Message, context: RuleContext) -> Iterator[Violation]:
    yield from overlapping(message, periods_of(message, NIEUW, "GewensteIngangsdatum", "Einddatum"))
