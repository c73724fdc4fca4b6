"""A read-only view on a parsed iWmo/iJw message for the rules: typed values by local element names."""
from __future__ import annotations

import functools
from datetime import date

from lxml import etree

from connectors.istandaarden import catalogue
from connectors.istandaarden.problems import path_below_root


class NotAnIStandaardenMessage(ValueError):
    """The root element is not a message of iWmo/iJw 3.2."""


@functools.cache  # the rules use a fixed set of paths, on every message
def _steps(path: str) -> str:
    return "/".join(step if step in ("", ".", "..", "*") else "{*}" + step for step in path.split("/"))


@functools.cache
def _child_tags(path: str) -> tuple[str, ...] | None:
    """"Client/Bsn" -> ("{*}Client", "{*}Bsn"): a path of child names, walked with lxml's iterchildren in C at half
    the cost of ElementPath; None for a path with other steps (., .., *, //, [n]), which ElementPath walks."""
    steps = path.split("/")
    if any(step in ("", ".", "..", "*") or "[" in step for step in steps):
        return None
    return tuple("{*}" + step for step in steps)


def _first(element: etree._Element, tags: tuple[str, ...], depth: int = 0) -> etree._Element | None:
    """The first element in document order at the end of `tags`, as ElementPath's find gives it."""
    last = depth == len(tags) - 1
    for child in element.iterchildren(tags[depth]):
        found = child if last else _first(child, tags, depth + 1)
        if found is not None:
            return found
    return None


def parse_date(text: str | None) -> date | None:
    """An xs:date without time zone (what LDT_Datum allows); None when absent or not an existing date."""
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def parse_int(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text else None
    except ValueError:
        return None


class Message:
    """One message: its type (catalogue), header values and helpers that find elements by local names."""

    def __init__(self, root: etree._Element) -> None:
        if not isinstance(root.tag, str):
            raise NotAnIStandaardenMessage("the document has no root element")
        namespace = etree.QName(root).namespace
        message_type = catalogue.by_namespace(namespace or "")
        if message_type is None:
            raise NotAnIStandaardenMessage(f"root element {root.tag} is not an iWmo/iJw {catalogue.RELEASE} message")
        self.root = root
        self.type = message_type
        self.standard = message_type.standard
        self.code = message_type.code
        self.number = message_type.number
        self.header = self.find(root, "Header")
        # Look-ups in the register that several rules share, kept for the one check of this message.
        self.memo: dict = {}
        # Values by (element, path): the rules and the register's records ask for the same ones (the BSN, the
        # products, their dates), half of all asks. The tree is not changed while this view is in use.
        self._texts: dict[tuple[etree._Element | None, str], str | None] = {}

    # -- finding elements and values (paths of local names, e.g. "Client/Bsn") --

    def find(self, element: etree._Element | None, path: str) -> etree._Element | None:
        if element is None:
            return None
        tags = _child_tags(path)
        return element.find(_steps(path)) if tags is None else _first(element, tags)

    def findall(self, element: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if element is None else element.findall(_steps(path))

    def text(self, element: etree._Element | None, path: str) -> str | None:
        key = (element, path)
        try:
            return self._texts[key]
        except KeyError:
            found = self.find(element, path)
            value = self._texts[key] = None if found is None or found.text is None else found.text.strip()
            return value

    def date(self, element: etree._Element | None, path: str) -> date | None:
        return parse_date(self.text(element, path))

    def int(self, element: etree._Element | None, path: str) -> int | None:
        return parse_int(self.text(element, path))

    def signed_amount(self, element: etree._Element | None, path: str, amount: str = "Bedrag") -> int | None:
        """A CDT_BedragMetDC or CDT_TotaalBedragMetDC in eurocents, negative when DebetCredit is C."""
        found = self.find(element, path)
        value = self.int(found, amount)
        if value is None:
            return None
        return -value if self.text(found, "DebetCredit") == "C" else value

    def path_of(self, element: etree._Element) -> str:
        """The element path of local names from the root, with an index where a name repeats among siblings."""
        return path_below_root(element)

    # -- header --

    @property
    def dagtekening(self) -> date | None:
        return self.date(self.header, "BerichtIdentificatie/Dagtekening")

    @property
    def identificatie(self) -> str | None:
        return self.text(self.header, "BerichtIdentificatie/Identificatie")

    @property
    def sender(self) -> str | None:
        return self.text(self.header, "Afzender")

    @property
    def receiver(self) -> str | None:
        return self.text(self.header, "Ontvanger")

    @property
    def sent_by_gemeente(self) -> bool:
        return self.type.sender == catalogue.GEMEENTE

    @property
    def gemeente(self) -> str | None:
        """The gemeentecode of the tenant: the sender of a 301/319/325, else the receiver."""
        return self.sender if self.sent_by_gemeente else self.receiver

    @property
    def aanbieder(self) -> str | None:
        """The AGB code of the provider: the receiver of a 301/319/325, else the sender."""
        return self.receiver if self.sent_by_gemeente else self.sender
