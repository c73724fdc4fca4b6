"""Rules across messages on a Prestatie (323) and the ToegewezenProduct (301) it declares."""
from __future__ import annotations

import calendar
from datetime import date

from connectors.istandaarden.rules.declaratie import prestaties
from connectors.istandaarden.rules.history import MessagePrestatie, message_prestaties, unit_factor
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule
from connectors.istandaarden.rules.register import Register

VERWIJDERD = "13"


async def _allocated(message: Message, register: Register) -> list[MessagePrestatie]:
    return [p for p in await message_prestaties(message, register) if p.toewijzing is not None]


def _violation(prestatie: MessagePrestatie, detail: str, message: Message, at: str | None = None) -> Violation:
    return Violation(prestatie.element, detail, message.find(prestatie.element, at) if at else None)


@rule("TR338", uses_register=True)
async def prestatie_has_toewijzing(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return [
        _violation(p, f"no ToegewezenProduct {p.record.toewijzingnummer} for this client and provider", message,
                   "ToewijzingNummer")
        for p in await message_prestaties(message, register) if p.toewijzing is None
    ]


async def _as_allocated(message: Message, register: Register, field: str, element: str) -> list[Violation]:
    """A Prestatie's `field` must equal the ToegewezenProduct's where that has one."""
    return [
        _violation(p, f"{element} {getattr(p.record, field)} differs from the allocated "
                      f"{getattr(p.toewijzing, field)}", message, element)
        for p in await _allocated(message, register)
        if getattr(p.toewijzing, field) is not None and getattr(p.record, field) != getattr(p.toewijzing, field)
    ]


@rule("TR339", uses_register=True)
async def productcategorie_as_allocated(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return await _as_allocated(message, register, "categorie", "ProductCategorie")


@rule("TR340", uses_register=True)
async def productcode_as_allocated(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return await _as_allocated(message, register, "code", "ProductCode")


@rule("TR341", uses_register=True)
async def eenheid_fits_allocation(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return [
        _violation(p, f"Eenheid {p.record.eenheid} does not fit the allocated Eenheid {p.toewijzing.eenheid}",
                   message, "Eenheid")
        for p in await _allocated(message, register)
        if p.toewijzing.eenheid is not None and unit_factor(p.toewijzing.eenheid, p.record.eenheid) is None
    ]


@rule("TR384", uses_register=True)
async def no_declaration_on_removed_toewijzing(message: Message, context: RuleContext,
                                               register: Register) -> list[Violation]:
    return [
        _violation(p, "the ToegewezenProduct was removed (RedenWijziging 13)", message, "ToewijzingNummer")
        for p in await _allocated(message, register) if p.toewijzing.reden_wijziging == VERWIJDERD
    ]


@rule("TR307", uses_register=True)
async def begindatum_not_before_ingangsdatum(message: Message, context: RuleContext,
                                            register: Register) -> list[Violation]:
    return [
        _violation(p, f"ProductPeriode begins {p.record.begindatum}, before the Ingangsdatum "
                      f"{p.toewijzing.ingangsdatum} of the ToegewezenProduct", message, "ProductPeriode/Begindatum")
        for p in await _allocated(message, register)
        if p.record.begindatum and p.record.begindatum < p.toewijzing.ingangsdatum
    ]


@rule("TR308", uses_register=True)
async def einddatum_not_after_toewijzing(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return [
        _violation(p, f"ProductPeriode ends {p.record.einddatum}, after the Einddatum {p.toewijzing.einddatum} of "
                      "the ToegewezenProduct", message, "ProductPeriode/Einddatum")
        for p in await _allocated(message, register)
        if p.toewijzing.einddatum and p.record.einddatum and p.record.einddatum > p.toewijzing.einddatum
    ]


@rule("TR387", uses_register=True)
async def begindatum_first_of_month(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for p in await _allocated(message, register):
        begin = p.record.begindatum
        if begin is None:
            continue
        expected = max(begin.replace(day=1), p.toewijzing.ingangsdatum)
        if begin != expected:
            violations.append(_violation(p, f"ProductPeriode begins {begin}, expected {expected} (first day of the "
                                            "month or the Ingangsdatum)", message, "ProductPeriode/Begindatum"))
    return violations


def last_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@rule("TR388", uses_register=True)
async def einddatum_last_of_month(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for p in await _allocated(message, register):
        begin, end = p.record.begindatum, p.record.einddatum
        if begin is None or end is None:
            continue
        expected = last_of_month(begin)
        if p.toewijzing.einddatum and p.toewijzing.einddatum < expected:
            expected = p.toewijzing.einddatum
        if end != expected:
            violations.append(_violation(p, f"ProductPeriode ends {end}, expected {expected} (last day of the month "
                                            "or the Einddatum of the ToegewezenProduct)", message,
                                         "ProductPeriode/Einddatum"))
    return violations


@rule("TR319")
def productperiode_within_declaratieperiode(message: Message, context: RuleContext) -> list[Violation]:
    end = message.date(message.root, "Declaratie/DeclaratiePeriode/Einddatum")
    violations = []
    for element in prestaties(message):
        period_end = message.date(element, "ProductPeriode/Einddatum")
        if end and period_end and period_end > end:
            violations.append(Violation(element, f"ProductPeriode ends {period_end}, after the DeclaratiePeriode "
                                                 f"({end})", message.find(element, "ProductPeriode/Einddatum")))
    return violations
