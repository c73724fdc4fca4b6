"""Rules inside one Declaratie (323) or Declaratie-antwoord (325): totals, references and double debits."""
from __future__ import annotations

from collections.abc import Iterator

from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule

PRESTATIES = "Clienten/Client/Prestaties/Prestatie"
# Retourcodes on the DeclaratieAntwoord that do not reject it: no remark, fully granted.
_NOT_REJECTED = {"0200", "8001"}


def prestaties(message: Message) -> list:
    return message.findall(message.root, f"*/{PRESTATIES}")


@rule("TR315")
def vorig_referentienummer_unique(message: Message, context: RuleContext) -> Iterator[Violation]:
    seen: set[str] = set()
    for prestatie in prestaties(message):
        previous = message.text(prestatie, "ProductReferentie/VorigReferentieNummer")
        if previous is None:
            continue
        if previous in seen:
            yield Violation(prestatie, f"VorigReferentieNummer {previous} occurs more than once in the message",
                            message.find(prestatie, "ProductReferentie/VorigReferentieNummer"))
        seen.add(previous)


@rule("TR316")
def no_credit_of_debit_in_same_message(message: Message, context: RuleContext) -> Iterator[Violation]:
    referenced = {message.text(p, "ProductReferentie/ReferentieNummer") for p in prestaties(message)}
    for prestatie in prestaties(message):
        previous = message.text(prestatie, "ProductReferentie/VorigReferentieNummer")
        if previous is not None and previous in referenced:
            yield Violation(prestatie, f"VorigReferentieNummer {previous} credits a Prestatie of the same message",
                            message.find(prestatie, "ProductReferentie/VorigReferentieNummer"))


@rule("TR358")
def totaal_is_sum_of_prestaties(message: Message, context: RuleContext) -> Iterator[Violation]:
    declaratie = message.find(message.root, "Declaratie")
    total = message.signed_amount(declaratie, "TotaalIngediendBedrag", "TotaalBedrag")
    amounts = [message.signed_amount(p, "IngediendBedrag") for p in prestaties(message)]
    if total is None or None in amounts:
        return
    if total != sum(amounts):
        yield Violation(declaratie, f"TotaalIngediendBedrag {total} differs from the sum of the Prestaties "
                                    f"({sum(amounts)}, credit negative)",
                        message.find(declaratie, "TotaalIngediendBedrag"))


@rule("TR342")
def antwoord_lists_only_rejected_prestaties(message: Message, context: RuleContext) -> Iterator[Violation]:
    antwoord = message.find(message.root, "DeclaratieAntwoord")
    if antwoord is None:
        return
    submitted = message.signed_amount(antwoord, "TotaalIngediendBedrag", "TotaalBedrag")
    granted = message.signed_amount(antwoord, "TotaalToegekendBedrag", "TotaalBedrag")
    codes = {(c.text or "").strip() for c in message.findall(antwoord, "RetourCodes/RetourCode")}
    at = message.find(antwoord, "TotaalToegekendBedrag")
    if codes - _NOT_REJECTED:
        if granted:
            yield Violation(antwoord, "the DeclaratieAntwoord is rejected but TotaalToegekendBedrag is not 0", at)
        return
    amounts = [message.signed_amount(p, "IngediendBedrag") for p in prestaties(message)]
    if submitted is None or granted is None or None in amounts:
        return
    if sum(amounts) != submitted - granted:
        yield Violation(antwoord, f"the rejected Prestaties add up to {sum(amounts)}, not to TotaalIngediendBedrag "
                                  f"minus TotaalToegekendBedrag ({submitted - granted})", at)


@rule("TR416")
def one_debit_per_product_period(message: Message, context: RuleContext) -> Iterator[Violation]:
    seen: dict[tuple, str] = {}
    for prestatie in prestaties(message):
        if message.text(prestatie, "IngediendBedrag/DebetCredit") != "D":
            continue
        key = tuple(message.text(prestatie, part) for part in (
            "../../Bsn", "ToewijzingNummer", "ProductCategorie", "ProductCode", "ProductPeriode/Begindatum",
            "ProductPeriode/Einddatum"))
        if key in seen:
            yield Violation(prestatie, f"a second debit Prestatie for the same client, ToewijzingNummer, product "
                                       f"and ProductPeriode as {seen[key]}")
        else:
            seen[key] = message.path_of(prestatie)
