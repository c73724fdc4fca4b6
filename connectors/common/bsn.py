"""The burgerservicenummer (BSN) and its 11-proof (elfproef)."""
from __future__ import annotations

import re

# Weights of the nine digits; the last digit counts negatively, which is what tells a BSN from a bank account number.
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


class InvalidBsn(ValueError):
    """A value that is not a BSN; the message says why without repeating the value."""


def is_valid_bsn(value: object) -> bool:
    """True when `value` is a string of nine digits that passes the 11-proof and is not all zeros."""
    try:
        check_bsn(value)
    except InvalidBsn:
        return False
    return True


def check_bsn(value: object) -> str:
    """Return `value` when it is a valid BSN, else raise `InvalidBsn` naming the problem."""
    if not isinstance(value, str):
        raise InvalidBsn("a BSN must be a string of 9 digits")
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        raise InvalidBsn("a BSN must be exactly 9 digits")
    if value == "000000000":
        raise InvalidBsn("a BSN cannot be all zeros")
    if sum(int(digit) * weight for digit, weight in zip(value, _WEIGHTS)) % 11:
        raise InvalidBsn("the BSN fails the 11-proof")
    return value


def holds_bsn(text: str) -> bool:
    """True when free text (a reason, a note) has a run of nine digits that is a valid BSN."""
    return any(is_valid_bsn(digits) for digits in _NINE_DIGITS.findall(text))
