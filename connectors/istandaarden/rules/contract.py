"""Rules that need a list from outside the message: CBS gemeentecodes and the tenant's products and tariffs."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from connectors.istandaarden.rules.declaratie import prestaties
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Tarief, Violation, rule

EURO = "83"
MINUUT = "01"
UUR = "04"
# Records that carry a Product (Categorie, Code), and where a Prestatie keeps them.
_PRODUCT_RECORDS = ".//Product/.."
_PRESTATIE_PRODUCT = ("ProductCategorie", "ProductCode")


@rule("TR378")
def gemeentecode_exists(message: Message, context: RuleContext) -> Iterator[Violation]:
    element = message.find(message.header, "Afzender" if message.sent_by_gemeente else "Ontvanger")
    code = (element.text or "").strip() if element is not None else None
    if code is not None and code not in context.gemeentecodes:
        yield Violation(message.header, f"gemeentecode {code} is not in the CBS gemeentelijke indeling", element)


def _products(message: Message) -> Iterator[tuple]:
    for record in message.findall(message.root, _PRODUCT_RECORDS):
        yield record, message.text(record, "Product/Categorie"), message.text(record, "Product/Code")
    for prestatie in prestaties(message):
        yield prestatie, *(message.text(prestatie, part) for part in _PRESTATIE_PRODUCT)


@rule("TR381")
def productcode_fits_categorie(message: Message, context: RuleContext) -> Iterator[Violation]:
    if context.products is None:
        return
    for record, categorie, code in _products(message):
        if code is not None and code not in context.products.get(categorie or "", ()):
            yield Violation(record, f"ProductCode {code} is not in the productcodelijst for ProductCategorie "
                                    f"{categorie}")


def per_minute(tarief: Tarief, volume: int) -> int:
    """The amount for `volume` minutes at an hourly tariff: tariff × volume / 60, rounded to whole cents (IV081)."""
    return int((Decimal(tarief.bedrag) * volume / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@rule("TR346")
def bedrag_is_volume_times_tarief(message: Message, context: RuleContext) -> Iterator[Violation]:
    for prestatie in prestaties(message):
        eenheid = message.text(prestatie, "Eenheid")
        volume = message.int(prestatie, "GeleverdVolume")
        bedrag = message.int(prestatie, "IngediendBedrag/Bedrag")
        if eenheid == EURO or volume is None or bedrag is None:
            continue
        tarief = message.int(prestatie, "ProductTarief")
        contract = (context.tariffs or {}).get(message.text(prestatie, "ProductCode") or "")
        expected = set()
        if tarief is not None:
            expected.add(volume * tarief)
        if contract is not None and contract.eenheid == UUR and eenheid == MINUUT:
            expected.add(per_minute(contract, volume))
        elif contract is not None and tarief is None:
            expected.add(volume * contract.bedrag)
        if expected and bedrag not in expected:
            yield Violation(prestatie, f"IngediendBedrag {bedrag} is not GeleverdVolume {volume} times the "
                                       f"ProductTarief ({' or '.join(str(e) for e in sorted(expected))})",
                            message.find(prestatie, "IngediendBedrag"))


@rule("TR418")
def producttarief_is_contractual(message: Message, context: RuleContext) -> Iterator[Violation]:
    if context.tariffs is None:
        return
    for prestatie in prestaties(message):
        tarief = message.int(prestatie, "ProductTarief")
        contract = context.tariffs.get(message.text(prestatie, "ProductCode") or "")
        if tarief is None or contract is None:
            continue
        accepted = {contract.bedrag}
        if contract.eenheid == UUR and message.text(prestatie, "Eenheid") == MINUUT:
            accepted.add(per_minute(contract, 1))
        if tarief not in accepted:
            yield Violation(prestatie, f"ProductTarief {tarief} differs from the contractual tariff "
                                       f"{contract.bedrag} per {contract.eenheid}",
                            message.find(prestatie, "ProductTarief"))
