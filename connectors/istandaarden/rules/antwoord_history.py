"""Rules across messages on a Declaratie-antwoord (325) against the Declaratie (323) it answers, and on clients."""
from __future__ import annotations

from connectors.istandaarden.rules.declaratie import prestaties
from connectors.istandaarden.rules.extract import prestatie_record
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule
from connectors.istandaarden.rules.register import Prestatie, Register

# The values of a Prestatie a Declaratie-antwoord repeats from the Declaratie.
_REPEATED = ("toewijzingnummer", "categorie", "code", "begindatum", "einddatum", "volume", "eenheid", "tarief",
             "bedrag", "debet_credit", "vorig_referentienummer")


async def _declared(message: Message, register: Register) -> list[tuple]:
    """(element, its values in this 325, the Prestatie of the 323 or None) per Prestatie of the answer."""
    nummer = message.text(message.root, "DeclaratieAntwoord/DeclaratieNummer") or ""
    result = []
    for element in prestaties(message):
        answered = prestatie_record(message, element, nummer)
        earlier = await register.prestaties(message.standard, message.aanbieder or "", tenant=message.gemeente,
                                            referentienummer=answered.referentienummer)
        result.append((element, answered, earlier[-1] if earlier else None))
    return result


@rule("TR366", uses_register=True)
async def answered_prestatie_was_declared(message: Message, context: RuleContext,
                                          register: Register) -> list[Violation]:
    return [Violation(element, f"ReferentieNummer {answered.referentienummer} is in no Declaratie",
                      message.find(element, "ProductReferentie"))
            for element, answered, declared in await _declared(message, register) if declared is None]


def differences(answered: Prestatie, declared: Prestatie) -> list[str]:
    return [name for name in _REPEATED if getattr(answered, name) != getattr(declared, name)]


@rule("TR367", uses_register=True)
async def answered_values_as_declared(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for element, answered, declared in await _declared(message, register):
        changed = differences(answered, declared) if declared else []
        if changed:
            violations.append(Violation(element, f"differs from the Declaratie in {', '.join(changed)}"))
    return violations


@rule("TR304", uses_register=True)
async def bsn_of_the_client(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    if message.number == 325:
        return [Violation(element, "the Prestatie was declared for another client", message.find(element, "../../Bsn"))
                for element, answered, declared in await _declared(message, register)
                if declared and declared.bsn != answered.bsn]
    violations = []
    for client in message.findall(message.root, "Client") + message.findall(message.root, "Declaratie/Clienten/Client"):
        bsn = message.text(client, "Bsn")
        if not await register.toewijzingen(message.standard, message.gemeente or "", agb=message.aanbieder, bsn=bsn):
            violations.append(Violation(client, "the Bsn is of no client with a ToegewezenProduct of this provider",
                                        message.find(client, "Bsn")))
    return violations
