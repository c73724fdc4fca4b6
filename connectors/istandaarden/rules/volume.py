"""Rules across messages on declared volumes and amounts against the Omvang or Budget of the ToegewezenProduct."""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

from connectors.istandaarden.rules.history import UUR, MessagePrestatie, message_prestaties, unit_factor
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule
from connectors.istandaarden.rules.register import Register, Toewijzing

PER_DAG, PER_WEEK, PER_MAAND, TOTAAL = "1", "2", "4", "6"
HUISHOUDELIJKE_HULP = "01"
# iWmo: a week's volume of huishoudelijke hulp may be caught up within a month, up to 6 times the weekly volume.
HH_WEEKS_PER_PERIOD = 6


def _months(begin: date, end: date) -> int:
    return (end.year - begin.year) * 12 + end.month - begin.month + 1


def allowed_volume(toewijzing: Toewijzing, begin: date, end: date, standard: str) -> int | None:
    """The most the Omvang allows from `begin` to `end` (inclusive), in the allocated Eenheid; None without Omvang."""
    volume, frequentie = toewijzing.volume, toewijzing.frequentie
    if volume is None or end < begin:
        return None
    days = (end - begin).days + 1
    if frequentie == PER_DAG:
        return volume * days
    if frequentie == PER_WEEK:
        if standard == "iwmo" and toewijzing.categorie == HUISHOUDELIJKE_HULP:
            return volume * max(HH_WEEKS_PER_PERIOD, math.ceil(days / 7))
        return volume * math.ceil(days / 7)
    if frequentie == PER_MAAND:
        return volume * _months(begin, end)
    if frequentie == TOTAAL:
        return volume
    return None


@rule("TR321", uses_register=True)
async def volume_within_omvang(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for p in await message_prestaties(message, register):
        t, record = p.toewijzing, p.record
        if t is None or record.debet_credit != "D" or record.begindatum is None or record.einddatum is None:
            continue
        factor = unit_factor(t.eenheid, record.eenheid)
        allowed = allowed_volume(t, record.begindatum, record.einddatum, message.standard)
        if factor and allowed is not None and record.volume > allowed * factor:
            violations.append(Violation(p.element, f"GeleverdVolume {record.volume} exceeds the {allowed * factor} "
                                                   "the Omvang allows for the ProductPeriode",
                                        message.find(p.element, "GeleverdVolume")))
    return violations


async def _totals(message: Message, register: Register, amount) -> list[tuple[MessagePrestatie, int, int]]:
    """Per Prestatie of this message: the running total of `amount` over its Toewijzing, earlier ones included.

    `amount(prestatie record, toewijzing)` gives a signed value or None (not comparable: left out).
    """
    running: dict[str, int] = {}
    per_toewijzing: dict[str, list[MessagePrestatie]] = defaultdict(list)
    for p in await message_prestaties(message, register):
        if p.toewijzing is not None:
            per_toewijzing[p.toewijzing.toewijzingnummer].append(p)
    result = []
    for nummer, items in per_toewijzing.items():
        toewijzing = items[0].toewijzing
        earlier = await register.prestaties(message.standard, message.aanbieder or "", tenant=message.gemeente,
                                            toewijzingnummer=nummer)
        running[nummer] = sum(v for v in (amount(e, toewijzing) for e in earlier) if v is not None)
        for p in items:
            value = amount(p.record, toewijzing)
            if value is not None:
                running[nummer] += value
                result.append((p, value, running[nummer]))
    return result


@rule("TR322", uses_register=True)
async def total_volume_within_omvang(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for p, value, total in await _totals(message, register, _volume_in_minutes_or_units):
        t = p.toewijzing
        if t.frequentie == TOTAAL:
            allowed = t.volume
        else:
            allowed = t.einddatum and allowed_volume(t, t.ingangsdatum, t.einddatum, message.standard)
        if allowed is None:
            continue
        limit = allowed * (60 if t.eenheid == UUR else 1)
        if value > 0 and total > limit:
            violations.append(Violation(p.element, f"the declared volume ({total}) exceeds the allocated total "
                                                   f"({limit}) of ToegewezenProduct {t.toewijzingnummer}",
                                        message.find(p.element, "GeleverdVolume")))
    return violations


def _volume_in_minutes_or_units(prestatie, toewijzing: Toewijzing) -> int | None:
    """The signed volume, in minutes when the allocation is in hours, else in the allocated unit."""
    factor = unit_factor(toewijzing.eenheid, prestatie.eenheid)
    if factor is None:
        return None
    if toewijzing.eenheid == UUR:
        return prestatie.signed_volume * (60 if prestatie.eenheid == UUR else 1)
    return prestatie.signed_volume


@rule("TR369", uses_register=True)
async def total_within_budget(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for p, value, total in await _totals(message, register, lambda record, t: record.signed_bedrag):
        budget = p.toewijzing.budget
        if budget is not None and value > 0 and total > budget:
            violations.append(Violation(p.element, f"the declared amounts ({total}) exceed the Budget ({budget}) of "
                                                   f"ToegewezenProduct {p.toewijzing.toewijzingnummer}",
                                        message.find(p.element, "IngediendBedrag")))
    return violations
