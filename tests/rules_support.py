"""Helpers for the rule tests: load a reference example and change it programmatically."""
from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

from lxml import etree

from connectors.istandaarden import rules

# Later than every example's Dagtekening, so TR135 holds for the examples.
TODAY = date(2027, 1, 1)


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
