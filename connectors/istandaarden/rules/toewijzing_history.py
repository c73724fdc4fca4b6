"""Rules across messages on the message identification (all messages) and on allocations (301)."""
from __future__ import annotations

from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule
from connectors.istandaarden.rules.register import Register

TOEGEWEZEN = "Client/ToegewezenProducten/ToegewezenProduct"
VERWIJDERD = "13"


@rule("TR056", uses_register=True)
async def identificatie_unique(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    identificatie = message.identificatie
    if identificatie and await register.message_seen(message.standard, message.code, message.sender or "",
                                                     identificatie):
        return [Violation(message.header, f"{message.code} {identificatie} was received before from this sender",
                          message.find(message.header, "BerichtIdentificatie/Identificatie"))]
    return []


@rule("TR332", uses_register=True)
async def toewijzingnummer_unique(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    bsn = message.text(message.root, "Client/Bsn")
    violations = []
    for element in message.findall(message.root, TOEGEWEZEN):
        nummer = message.text(element, "ToewijzingNummer")
        earlier = await register.toewijzingen(message.standard, message.gemeente or "", toewijzingnummer=nummer)
        if any((t.bsn, t.agb) != (bsn, message.aanbieder) for t in earlier):
            violations.append(Violation(element, f"ToewijzingNummer {nummer} belongs to another client or provider",
                                        message.find(element, "ToewijzingNummer")))
    return violations


@rule("TR379", uses_register=True)
async def referentie_aanbieder_of_a_request(message: Message, context: RuleContext,
                                            register: Register) -> list[Violation]:
    bsn = message.text(message.root, "Client/Bsn")
    violations = []
    for element in message.findall(message.root, TOEGEWEZEN):
        reference = message.text(element, "ReferentieAanbieder")
        if reference and not await register.verzoeken(message.standard, message.aanbieder or "",
                                                      tenant=message.gemeente, bsn=bsn,
                                                      referentie_aanbieder=reference):
            violations.append(Violation(element, f"ReferentieAanbieder {reference} is not of a request for this "
                                                 "client", message.find(element, "ReferentieAanbieder")))
    return violations


@rule("TR385", uses_register=True)
async def no_removal_after_declaration(message: Message, context: RuleContext, register: Register) -> list[Violation]:
    violations = []
    for element in message.findall(message.root, TOEGEWEZEN):
        if message.text(element, "RedenWijziging") != VERWIJDERD:
            continue
        declared = await register.prestaties(message.standard, message.aanbieder or "", tenant=message.gemeente,
                                             toewijzingnummer=message.text(element, "ToewijzingNummer"))
        credited = {p.vorig_referentienummer for p in declared if p.debet_credit == "C"}
        if any(p.debet_credit == "D" and p.referentienummer not in credited for p in declared):
            violations.append(Violation(element, "the ToegewezenProduct has declared Prestaties that were not credited",
                                        message.find(element, "RedenWijziging")))
    return violations
