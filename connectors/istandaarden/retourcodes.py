"""Codelist WJ001: the RetourCodes of iWmo/iJw 3.2 and what they mean.

The data is generated (`retourcodes_data.py`, from tools/gen_retourcodes.py); this module is the way to read it.
"""
from __future__ import annotations

from dataclasses import dataclass

from connectors.istandaarden.retourcodes_data import RETOURCODES

GEEN_OPMERKING = "0200"
TECHNISCH_AFGEKEURD = "0001"
NIET_BEOORDEELD = "0233"
DECLARATIE_VOLLEDIG_TOEGEWEZEN = "8001"


class UnknownRetourCode(ValueError):
    """A code that is not in codelist WJ001 of the standard."""


@dataclass(frozen=True)
class RetourCode:
    standard: str
    code: str
    meaning: str | None
    rule: str | None
    messages: tuple[str, ...]


def lookup(standard: str, code: str) -> RetourCode:
    """The codelist entry for `code`; UnknownRetourCode when WJ001 of `standard` does not have it."""
    try:
        fact = RETOURCODES[standard][code]
    except KeyError:
        if standard not in RETOURCODES:
            raise UnknownRetourCode(f"unknown standard {standard!r} (known: {', '.join(RETOURCODES)})") from None
        raise UnknownRetourCode(f"unknown retourcode {code!r}: not in codelist WJ001 of {standard} 3.2") from None
    return RetourCode(standard, code, fact["meaning"], fact["rule"], fact["messages"])


def is_known(standard: str, code: str) -> bool:
    return code in RETOURCODES.get(standard, {})


def meaning(standard: str, code: str) -> str | None:
    return lookup(standard, code).meaning


def all_codes(standard: str) -> tuple[RetourCode, ...]:
    return tuple(lookup(standard, code) for code in RETOURCODES[standard])
