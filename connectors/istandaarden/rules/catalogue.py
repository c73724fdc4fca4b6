"""The catalogue of technical rules: every rule of the standards, with its check function where one exists."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from connectors.istandaarden.rules.catalogue_data import RULE_FACTS
from connectors.istandaarden.rules.model import CHECKS, CheckFunction

LEVELS = ("xslt", "externe-bron", "berichtoverstijgend")
# A check the standards imply but list no TR for: the BSN eleven test of datatype LDT_BurgerServicenummer.
_PROJECT_RULES = {
    "ELFPROEF": {"retourcode": "0001", "level": "xslt", "source": "project",
                 "messages": {"iwmo": ("WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO323"),
                              "ijw": ("JW301", "JW305", "JW307", "JW315", "JW317", "JW323", "JW325")}},
}


@dataclass(frozen=True)
class Rule:
    """One technical rule of one standard."""

    code: str
    standard: str
    retourcode: str | None
    level: str
    messages: tuple[str, ...]
    source: str
    check: CheckFunction | None

    @property
    def implemented(self) -> bool:
        return self.check is not None

    def applies_to(self, message_code: str) -> bool:
        return message_code in self.messages

    def as_dict(self) -> dict:
        """The line of `ketenpoort rules list --json`."""
        return {"code": self.code, "retourcode": self.retourcode, "level": self.level, "standard": self.standard,
                "implemented": self.implemented}


@cache
def _build() -> tuple[Rule, ...]:
    # Called after the rule modules registered their checks (the package imports them first).
    rules = [
        Rule(code, standard, fact["retourcode"], fact["level"], fact["messages"], fact["source"], CHECKS.get(code))
        for standard, facts in RULE_FACTS.items()
        for code, fact in facts.items()
    ]
    rules += [
        Rule(code, standard, fact["retourcode"], fact["level"], messages, fact["source"], CHECKS.get(code))
        for code, fact in _PROJECT_RULES.items()
        for standard, messages in fact["messages"].items()
    ]
    return tuple(sorted(rules, key=lambda r: (r.standard != "iwmo", r.code)))


def all_rules(standard: str | None = None) -> tuple[Rule, ...]:
    """Every rule (of one standard, or of both), implemented or not."""
    return tuple(r for r in _build() if standard in (None, r.standard))


@cache  # asked for every message; the catalogue is fixed once the rule modules are imported (as `_build`)
def rules_for(standard: str, message_code: str) -> tuple[Rule, ...]:
    """The implemented rules that apply to a message, in catalogue order."""
    return tuple(r for r in all_rules(standard) if r.implemented and r.applies_to(message_code))


def coverage(standard: str | None = None) -> dict[str, tuple[int, int]]:
    """Per level: (implemented, total)."""
    rules = all_rules(standard)
    return {
        level: (sum(r.implemented for r in rules if r.level == level), sum(r.level == level for r in rules))
        for level in LEVELS
    }
