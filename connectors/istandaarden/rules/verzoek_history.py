"""Rules across messages on requests (315, 317) and answers (319) against earlier requests, answers and allocations."""
from __future__ import annotations

from datetime import date

from lxml import etree

from connectors.istandaarden.rules.history import toewijzing_of
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule
from connectors.istandaarden.rules.overlap import NIEUW, Period, overlapping, periods_of
from connectors.istandaarden.rules.register import Register, Toewijzing

AFGEWEZEN, IN_ONDERZOEK = "1", "2"  # VerzoekAntwoord
TOTAAL = "6"  # Frequentie: totaal binnen de geldigheidsduur
_WITHDRAWN = {"01", "13"}  # RedenWijziging of a toewijzing ended on its start date: it never applied
_END_OF_2020 = date(2020, 12, 31)
TE_WIJZIGEN = "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
ONGEWIJZIGD = "Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct"


def _requests(message: Message) -> list[etree._Element]:
    """The records of a request that carry a ReferentieAanbieder: AangevraagdProduct (315) or Verzoek (317)."""
    return message.findall(message.root, "Client/AangevraagdeProducten/AangevraagdProduct") + message.findall(
        message.root, "Client/Verzoek")


def is_current(toewijzing: Toewijzing, on: date) -> bool:
    """Valid on `on` or later, and not withdrawn (ended on its Ingangsdatum with RedenWijziging 01 or 13)."""
    if toewijzing.einddatum == toewijzing.ingangsdatum and toewijzing.reden_wijziging in _WITHDRAWN:
        return False
    return toewijzing.einddatum is None or toewijzing.einddatum >= on


@rule("TR347", uses_register=True)
async def referentie_aanbieder_unique(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for record in _requests(message):
        reference = message.text(record, "ReferentieAanbieder")
        if reference and await register.verzoeken(message.standard, message.aanbieder or "",
                                                  referentie_aanbieder=reference):
            violations.append(Violation(record, f"ReferentieAanbieder {reference} was used before",
                                        message.find(record, "ReferentieAanbieder")))
    return violations


@rule("TR374", uses_register=True)
async def no_pending_request(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    tenant, agb = message.gemeente or "", message.aanbieder or ""
    client = message.find(message.root, "Client")
    bsn = message.text(client, "Bsn")
    toewijzingen = await register.toewijzingen(message.standard, tenant, agb=agb, bsn=bsn)
    allocated = {t.referentie_aanbieder for t in toewijzingen}
    for verzoek in await register.verzoeken(message.standard, agb, tenant=tenant, bsn=bsn):
        if verzoek.referentie_aanbieder in allocated:
            continue
        answers = await register.antwoorden(message.standard, tenant, agb, verzoek.referentie_aanbieder)
        if not any(a.verzoek_antwoord == AFGEWEZEN for a in answers):
            return [Violation(client, f"request {verzoek.referentie_aanbieder} for this client is still pending")]
    return []


async def _changed_products(message: Message, register: Register, path: str) -> list[tuple]:
    """(element, its current Toewijzing or None) for the OngewijzigdProducten or TeWijzigenProducten."""
    bsn = message.text(message.root, "Client/Bsn")
    on = message.dagtekening or date.min
    result = []
    for element in message.findall(message.root, path):
        toewijzing = await toewijzing_of(message, register, bsn, message.text(element, "ToewijzingNummer"))
        result.append((element, toewijzing if toewijzing and is_current(toewijzing, on) else None))
    return result


@rule("TR350", uses_register=True)
async def ongewijzigd_is_current(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return [Violation(element, "no current ToegewezenProduct with this ToewijzingNummer",
                      message.find(element, "ToewijzingNummer"))
            for element, toewijzing in await _changed_products(message, register, ONGEWIJZIGD) if toewijzing is None]


@rule("TR351", uses_register=True)
async def te_wijzigen_is_current(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return [Violation(element, "no current ToegewezenProduct with this ToewijzingNummer",
                      message.find(element, "ToewijzingNummer"))
            for element, toewijzing in await _changed_products(message, register, TE_WIJZIGEN) if toewijzing is None]


@rule("TR349", uses_register=True)
async def verzoek_has_all_current_products(message: Message, context: RuleContext,
                                           register: Register) -> list[Violation]:
    listed = {message.text(e, "ToewijzingNummer") for e in message.findall(message.root, ONGEWIJZIGD)}
    listed |= {message.text(e, "ToewijzingNummer") for e in message.findall(message.root, TE_WIJZIGEN)}
    on = message.dagtekening or date.min
    allocated = await register.toewijzingen(message.standard, message.gemeente or "", agb=message.aanbieder,
                                            bsn=message.text(message.root, "Client/Bsn"))
    missing = sorted(t.toewijzingnummer for t in allocated if is_current(t, on) and t.toewijzingnummer not in listed)
    if missing:
        return [Violation(message.find(message.root, "Client/Verzoek"),
                          f"current ToegewezenProducten missing from the Verzoek: {', '.join(missing)}")]
    return []


async def _te_wijzigen(message: Message, register: Register) -> list[tuple[etree._Element, Toewijzing]]:
    return [(e, t) for e, t in await _changed_products(message, register, TE_WIJZIGEN) if t is not None]


@rule("TR357", uses_register=True)
async def past_change_covers_whole_period(message: Message, context: RuleContext,
                                          register: Register) -> list[Violation]:
    violations = []
    for element, toewijzing in await _te_wijzigen(message, register):
        wanted = message.date(element, "GewensteIngangsdatum")
        if wanted and message.dagtekening and wanted <= message.dagtekening and wanted != toewijzing.ingangsdatum:
            violations.append(Violation(element, f"GewensteIngangsdatum {wanted} is not in the future and differs "
                                                 f"from the Ingangsdatum {toewijzing.ingangsdatum}",
                                        message.find(element, "GewensteIngangsdatum")))
    return violations


@rule("TR373", uses_register=True)
async def budget_change_covers_whole_period(message: Message, context: RuleContext,
                                            register: Register) -> list[Violation]:
    violations = []
    for element, toewijzing in await _te_wijzigen(message, register):
        budget = message.int(element, "Budget")
        total = message.int(element, "Omvang/Volume") if message.text(element, "Omvang/Frequentie") == TOTAAL else None
        changed = (budget is not None and budget != toewijzing.budget) or (
            total is not None and (toewijzing.frequentie != TOTAAL or total != toewijzing.volume))
        if changed and message.date(element, "GewensteIngangsdatum") != toewijzing.ingangsdatum:
            violations.append(Violation(element, "a changed Budget or total Omvang must start at the Ingangsdatum "
                                                 f"{toewijzing.ingangsdatum}",
                                        message.find(element, "GewensteIngangsdatum")))
    return violations


def _generic(toewijzing: Toewijzing) -> bool:
    """Allocated without product code and still running after 2020: its Omvang is not asked for."""
    return toewijzing.einddatum is None or toewijzing.einddatum > _END_OF_2020


@rule("TR411", uses_register=True)
async def omvang_for_specific_product(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return [Violation(element, "the ToegewezenProduct has a product code: Omvang is required")
            for element, toewijzing in await _te_wijzigen(message, register)
            if toewijzing.code is not None and message.find(element, "Omvang") is None]


async def _omvang_left_out(message: Message, register: Register, field: str, what: str) -> list[Violation]:
    """For a generic ToegewezenProduct without `field` (code or categorie), the TeWijzigenProduct has no Omvang."""
    return [Violation(element, f"the ToegewezenProduct has no {what}: leave Omvang out",
                      message.find(element, "Omvang"))
            for element, toewijzing in await _te_wijzigen(message, register)
            if getattr(toewijzing, field) is None and _generic(toewijzing)
            and message.find(element, "Omvang") is not None]


@rule("TR412", uses_register=True)
async def no_omvang_without_code(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return await _omvang_left_out(message, register, "code", "product code")


@rule("TR375", uses_register=True)
async def no_omvang_without_product(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    return await _omvang_left_out(message, register, "categorie", "product")


async def _antwoord(message: Message, register: Register) -> tuple[etree._Element | None, str | None, list]:
    antwoord = message.find(message.root, "Antwoord")
    reference = message.text(antwoord, "ReferentieAanbieder")
    earlier = await register.antwoorden(message.standard, message.gemeente or "", message.aanbieder or "",
                                        reference or "")
    return antwoord, reference, earlier


@rule("TR359", uses_register=True)
async def no_answer_after_allocation(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    antwoord, reference, _ = await _antwoord(message, register)
    # Asked by ReferentieAanbieder: a provider's other Toewijzingen grow with every month it works for the tenant.
    if reference and await register.toewijzingen(message.standard, message.gemeente or "", agb=message.aanbieder,
                                                 referentie_aanbieder=reference):
        return [Violation(antwoord, f"a toewijzing was sent for ReferentieAanbieder {reference}")]
    return []


@rule("TR360", uses_register=True)
async def in_onderzoek_only_once(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    antwoord, reference, earlier = await _antwoord(message, register)
    if earlier and message.text(antwoord, "VerzoekAntwoord") == IN_ONDERZOEK:
        return [Violation(antwoord, f"an answer was sent before for ReferentieAanbieder {reference}",
                          message.find(antwoord, "VerzoekAntwoord"))]
    return []


@rule("TR365", uses_register=True)
async def earlier_answer_was_in_onderzoek(message: Message, context: RuleContext,
                                          register: Register) -> list[Violation]:
    antwoord, reference, earlier = await _antwoord(message, register)
    if any(a.verzoek_antwoord != IN_ONDERZOEK for a in earlier):
        return [Violation(antwoord, f"the request {reference} was answered before other than 'in onderzoek'")]
    return []


@rule("TR361", uses_register=True)
async def requested_products_do_not_overlap(message: Message, context: RuleContext,
                                            register: Register) -> list[Violation]:
    periods = []
    for path in (ONGEWIJZIGD, TE_WIJZIGEN):
        for element, toewijzing in await _changed_products(message, register, path):
            if toewijzing is not None:
                end = message.date(element, "Einddatum") or toewijzing.einddatum
                periods.append(Period(element, toewijzing.categorie, toewijzing.code, toewijzing.ingangsdatum, end))
    periods += periods_of(message, NIEUW, "GewensteIngangsdatum", "Einddatum")
    return list(overlapping(message, periods))
