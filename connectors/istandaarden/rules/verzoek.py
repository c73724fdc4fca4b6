"""Rules inside one request (315, 317) or answer (319)."""
from __future__ import annotations

from collections.abc import Iterator

from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule

VERZOEK = "Client/Verzoek"
WOONPLAATSBEGINSEL = "8"


def _verzoek_has(message: Message, *lists: str) -> bool:
    verzoek = message.find(message.root, VERZOEK)
    return any(message.find(verzoek, f"{name}/*") is not None for name in lists)


@rule("TR352")
def verzoek_has_current_product(message: Message, context: RuleContext) -> Iterator[Violation]:
    if not _verzoek_has(message, "OngewijzigdeProducten", "TeWijzigenProducten"):
        verzoek = message.find(message.root, VERZOEK)
        yield Violation(verzoek, "the Verzoek has no OngewijzigdProduct and no TeWijzigenProduct")


@rule("TR353")
def verzoek_changes_something(message: Message, context: RuleContext) -> Iterator[Violation]:
    if not _verzoek_has(message, "TeWijzigenProducten", "NieuweProducten"):
        verzoek = message.find(message.root, VERZOEK)
        yield Violation(verzoek, "the Verzoek has no TeWijzigenProduct and no NieuwProduct")


@rule("TR383")
def referentie_aanbieder_unique_in_message(message: Message, context: RuleContext) -> Iterator[Violation]:
    seen: set[str | None] = set()
    for product in message.findall(message.root, "Client/AangevraagdeProducten/AangevraagdProduct"):
        reference = message.text(product, "ReferentieAanbieder")
        if reference in seen:
            yield Violation(product, f"ReferentieAanbieder {reference} occurs more than once in the message",
                            message.find(product, "ReferentieAanbieder"))
        seen.add(reference)


def _woonplaatsbeginsel(message: Message) -> tuple:
    antwoord = message.find(message.root, "Antwoord")
    reason = message.text(antwoord, "RedenAfwijzingVerzoek")
    return antwoord, reason == WOONPLAATSBEGINSEL, message.find(antwoord, "Woonplaatsbeginsel") is not None


@rule("TR377")
def woonplaatsbeginsel_given_when_reason(message: Message, context: RuleContext) -> Iterator[Violation]:
    antwoord, is_reason, present = _woonplaatsbeginsel(message)
    if is_reason and not present:
        yield Violation(antwoord, "RedenAfwijzingVerzoek is 8 (Woonplaatsbeginsel) but Woonplaatsbeginsel is missing")


@rule("TR409")
def woonplaatsbeginsel_only_when_reason(message: Message, context: RuleContext) -> Iterator[Violation]:
    antwoord, is_reason, present = _woonplaatsbeginsel(message)
    if present and not is_reason:
        yield Violation(antwoord, "Woonplaatsbeginsel is given but RedenAfwijzingVerzoek is not 8",
                        message.find(antwoord, "Woonplaatsbeginsel"))
