"""The iWmo and iJw 3.2 messages: codes, berichtcodes, namespaces, direction, and which retour answers which
heenbericht."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

RELEASE = "3.2"
STANDARDS = ("iwmo", "ijw")
GEMEENTE = "gemeente"
AANBIEDER = "aanbieder"
HEEN = "heen"
RETOUR = "retour"

# Namespaces look like http://www.istandaarden.nl/iwmo/3_2/wmo301/schema; group 4 is the message or "basisschema".
NAMESPACE_PATTERN = re.compile(r"^http://www\.istandaarden\.nl/(iwmo|ijw)/(\d+)_(\d+)/([a-z]+\d*)/schema$")

_CODE_PREFIX = {"iwmo": "WMO", "ijw": "JW"}
STANDARD_TITLES = {"iwmo": "iWmo", "ijw": "iJw"}

# number -> (who sends it, title, berichtcode iWmo, berichtcode iJw, the heenbericht it answers)
_MESSAGES: dict[int, tuple[str, str, int, int, int | None]] = {
    301: (GEMEENTE, "Toewijzing", 414, 436, None),
    302: (AANBIEDER, "Retour toewijzing", 415, 437, 301),
    305: (AANBIEDER, "Start zorg", 418, 438, None),
    306: (GEMEENTE, "Retour start zorg", 419, 439, 305),
    307: (AANBIEDER, "Stop zorg", 420, 440, None),
    308: (GEMEENTE, "Retour stop zorg", 421, 441, 307),
    315: (AANBIEDER, "Verzoek om toewijzing", 444, 446, None),
    316: (GEMEENTE, "Retour verzoek om toewijzing", 445, 447, 315),
    317: (AANBIEDER, "Verzoek om wijziging", 480, 486, None),
    318: (GEMEENTE, "Retour verzoek om wijziging", 481, 487, 317),
    319: (GEMEENTE, "Antwoord op verzoek", 482, 488, None),
    320: (AANBIEDER, "Retour antwoord op verzoek", 483, 489, 319),
    323: (AANBIEDER, "Declaratie", 484, 490, None),
    325: (GEMEENTE, "Declaratie-antwoord", 485, 491, 323),
}
_ANSWERED_BY = {answers: number for number, (*_, answers) in _MESSAGES.items() if answers}


@dataclass(frozen=True)
class MessageType:
    """One message of one standard, e.g. WMO301 (iWmo Toewijzing)."""

    standard: str
    number: int
    berichtcode: int
    sender: str
    title: str
    answers: int | None

    @functools.cached_property
    def code(self) -> str:
        return f"{_CODE_PREFIX[self.standard]}{self.number}"

    @functools.cached_property
    def prefix(self) -> str:
        """The namespace prefix the official schemas use: wmo301, jw301."""
        return self.code.lower()

    @functools.cached_property
    def namespace(self) -> str:
        return message_namespace(self.standard, self.prefix)

    @functools.cached_property
    def schema_file(self) -> str:
        return f"{self.code}.xsd"

    @property
    def direction(self) -> str:
        return RETOUR if self.answers else HEEN

    @property
    def receiver(self) -> str:
        return AANBIEDER if self.sender == GEMEENTE else GEMEENTE

    @property
    def retour_code(self) -> str | None:
        """For a heenbericht: the code of the retour that answers it."""
        number = _ANSWERED_BY.get(self.number)
        return f"{_CODE_PREFIX[self.standard]}{number}" if number else None

    @property
    def answers_code(self) -> str | None:
        """For a retour: the code of the heenbericht it answers."""
        return f"{_CODE_PREFIX[self.standard]}{self.answers}" if self.answers else None

    def describe(self) -> str:
        return f"{self.code} ({STANDARD_TITLES[self.standard]} {RELEASE} {self.title})"


def message_namespace(standard: str, name: str, release: str = RELEASE) -> str:
    return f"http://www.istandaarden.nl/{standard}/{release.replace('.', '_')}/{name}/schema"


def basisschema_namespace(standard: str) -> str:
    return message_namespace(standard, "basisschema")


MESSAGES: tuple[MessageType, ...] = tuple(
    MessageType(standard, number, codes[STANDARDS.index(standard)], sender, title, answers)
    for standard in STANDARDS
    for number, (sender, title, *codes, answers) in _MESSAGES.items()
)
_BY_CODE = {m.code: m for m in MESSAGES}
_BY_NAMESPACE = {m.namespace: m for m in MESSAGES}


def by_code(code: str) -> MessageType | None:
    """WMO301, JW325 (case-insensitive); None when there is no such message."""
    return _BY_CODE.get(code.upper())


def by_namespace(namespace: str) -> MessageType | None:
    """The message whose 3.2 schema has this target namespace; None when there is none."""
    return _BY_NAMESPACE.get(namespace)


def messages(standard: str | None = None) -> tuple[MessageType, ...]:
    return tuple(m for m in MESSAGES if standard in (None, m.standard))
