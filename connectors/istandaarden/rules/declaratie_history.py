"""Rules across messages on a Declaratie (323): unique numbers, debit and credit against earlier Prestaties."""
from __future__ import annotations

from connectors.istandaarden.rules.history import message_prestaties
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule
from connectors.istandaarden.rules.register import Prestatie, Register

DEBET, CREDIT = "D", "C"


def _period_key(p: Prestatie) -> tuple:
    return p.toewijzingnummer, p.categorie, p.code, p.begindatum, p.einddatum


@rule("TR333", uses_register=True)
async def declaratienummer_unique(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    declaratie = message.find(message.root, "Declaratie")
    nummer = message.text(declaratie, "DeclaratieNummer")
    if nummer and await register.declaraties(message.standard, message.aanbieder or "", nummer):
        return [Violation(declaratie, f"DeclaratieNummer {nummer} was used before by this provider",
                          message.find(declaratie, "DeclaratieNummer"))]
    return []


@rule("TR314", uses_register=True)
async def referentienummer_unique(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for p in await message_prestaties(message, register):
        if await register.prestaties(message.standard, message.aanbieder or "",
                                     referentienummer=p.record.referentienummer):
            violations.append(Violation(p.element, f"ReferentieNummer {p.record.referentienummer} was declared before",
                                        message.find(p.element, "ProductReferentie/ReferentieNummer")))
    return violations


@rule("TR323", uses_register=True)
async def credit_refers_to_earlier_debit(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for p in await message_prestaties(message, register):
        previous = p.record.vorig_referentienummer
        if p.record.debet_credit != CREDIT:
            continue
        earlier = previous and await register.prestaties(message.standard, message.aanbieder or "",
                                                         referentienummer=previous)
        if not earlier or not any(e.debet_credit == DEBET for e in earlier):
            violations.append(Violation(p.element, f"the credit Prestatie refers to no earlier debit Prestatie "
                                                   f"({previous or 'no VorigReferentieNummer'})",
                                        message.find(p.element, "ProductReferentie")))
    return violations


@rule("TR389", uses_register=True)
async def no_second_debit_for_a_period(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    prestaties = await message_prestaties(message, register)
    credited_here = {p.record.vorig_referentienummer for p in prestaties if p.record.debet_credit == CREDIT}
    violations = []
    for p in prestaties:
        if p.record.debet_credit != DEBET:
            continue
        earlier = await register.prestaties(message.standard, message.aanbieder or "", tenant=message.gemeente,
                                            toewijzingnummer=p.record.toewijzingnummer)
        credited = credited_here | {e.vorig_referentienummer for e in earlier if e.debet_credit == CREDIT}
        open_debits = [e for e in earlier if e.debet_credit == DEBET and _period_key(e) == _period_key(p.record)
                       and e.referentienummer not in credited]
        if open_debits:
            violations.append(Violation(p.element, f"debit Prestatie {open_debits[0].referentienummer} for the same "
                                                   "ToewijzingNummer, product and ProductPeriode is not credited"))
    return violations


@rule("TR390", uses_register=True)
async def credit_only_once(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for p in await message_prestaties(message, register):
        previous = p.record.vorig_referentienummer
        if p.record.debet_credit != CREDIT or not previous:
            continue
        earlier = await register.prestaties(message.standard, message.aanbieder or "",
                                            vorig_referentienummer=previous)
        if any(e.debet_credit == CREDIT for e in earlier):
            violations.append(Violation(p.element, f"Prestatie {previous} was credited before",
                                        message.find(p.element, "ProductReferentie")))
    return violations
