"""Rules across messages on start (305) and stop (307) messages against allocations and earlier starts and stops."""
from __future__ import annotations

from lxml import etree

from connectors.istandaarden.rules.history import toewijzing_of
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule
from connectors.istandaarden.rules.register import Register, Start, Stop

EERSTE, GEWIJZIGD, VERWIJDEREN = "1", "2", "3"
_PRODUCTS = {305: "Client/StartProducten/StartProduct", 307: "Client/StopProducten/StopProduct"}


def _records(message: Message) -> list[etree._Element]:
    return message.findall(message.root, _PRODUCTS.get(message.number, "-"))


def start_key(record: Start | Stop) -> tuple:
    """The logical key of a StartProduct, and of the start a StopProduct ends."""
    return record.toewijzingnummer, record.categorie, record.code, record.toewijzing_ingangsdatum, record.begindatum


def stop_key(stop: Stop) -> tuple:
    """A stop is keyed by its start and its Einddatum: a temporary stop may be followed by a definitive one."""
    return start_key(stop) + (stop.einddatum,)


def _element_key(message: Message, element: etree._Element) -> tuple:
    key = (message.text(element, "ToewijzingNummer"), message.text(element, "Product/Categorie"),
           message.text(element, "Product/Code"), message.date(element, "ToewijzingIngangsdatum"),
           message.date(element, "Begindatum"))
    return key + (message.date(element, "Einddatum"),) if message.number == 307 else key


@rule("TR019", uses_register=True)
async def start_or_stop_has_toewijzing(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    bsn = message.text(message.root, "Client/Bsn")
    violations = []
    for element in _records(message):
        nummer = message.text(element, "ToewijzingNummer")
        if nummer and await toewijzing_of(message, register, bsn, nummer) is None:
            violations.append(Violation(element, f"no ToegewezenProduct {nummer} for this client and provider",
                                        message.find(element, "ToewijzingNummer")))
    return violations


@rule("TR074", uses_register=True)
async def first_delivery_is_new(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    bsn = message.text(message.root, "Client/Bsn") or ""
    query = register.starts if message.number == 305 else register.stops
    earlier = await query(message.standard, message.gemeente or "", message.aanbieder or "", bsn)
    key_of = start_key if message.number == 305 else stop_key
    latest = {key_of(record): record.status_aanlevering for record in earlier}
    violations = []
    for element in _records(message):
        status = latest.get(_element_key(message, element))
        if message.text(element, "StatusAanlevering") == EERSTE and status not in (None, VERWIJDEREN):
            violations.append(Violation(element, "a delivery with this key was received before",
                                        message.find(element, "StatusAanlevering")))
    return violations
