"""Rules on the client and the records of one message: BSN, contact data and duplicate records (TR101)."""
from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import RuleContext, Violation, rule

ELFPROEF = "ELFPROEF"
_ADDRESS_KINDS = {"01", "02", "03"}  # BRP-adres, correspondentie-adres, verblijfadres (COD757)

# The logical key of each repeating berichtklasse (TR101), per message number: (record path, key paths).
# A key is compared within the parent record, so the parents' keys are part of it.
_PRODUCT_START_KEY = ("ToewijzingNummer", "Product/Categorie", "Product/Code", "ToewijzingIngangsdatum", "Begindatum")
_PRESTATIE = ("Prestaties/Prestatie", ("ProductReferentie/ReferentieNummer",))
_LOGICAL_KEYS: dict[int, tuple[tuple[str, tuple[str, ...]], ...]] = {
    301: (
        ("Client/Relaties/Relatie", ("Nummer",)),
        ("Client/ToegewezenProducten/ToegewezenProduct", ("ToewijzingNummer",)),
    ),
    305: (("Client/StartProducten/StartProduct", _PRODUCT_START_KEY),),
    307: (("Client/StopProducten/StopProduct", _PRODUCT_START_KEY),),
    315: (("Client/AangevraagdeProducten/AangevraagdProduct", ("ReferentieAanbieder",)),),
    317: (
        ("Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct", ("ToewijzingNummer",)),
        ("Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct", ("ToewijzingNummer",)),
    ),
    323: (("Declaratie/Clienten/Client", ("Bsn",)),),
    325: (("DeclaratieAntwoord/Clienten/Client", ("Bsn",)),),
}


def is_elfproef(bsn: str) -> bool:
    """The eleven test of a BSN: 9·d1 + 8·d2 + ... + 2·d8 − d9 is a multiple of 11 (and not all zeros)."""
    if len(bsn) != 9 or not bsn.isdigit() or bsn == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(digit) * weight for digit, weight in zip(bsn, weights)) % 11 == 0


@rule(ELFPROEF)
def bsn_passes_elfproef(message: Message, context: RuleContext) -> Iterator[Violation]:
    for bsn in message.findall(message.root, ".//Bsn"):
        if not is_elfproef((bsn.text or "").strip()):
            yield Violation(bsn.getparent(), "Bsn does not pass the elfproef", bsn)


@rule("TR006")
def contact_has_phone_or_address(message: Message, context: RuleContext) -> Iterator[Violation]:
    for contact in message.findall(message.root, ".//Contact"):
        has_phone = message.find(contact, "Telefoon") is not None
        has_address = message.find(contact, "Adres/Huis") is not None and message.text(contact, "Adres/Postcode")
        if not (has_phone or has_address):
            yield Violation(contact, "Contact has neither a Telefoon nor a Huis with a Postcode", contact)


@rule("TR061")
def client_has_residential_address(message: Message, context: RuleContext) -> Iterator[Violation]:
    client = message.find(message.root, "Client")
    contacts = message.findall(client, "Contactgegevens/Contact")
    if client is not None and not any(
        message.text(c, "Soort") in _ADDRESS_KINDS and message.find(c, "Adres") is not None for c in contacts
    ):
        yield Violation(client, "Client has no Adres of Soort 01, 02 or 03", message.find(client, "Contactgegevens"))


def _duplicates(message: Message, parent: etree._Element, path: str, key: tuple[str, ...]) -> Iterator[Violation]:
    seen: dict[tuple, etree._Element] = {}
    for record in message.findall(parent, path):
        value = tuple(message.text(record, part) for part in key)
        if value in seen:
            first = message.path_of(seen[value])
            yield Violation(record, f"{'/'.join(key)} repeats the logical key of {first}", record)
        else:
            seen[value] = record


@rule("TR101")
def no_duplicate_records(message: Message, context: RuleContext) -> Iterator[Violation]:
    for path, key in _LOGICAL_KEYS.get(message.number, ()):
        yield from _duplicates(message, message.root, path, key)
    if message.number in (323, 325):
        for client in message.findall(message.root, "*/Clienten/Client"):
            yield from _duplicates(message, client, *_PRESTATIE)
