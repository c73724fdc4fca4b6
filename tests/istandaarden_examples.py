"""The reference example messages as test parameters, and tree equivalence for round trips."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from connectors.istandaarden import catalogue

REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference"

# Known facts of the reference: JW315 has an impossible date, JW318 RetourCode where RetourCodes belongs.
KNOWN_INVALID = {"JW315.xml", "JW318.xml"}


def example_params(*, heen_only: bool = False, valid_only: bool = True) -> list:
    """pytest params (one per example file); a single visibly skipped param when the reference is absent."""
    folder = REFERENCE_DIR / "istandaarden"
    if not folder.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"reference material not found at {folder}"))]
    params = []
    for path in sorted(folder.glob("*-3.2/examples/*.xml")):
        message = catalogue.by_code(path.stem)
        if heen_only and message.retour_code is None or valid_only and path.name in KNOWN_INVALID:
            continue
        params.append(pytest.param(path, id=path.stem))
    return params


def load(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot()


def example(reference_dir: Path, code: str) -> etree._Element:
    standard = catalogue.by_code(code).standard
    return load(reference_dir / "istandaarden" / f"{standard}-3.2" / "examples" / f"{code}.xml")


def canonical(element: etree._Element) -> tuple:
    """An element as (namespace tag, value, children): equal for equivalent documents whatever their prefixes and
    indentation. A leaf's value is its exact text; an element with children has no value."""
    children = [child for child in element.iterchildren(etree.Element)]
    if not children:
        return element.tag, element.text or "", ()
    return element.tag, None, tuple(canonical(child) for child in children)
