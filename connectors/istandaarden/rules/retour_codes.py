"""Findings as the RetourCodes per record class that `retour.build_retour` takes."""
from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from connectors.istandaarden.declaratie_antwoord import RENAMES
from connectors.istandaarden.rules.engine import TECHNISCH_AFGEKEURD
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import HEADER, Finding


def retour_codes(document: etree._Element | Message, findings: Iterable[Finding]) -> dict:
    """`{"Header": [...], "Prestatie": {"#3": [...]}, ...}`: each finding's retourcode at its record.

    A record is selected by its position among the records of its class in document order (`#n`), as
    `retour_records` counts them. With 0001 on the Header the retour is the Header alone: only its codes are given.
    """
    message = document if isinstance(document, Message) else Message(document)
    header: list[str] = []
    records: dict[str, dict[str, list[str]]] = {}
    positions: dict[str, dict[etree._Element, int]] = {}  # per tag, once: a message may have a finding per record
    for finding in findings:
        if finding.path == HEADER:
            codes = header
        else:
            element = message.root.find("/".join("{*}" + step for step in finding.path.split("/")))
            name = etree.QName(element).localname
            if element.tag not in positions:
                positions[element.tag] = {each: n for n, each in enumerate(message.root.iter(element.tag), 1)}
            position = positions[element.tag][element]
            codes = records.setdefault(RENAMES.get(name, name), {}).setdefault(f"#{position}", [])
        if finding.retourcode not in codes:
            codes.append(finding.retourcode)
    if TECHNISCH_AFGEKEURD in header:
        return {HEADER: header}
    return ({HEADER: header} if header else {}) | records
