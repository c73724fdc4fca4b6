"""Shared look-ups of the rules across messages: the Toewijzing a record refers to, the Prestaties of this message."""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from connectors.istandaarden.rules.declaratie import prestaties
from connectors.istandaarden.rules.extract import prestatie_record
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.register import Prestatie, Register, Toewijzing

MINUUT = "01"
UUR = "04"


async def toewijzing_of(message: Message, register: Register, bsn: str | None,
                        toewijzingnummer: str | None) -> Toewijzing | None:
    """The current Toewijzing of this tenant, provider and client with this number (cached per message)."""
    if not toewijzingnummer:
        return None
    cache = message.memo.setdefault("toewijzingen", {})
    key = (bsn, toewijzingnummer)
    if key not in cache:
        found = await register.toewijzingen(message.standard, message.gemeente or "", agb=message.aanbieder,
                                            bsn=bsn, toewijzingnummer=toewijzingnummer)
        cache[key] = found[-1] if found else None
    return cache[key]


@dataclass(frozen=True)
class MessagePrestatie:
    """A Prestatie of the message being checked: its element, its values and its Toewijzing (None if unknown)."""

    element: etree._Element
    record: Prestatie
    toewijzing: Toewijzing | None


async def message_prestaties(message: Message, register: Register) -> list[MessagePrestatie]:
    """The Prestaties of a 323 with the Toewijzing each refers to (cached per message)."""
    if "prestaties" not in message.memo:
        nummer = message.text(message.root, "Declaratie/DeclaratieNummer") or ""
        result = []
        for element in prestaties(message):
            record = prestatie_record(message, element, nummer)
            result.append(MessagePrestatie(element, record,
                                           await toewijzing_of(message, register, record.bsn, record.toewijzingnummer)))
        message.memo["prestaties"] = result
    return message.memo["prestaties"]


def unit_factor(toegewezen: str | None, gedeclareerd: str) -> int | None:
    """How many declared units make one allocated unit: 1 when equal, 60 for minutes on an hourly allocation."""
    if toegewezen == gedeclareerd:
        return 1
    if toegewezen == UUR and gedeclareerd == MINUUT:
        return 60
    return None
