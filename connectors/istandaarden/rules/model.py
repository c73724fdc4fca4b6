"""What the rules work with: the context of a check, what a check reports and the registry of check functions."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from connectors.istandaarden.rules.gemeentecodes_data import GEMEENTECODES_2026

HEADER = "Header"


@dataclass(frozen=True)
class Tarief:
    """A contractual tariff: `bedrag` in eurocents per `eenheid` (codelist WJ756, e.g. "04" uur)."""

    bedrag: int
    eenheid: str


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the message, for the tenant and provider the message is between.

    `today` is the system date (TR135); `products` maps a ProductCategorie to the ProductCodes of the tenant's
    productcodelijst (TR381) and `tariffs` a ProductCode to the contractual tariff (TR346, TR418). A list that is
    None is not configured: the rules that need it are not checked.
    """

    today: date
    gemeentecodes: frozenset[str] = field(default_factory=lambda: frozenset(GEMEENTECODES_2026))
    products: Mapping[str, frozenset[str]] | None = None
    tariffs: Mapping[str, Tarief] | None = None


@dataclass(frozen=True)
class Finding:
    """One violated rule: its retourcode belongs at the berichtklasse `path` of the heenbericht.

    `path` is an element path of local names from the root (`Header`, `Client`,
    `Client/ToegewezenProducten/ToegewezenProduct[2]`; an index only where a name repeats among its siblings), so
    `root.find(path with {*} before each step)` finds the element. Retourcode 0001 rejects the whole message and is
    always placed at `Header`. `location` is the element path of the offending value, `detail` says what is wrong
    (never a BSN or a name).
    """

    rule: str
    retourcode: str
    path: str
    location: str
    detail: str

    @property
    def klasse(self) -> str:
        """The berichtklasse addressed: `Header`, `Client`, `ToegewezenProduct`, ..."""
        return self.path.rsplit("/", 1)[-1].split("[", 1)[0]


@dataclass(frozen=True)
class Violation:
    """What a check function yields: the record (berichtklasse element) it concerns, where exactly, and why."""

    record: etree._Element | None
    detail: str
    at: etree._Element | None = None


Check = Callable[..., Iterable[Violation]]


@dataclass(frozen=True)
class CheckFunction:
    function: Check
    uses_register: bool


CHECKS: dict[str, CheckFunction] = {}


def rule(code: str, *, uses_register: bool = False) -> Callable[[Check], Check]:
    """Register the check function of a technical rule.

    Without the register: `check(message, context) -> Iterable[Violation]`. With it:
    `async check(message, context, register) -> list[Violation]`.
    """

    def register(function: Check) -> Check:
        if code in CHECKS:
            raise ValueError(f"rule {code} has two check functions")
        CHECKS[code] = CheckFunction(function, uses_register)
        return function

    return register
