"""The register records an accepted message adds (see register.py)."""
from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from connectors.istandaarden.rules.declaratie import prestaties
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import Finding
from connectors.istandaarden.rules.register import (
    Afwijzing, Antwoord, Bericht, Declaratie, Prestatie, Record, Start, Stop, Toewijzing, Verzoek,
)

_NOT_REJECTED = {"0200", "8001"}


def records_from_message(document: etree._Element | Message, findings: Iterable[Finding] = ()) -> list[Record]:
    """The records of a message the gateway accepted, leaving out the berichtklassen a finding rejected.

    A finding with retourcode 0001 rejects the message: nothing is recorded. Records whose element is at or below a
    finding's path are left out (a rejected Client leaves out its products).
    """
    message = document if isinstance(document, Message) else Message(document)
    findings = list(findings)
    if any(f.retourcode == "0001" for f in findings):
        return []
    rejected = {f.path for f in findings}
    extractor = _EXTRACTORS.get(message.number)
    records: list[Record] = [Bericht(message.standard, message.code, message.sender or "", message.identificatie or "",
                                     message.dagtekening)]
    if extractor:
        records += [record for element, record in extractor(message) if not _is_rejected(message, element, rejected)]
    return records


def _is_rejected(message: Message, element: etree._Element, rejected: set[str]) -> bool:
    path = message.path_of(element)
    return any(path == r or path.startswith(r + "/") for r in rejected)


def _common(message: Message) -> tuple[str, str, str]:
    return message.standard, message.gemeente or "", message.aanbieder or ""


def _product(message: Message, record: etree._Element) -> tuple:
    return message.text(record, "Product/Categorie"), message.text(record, "Product/Code")


def _toewijzingen(message: Message):
    bsn = message.text(message.root, "Client/Bsn") or ""
    for product in message.findall(message.root, "Client/ToegewezenProducten/ToegewezenProduct"):
        yield product, Toewijzing(
            *_common(message), bsn, message.text(product, "ToewijzingNummer") or "",
            message.text(product, "ReferentieAanbieder"), *_product(message, product),
            message.date(product, "Toewijzingsdatum"), message.date(product, "Ingangsdatum"),
            message.date(product, "Einddatum"), message.text(product, "RedenWijziging"),
            message.int(product, "Omvang/Volume"), message.text(product, "Omvang/Eenheid"),
            message.text(product, "Omvang/Frequentie"), message.int(product, "Budget"), message.identificatie or "")


def _starts(message: Message):
    bsn = message.text(message.root, "Client/Bsn") or ""
    for product in message.findall(message.root, "Client/StartProducten/StartProduct"):
        yield product, Start(
            *_common(message), bsn, message.text(product, "ToewijzingNummer"), *_product(message, product),
            message.date(product, "ToewijzingIngangsdatum"), message.date(product, "Begindatum"),
            message.text(product, "StatusAanlevering") or "", message.identificatie or "")


def _stops(message: Message):
    bsn = message.text(message.root, "Client/Bsn") or ""
    for product in message.findall(message.root, "Client/StopProducten/StopProduct"):
        yield product, Stop(
            *_common(message), bsn, message.text(product, "ToewijzingNummer"), *_product(message, product),
            message.date(product, "ToewijzingIngangsdatum"), message.date(product, "Begindatum"),
            message.text(product, "RedenBeeindiging") or "", message.date(product, "Einddatum"),
            message.text(product, "StatusAanlevering") or "", message.identificatie or "")


def _verzoeken(message: Message):
    bsn = message.text(message.root, "Client/Bsn") or ""
    records = message.findall(message.root, "Client/AangevraagdeProducten/AangevraagdProduct")
    records += message.findall(message.root, "Client/Verzoek")
    for record in records:
        yield record, Verzoek(*_common(message), bsn, message.code, message.text(record, "ReferentieAanbieder") or "",
                              message.dagtekening, message.identificatie or "")


def _antwoorden(message: Message):
    for antwoord in message.findall(message.root, "Antwoord"):
        yield antwoord, Antwoord(
            *_common(message), message.text(antwoord, "ReferentieAanbieder") or "",
            message.text(antwoord, "VerzoekAntwoord") or "", message.text(antwoord, "RedenAfwijzingVerzoek"),
            message.identificatie or "")


def _declaratie(message: Message):
    declaratie = message.find(message.root, "Declaratie")
    nummer = message.text(declaratie, "DeclaratieNummer") or ""
    yield declaratie, Declaratie(
        *_common(message), nummer, message.date(declaratie, "DeclaratiePeriode/Begindatum"),
        message.date(declaratie, "DeclaratiePeriode/Einddatum"), message.date(declaratie, "DeclaratieDagtekening"),
        message.identificatie or "")
    for prestatie in prestaties(message):
        yield prestatie, prestatie_record(message, prestatie, nummer)


def prestatie_record(message: Message, prestatie: etree._Element, declaratienummer: str) -> Prestatie:
    """The register record of a Prestatie element of a 323 (also used to compare with earlier ones)."""
    return Prestatie(
        *_common(message), message.text(prestatie, "../../Bsn") or "", declaratienummer,
        message.text(prestatie, "ProductReferentie/ReferentieNummer") or "",
        message.text(prestatie, "ProductReferentie/VorigReferentieNummer"),
        message.text(prestatie, "ToewijzingNummer") or "", message.text(prestatie, "ProductCategorie") or "",
        message.text(prestatie, "ProductCode") or "", message.date(prestatie, "ProductPeriode/Begindatum"),
        message.date(prestatie, "ProductPeriode/Einddatum"), message.int(prestatie, "GeleverdVolume") or 0,
        message.text(prestatie, "Eenheid") or "", message.int(prestatie, "ProductTarief"),
        message.int(prestatie, "IngediendBedrag/Bedrag") or 0, message.text(prestatie, "IngediendBedrag/DebetCredit")
        or "D", message.identificatie or "")


def _afwijzingen(message: Message):
    antwoord = message.find(message.root, "DeclaratieAntwoord")
    if antwoord is None:
        return
    nummer = message.text(antwoord, "DeclaratieNummer") or ""
    codes = {(c.text or "").strip() for c in message.findall(antwoord, "RetourCodes/RetourCode")}
    if codes - _NOT_REJECTED:
        yield antwoord, Afwijzing(*_common(message), nummer, None, message.identificatie or "")
        return
    for prestatie in prestaties(message):
        yield prestatie, Afwijzing(*_common(message), nummer,
                                   message.text(prestatie, "ProductReferentie/ReferentieNummer"),
                                   message.identificatie or "")


_EXTRACTORS = {
    301: _toewijzingen, 305: _starts, 307: _stops, 315: _verzoeken, 317: _verzoeken, 319: _antwoorden,
    323: _declaratie, 325: _afwijzingen,
}
