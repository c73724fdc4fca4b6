"""Receiving CORV messages: SOAP request in, checks in StUF order, Bv03 or Fo03 out.

The gateway calls `Receiver.check` (which raises `StufFault`), journals the message using `duplicate_key` as its
unique key, and answers with `Receiver.accept` or `Receiver.reject`. `Receiver.handle` does all of it against a
`DuplicateRegister`, for callers without a journal.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from connectors.corv import soap
from connectors.corv.schemas import SchemaSet, default_schema_set
from connectors.corv.stuf import (
    JZ_NS, STUF_NS, Stuurgegevens, StufFault, StufFout, build_bv03, build_fo03, gemeentecode, read_stuurgegevens,
)

# What ontvangAsynchroon accepts: the jz Di01 messages, and CORV's asynchronous answers to ours.
JZ_MESSAGES = ("vtoDi01", "notificatieDi01", "notificatiejrDi01", "zorgmeldingDi01", "zorgmeldingTerugkoppelingDi01")
STUF_MESSAGES = ("Bv01Bericht", "Fo01Bericht")
_ACCEPTED = {f"{{{JZ_NS}}}{name}" for name in JZ_MESSAGES} | {f"{{{STUF_NS}}}{name}" for name in STUF_MESSAGES}
MAX_DETAILS = 5  # validation problems quoted in a Fo03


@dataclass(frozen=True)
class ReceivedMessage:
    """A message that passed every check: the StUF message element, its name, stuurgegevens and tenant."""

    message: etree._Element
    name: str
    stuurgegevens: Stuurgegevens
    gemeentecode: str

    @property
    def duplicate_key(self) -> str:
        return self.stuurgegevens.duplicate_key


@dataclass(frozen=True)
class Answer:
    """What to send back: HTTP status, SOAP body, and the message (accepted) or the fault (rejected)."""

    status: int
    body: bytes
    received: ReceivedMessage | None
    fout: StufFout | None

    @property
    def accepted(self) -> bool:
        return self.fout is None


class DuplicateRegister(Protocol):
    def add(self, key: str) -> bool:
        """Record `key`; True when it was new, False when it had been recorded before."""


class MemoryDuplicateRegister:
    """Keys seen by this process (tests, tools); the gateway uses its journal's unique key instead."""

    def __init__(self) -> None:
        self._keys: set[str] = set()

    def add(self, key: str) -> bool:
        if key in self._keys:
            return False
        self._keys.add(key)
        return True


class Receiver:
    """Checks incoming CORV requests for the municipalities this gateway serves.

    `gemeentecodes`: the tenants served (None: any gemeentecode); `applicaties`: applicatie → gemeentecode, for
    ontvangers whose organisatie is not itself a gemeentecode.
    """

    def __init__(self, schemas: SchemaSet | None = None, *, gemeentecodes: Collection[str] | None = None,
                 applicaties: dict[str, str] | None = None, max_bytes: int | None = None) -> None:
        self.schemas = schemas or default_schema_set()
        self.gemeentecodes = None if gemeentecodes is None else set(gemeentecodes)
        self.applicaties = dict(applicaties or {})
        self.max_bytes = max_bytes

    def check(self, data: bytes) -> ReceivedMessage:
        """The accepted message in `data` (a SOAP request), or `StufFault` saying why it is not accepted."""
        try:
            message = soap.body_payload(data, max_bytes=self.max_bytes)
        except soap.SoapError as error:
            raise StufFault(StufFout("StUF055", f"line {error.line}: {error.reason}" if error.line
                                     else error.reason)) from None
        stuurgegevens = read_stuurgegevens(message)
        if message.tag not in _ACCEPTED:
            raise StufFault(StufFout("StUF025", f"{etree.QName(message).localname} is not a message of this "
                                                f"service (accepted: {', '.join(JZ_MESSAGES + STUF_MESSAGES)})"),
                            stuurgegevens)
        problems = self.schemas.validate(message)
        if problems:
            details = "; ".join(str(problem) for problem in problems[:MAX_DETAILS])
            more = len(problems) - MAX_DETAILS
            raise StufFault(StufFout("StUF055", details + (f"; and {more} more" if more > 0 else "")), stuurgegevens)
        tenant = gemeentecode(stuurgegevens.ontvanger, self.applicaties)
        if tenant is None or (self.gemeentecodes is not None and tenant not in self.gemeentecodes):
            raise StufFault(StufFout("StUF010", f"ontvanger organisatie {stuurgegevens.ontvanger.organisatie!r}, "
                                                f"applicatie {stuurgegevens.ontvanger.applicatie!r} is not a "
                                                "municipality served here"), stuurgegevens)
        return ReceivedMessage(message, etree.QName(message).localname, stuurgegevens, tenant)

    @staticmethod
    def accept(received: ReceivedMessage) -> bytes:
        """The SOAP response confirming receipt (Bv03)."""
        return soap.envelope(build_bv03(received.stuurgegevens))

    @staticmethod
    def reject(fault: StufFault) -> bytes:
        """The SOAP Fault carrying the Fo03."""
        faultcode = "Client" if fault.fout.plek == "client" else "Server"
        return soap.fault_envelope(faultcode, fault.fout.omschrijving, build_fo03(fault.fout, fault.stuurgegevens))

    @staticmethod
    def duplicate(received: ReceivedMessage) -> StufFault:
        """The fault for a message whose zender and referentienummer were seen before."""
        return StufFault(StufFout("StUF016", f"referentienummer {received.stuurgegevens.referentienummer!r} of "
                                             "this zender was received before"), received.stuurgegevens)

    def handle(self, data: bytes, register: DuplicateRegister) -> Answer:
        """Check, register and answer in one go."""
        try:
            received = self.check(data)
            if not register.add(received.duplicate_key):
                raise self.duplicate(received)
        except StufFault as fault:
            return Answer(500, self.reject(fault), None, fault.fout)
        return Answer(200, self.accept(received), received, None)
