"""Rules on dates inside one message: order, plausibility and their relation to the Dagtekening."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule

# The dates that must exist and not lie after the Dagtekening (TR134), per message number: (record, date) paths.
_NOT_AFTER_DAGTEKENING = {
    301: (("Client", "Geboortedatum/Datum"), ("Client/ToegewezenProducten/ToegewezenProduct", "Toewijzingsdatum")),
    305: (("Client", "Geboortedatum/Datum"), ("Client/StartProducten/StartProduct", "Begindatum")),
    307: (("Client", "Geboortedatum/Datum"), ("Client/StopProducten/StopProduct", "Einddatum")),
    315: (("Client", "Geboortedatum/Datum"),),
    323: (("Declaratie", "DeclaratieDagtekening"),),
    325: (("Header", "DeclaratieIdentificatie/Dagtekening"),),
}
_UNKNOWN_DATE = date(1900, 1, 1)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for 29 February in a common year); the first day there
    is when that lies before year 1 (an XSD-valid Dagtekening such as 0026-04-15)."""
    if day.year - years < date.min.year:
        return date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@rule("TR002")
def birth_date_within_120_years(message: Message, context: RuleContext) -> Iterator[Violation]:
    dagtekening = message.dagtekening
    client = message.find(message.root, "Client")
    born = message.date(client, "Geboortedatum/Datum")
    if dagtekening is None or born is None:
        return
    unknown = message.text(client, "Geboortedatum/DatumGebruik") == "3" and born == _UNKNOWN_DATE
    if not unknown and born < years_before(dagtekening, 120):
        yield Violation(client, f"Geboortedatum {born} lies more than 120 years before the Dagtekening {dagtekening}",
                        message.find(client, "Geboortedatum/Datum"))


@rule("TR018")
def einddatum_not_before_begindatum(message: Message, context: RuleContext) -> Iterator[Violation]:
    for stop in message.findall(message.root, "Client/StopProducten/StopProduct"):
        begin, end = message.date(stop, "Begindatum"), message.date(stop, "Einddatum")
        if begin and end and end < begin:
            yield Violation(stop, f"Einddatum {end} lies before Begindatum {begin}", message.find(stop, "Einddatum"))


@rule("TR134")
def dates_exist_and_not_after_dagtekening(message: Message, context: RuleContext) -> Iterator[Violation]:
    dagtekening = message.dagtekening
    for record_path, date_path in _NOT_AFTER_DAGTEKENING.get(message.number, ()):
        for record in message.findall(message.root, record_path):
            element = message.find(record, date_path)
            if element is None:
                continue
            value = message.date(record, date_path)
            if value is None:
                yield Violation(record, f"{date_path} is not an existing date", element)
            elif dagtekening and value > dagtekening:
                yield Violation(record, f"{date_path} {value} lies after the Dagtekening {dagtekening}", element)


@rule("TR137")
def declaratiedagtekening_within_period_and_dagtekening(message: Message, context: RuleContext) -> Iterator[Violation]:
    declaratie = message.find(message.root, "Declaratie")
    signed = message.date(declaratie, "DeclaratieDagtekening")
    begin = message.date(declaratie, "DeclaratiePeriode/Begindatum")
    dagtekening = message.dagtekening
    if signed is None:
        return
    at = message.find(declaratie, "DeclaratieDagtekening")
    if begin and signed < begin:
        yield Violation(declaratie, f"DeclaratieDagtekening {signed} lies before the DeclaratiePeriode ({begin})", at)
    if dagtekening and signed > dagtekening:
        yield Violation(declaratie, f"DeclaratieDagtekening {signed} lies after the Dagtekening {dagtekening}", at)


@rule("TR335")
def productperiode_not_older_than_5_years(message: Message, context: RuleContext) -> Iterator[Violation]:
    signed = message.date(message.root, "Declaratie/DeclaratieDagtekening")
    if signed is None:
        return
    limit = years_before(signed, 5)
    for prestatie in message.findall(message.root, "Declaratie/Clienten/Client/Prestaties/Prestatie"):
        end = message.date(prestatie, "ProductPeriode/Einddatum")
        if end and end < limit:
            yield Violation(prestatie, f"ProductPeriode Einddatum {end} lies more than 5 years before the "
                                       f"DeclaratieDagtekening {signed}", message.find(prestatie, "ProductPeriode"))


@rule("TR380")
def einddatum_after_dagtekening(message: Message, context: RuleContext) -> Iterator[Violation]:
    dagtekening = message.dagtekening
    for product in message.findall(message.root, "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"):
        end = message.date(product, "Einddatum")
        if dagtekening and end and end <= dagtekening:
            yield Violation(product, f"Einddatum {end} is not after the Dagtekening {dagtekening}",
                            message.find(product, "Einddatum"))


@rule("TR135")
def dagtekening_not_in_future(message: Message, context: RuleContext) -> Iterator[Violation]:
    dagtekening = message.dagtekening
    if dagtekening and dagtekening > context.today:
        yield Violation(message.header, f"Dagtekening {dagtekening} lies after today ({context.today})",
                        message.find(message.header, "BerichtIdentificatie/Dagtekening"))
