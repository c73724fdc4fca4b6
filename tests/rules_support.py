"""Helpers for the rule tests: load a reference example and change it programmatically."""
from __future__ import annotations

import copy
import dataclasses
from datetime import date
from pathlib import Path

from lxml import etree

from connectors.istandaarden import rules
from connectors.istandaarden.rules.register import Prestatie, Toewijzing

# Later than every example's Dagtekening, so TR135 holds for the examples.
TODAY = date(2027, 1, 1)
CONTEXT = rules.RuleContext(today=TODAY)


def load(reference_dir: Path, name: str) -> etree._Element:
    standard = "iwmo" if name.startswith("WMO") else "ijw"
    return etree.parse(str(reference_dir / "istandaarden" / f"{standard}-3.2" / "examples" / f"{name}.xml")).getroot()


def _steps(path: str) -> str:
    return "/".join(step if step in (".", "..") else "{*}" + step for step in path.split("/"))


def at(root: etree._Element, path: str) -> etree._Element:
    found = root.find(_steps(path))
    assert found is not None, f"no element {path}"
    return found


def set_text(path: str, value: str):
    def change(root):
        at(root, path).text = value
    return change


def remove(path: str):
    def change(root):
        element = at(root, path)
        element.getparent().remove(element)
    return change


def duplicate(path: str, *changes):
    """Insert a copy of the element right after it, with `changes` (paths relative to the copy) applied."""
    def change(root):
        element = at(root, path)
        twin = copy.deepcopy(element)
        element.addnext(twin)
        for apply in changes:
            apply(twin)
    return change


def add_after(path: str, name: str, value: str):
    """Insert a sibling element `name` (in the namespace of the element at `path`) right after it."""
    def change(root):
        element = at(root, path)
        sibling = etree.Element(etree.QName(etree.QName(element).namespace, name))
        sibling.text = value
        element.addnext(sibling)
    return change


def variant(reference_dir: Path, name: str, *changes) -> etree._Element:
    root = load(reference_dir, name)
    for apply in changes:
        apply(root)
    return root


def fired(root: etree._Element, context: rules.RuleContext | None = None) -> dict[str, list[rules.Finding]]:
    """The findings of check_document per rule code."""
    result: dict[str, list[rules.Finding]] = {}
    for finding in rules.check_document(root, context or rules.RuleContext(today=TODAY)):
        result.setdefault(finding.rule, []).append(finding)
    return result


async def fired_with(register, root) -> dict[str, list[rules.Finding]]:
    """The findings of check_message with the register, per rule code."""
    result: dict[str, list[rules.Finding]] = {}
    for finding in await rules.check_message(root, CONTEXT, register):
        result.setdefault(finding.rule, []).append(finding)
    return result


async def accepted(register, root) -> list[rules.Finding]:
    """Check a message and add what it says to the register, as the gateway does with an accepted message."""
    findings = await rules.check_message(root, CONTEXT, register)
    await register.add(rules.records_from_message(root, findings))
    return findings


# -- register records between the parties of the WMO317, WMO319 and WMO323 examples --

TENANT, AGB = "0384", "65656055"  # the WMO323 example: provider 65656055 declares to gemeente 0384


def toewijzing(bsn: str, nummer: str, code: str | None, /, **changes) -> Toewijzing:
    """A ToegewezenProduct of 16 uur per maand in 2023; `changes` replace fields (also bsn, code, ...)."""
    allocated = Toewijzing(
        standard="iwmo", tenant=TENANT, agb=AGB, bsn=bsn, toewijzingnummer=nummer, referentie_aanbieder=None,
        categorie="01", code=code, toewijzingsdatum=date(2022, 12, 1), ingangsdatum=date(2023, 1, 1),
        einddatum=date(2023, 12, 31), reden_wijziging=None, volume=16, eenheid="04", frequentie="4", budget=None,
        identificatie="T1")
    return dataclasses.replace(allocated, **changes)


def earlier_prestatie(referentienummer: str, debet_credit: str = "D", /, **changes) -> Prestatie:
    declared = Prestatie(
        standard="iwmo", tenant=TENANT, agb=AGB, bsn="999900006", declaratienummer="DN000",
        referentienummer=referentienummer, vorig_referentienummer=None, toewijzingnummer="20072", categorie="01",
        code="01A03", begindatum=date(2023, 4, 1), einddatum=date(2023, 4, 30), volume=4, eenheid="04", tarief=1250,
        bedrag=5000, debet_credit=debet_credit, identificatie="D0")
    return dataclasses.replace(declared, **changes)
