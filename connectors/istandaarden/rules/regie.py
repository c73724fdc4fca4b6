"""Rules across messages on start (305) and stop (307) messages against allocations and earlier starts and stops."""
from __future__ import annotations

from lxml import etree

from connectors.istandaarden.rules.history import toewijzing_of
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule
from connectors.istandaarden.rules.register import Register, Start, Stop

EERSTE, GEWIJZIGD, VERWIJDEREN = "1", "2", "3"
TIJDELIJK = "20"  # RedenBeeindiging: tijdelijke beeindiging
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


def current(records: list, key_of) -> dict[tuple, Start | Stop]:
    """Per key the latest record, leaving out keys whose latest delivery was deleted (StatusAanlevering 3)."""
    latest = {key_of(record): record for record in records}
    return {key: record for key, record in latest.items() if record.status_aanlevering != VERWIJDEREN}


async def _history(message: Message, register: Register) -> tuple[list[Start], list[Stop]]:
    if "regie" not in message.memo:
        args = (message.standard, message.gemeente or "", message.aanbieder or "",
                message.text(message.root, "Client/Bsn") or "")
        message.memo["regie"] = (await register.starts(*args), await register.stops(*args))
    return message.memo["regie"]


def _status(message: Message, element: etree._Element) -> str | None:
    return message.text(element, "StatusAanlevering")


@rule("TR074", uses_register=True)
async def first_delivery_is_new(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    starts, stops = await _history(message, register)
    earlier = current(starts, start_key) if message.number == 305 else current(stops, stop_key)
    return [
        Violation(element, "a delivery with this key was received before", message.find(element, "StatusAanlevering"))
        for element in _records(message)
        if _status(message, element) == EERSTE and _element_key(message, element) in earlier
    ]


@rule("TR063", uses_register=True)
async def removal_of_earlier_delivery(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    starts, stops = await _history(message, register)
    earlier = current(starts, start_key) if message.number == 305 else current(stops, stop_key)
    return [
        Violation(element, "StatusAanlevering 3 removes a delivery that was not received",
                  message.find(element, "StatusAanlevering"))
        for element in _records(message)
        if _status(message, element) == VERWIJDEREN and _element_key(message, element) not in earlier
    ]


@rule("TR071", uses_register=True)
async def no_removal_of_stopped_start(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    _, stops = await _history(message, register)
    stopped = {start_key(stop) for stop in current(stops, stop_key).values()}
    return [
        Violation(element, "the start cannot be removed: a stop was sent for it",
                  message.find(element, "StatusAanlevering"))
        for element in _records(message)
        if _status(message, element) == VERWIJDEREN and _element_key(message, element) in stopped
    ]


@rule("TR326", uses_register=True)
async def no_second_current_start(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    starts, stops = await _history(message, register)
    stopped = {start_key(stop) for stop in current(stops, stop_key).values()}
    running = [key for key in current(starts, start_key) if key not in stopped]
    violations = []
    for element in _records(message):
        key = _element_key(message, element)
        if _status(message, element) == EERSTE and any(k[:4] == key[:4] and k != key for k in running):
            violations.append(Violation(element, "the ToegewezenProduct has a start that was not stopped"))
    return violations


@rule("TR069", uses_register=True)
@rule("TR382", uses_register=True)
async def stop_ends_a_current_start(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    starts, _ = await _history(message, register)
    started = current(starts, start_key)
    return [
        Violation(element, "no current start with the same ToewijzingNummer, product and Begindatum")
        for element in _records(message)
        if _status(message, element) != VERWIJDEREN and _element_key(message, element)[:5] not in started
    ]


def _earlier_stops(message: Message, stops: list[Stop], element: etree._Element) -> list[Stop]:
    """The current stops of the same start as this StopProduct."""
    key = _element_key(message, element)[:5]
    return [stop for stop in current(stops, stop_key).values() if start_key(stop) == key]


def _changing_stops(message: Message) -> list[etree._Element]:
    return [e for e in _records(message) if _status(message, e) in (EERSTE, GEWIJZIGD)]


@rule("TR413", uses_register=True)
async def one_temporary_stop(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    _, stops = await _history(message, register)
    return [
        Violation(element, "the start was stopped temporarily (RedenBeeindiging 20) before",
                  message.find(element, "RedenBeeindiging"))
        for element in _changing_stops(message)
        if message.text(element, "RedenBeeindiging") == TIJDELIJK
        and any(stop.reden_beeindiging == TIJDELIJK for stop in _earlier_stops(message, stops, element))
    ]


@rule("TR414", uses_register=True)
async def einddatum_not_before_earlier_stop(message: Message, context: RuleContext,
                                            register: Register) -> list[Violation]:
    _, stops = await _history(message, register)
    violations = []
    for element in _records(message):
        end = message.date(element, "Einddatum")
        earlier = [stop.einddatum for stop in _earlier_stops(message, stops, element)]
        if end and earlier and end < max(earlier):
            violations.append(Violation(element, f"Einddatum {end} lies before the Einddatum {max(earlier)} of the "
                                                 "current stop", message.find(element, "Einddatum")))
    return violations


@rule("TR415", uses_register=True)
async def no_stop_after_definitive_stop(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    _, stops = await _history(message, register)
    return [
        Violation(element, "the start was stopped definitively before")
        for element in _changing_stops(message)
        if any(stop.reden_beeindiging != TIJDELIJK for stop in _earlier_stops(message, stops, element))
    ]
