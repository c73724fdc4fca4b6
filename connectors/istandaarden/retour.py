"""Retour messages: the answer (302, 306, 308, 316, 318, 320, 325) to a valid heenbericht (301 ... 323).

A retour is its heenbericht copied into the retour structure, with RetourCodes on every record (berichtklasse):
the given codes, or 0200 (geen opmerking) where there is no remark. Its Header keeps the heen's Afzender,
Ontvanger, BerichtIdentificatie and XsdVersie (the retour schemas type them exactly like the heen's), gets the
retour's BerichtCode and adds IdentificatieRetour, DagtekeningRetour, XsdVersieRetour and RetourCodes.
A code on the Header rejects the message as a whole (0001: technische afkeur): the retour is the Header alone.
The Declaratie (323) is answered differently, by a Declaratie-antwoord (325): see `declaratie_antwoord`.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from connectors.istandaarden import catalogue, declaratie_antwoord, retourcodes
from connectors.istandaarden.retour_records import (
    HEADER, CodeAssignment, Record, RetourError, append_retourcodes, record_classes, records_of,
)
from connectors.istandaarden.retour_transform import copy_to_retour
from connectors.istandaarden.schema_structure import Declaration, message_declaration, xsd_versions
from connectors.istandaarden.validation import SchemaRegistry

__all__ = ["RetourError", "RetourIdentity", "build_retour", "retour_message_for", "retour_record_classes"]

_IDENTIFICATIE_LENGTH = 12  # LDT_IdentificatieBericht: at most 12 characters


@dataclass(frozen=True)
class RetourIdentity:
    """How the retour identifies itself; by default a fresh identification dated today."""

    identificatie: str = field(default_factory=lambda: uuid.uuid4().hex[:_IDENTIFICATIE_LENGTH])
    dagtekening: date = field(default_factory=date.today)
    xslt_versie: str | None = None


def retour_message_for(heen: etree._Element) -> tuple[catalogue.MessageType, catalogue.MessageType]:
    """(heen message, retour message) for the root of a heenbericht; RetourError when it is none."""
    namespace = etree.QName(heen).namespace
    message = catalogue.by_namespace(namespace)
    if message is None:
        raise RetourError(f"/{etree.QName(heen).localname}",
                          f"not an iWmo/iJw {catalogue.RELEASE} message (namespace {namespace!r})")
    if message.retour_code is None:
        raise RetourError(f"/{etree.QName(heen).localname}",
                          f"{message.describe()} is not a heenbericht; only heenberichten get a retour")
    return message, catalogue.by_code(message.retour_code)


def retour_record_classes(retour: catalogue.MessageType, registry: SchemaRegistry | None = None) -> tuple[str, ...]:
    """The record classes of a retour message that carry RetourCodes, e.g. Header, Client, ToegewezenProduct."""
    return record_classes(message_declaration(retour, registry))


def build_retour(heen: etree._Element | etree._ElementTree, codes: Mapping[str, Any] | None = None, *,
                 identity: RetourIdentity | None = None, registry: SchemaRegistry | None = None,
                 rejected: bool = False) -> etree._Element:
    """The retour message (its `Bericht` root element) for a valid heenbericht.

    `codes` maps record classes to codes (format: `retour_records`); `rejected=True` is the same as
    `{"Header": ["0001"]}`. Raises RetourError when the codes do not fit the message or codelist WJ001.
    """
    heen = _root(heen)
    message, retour = retour_message_for(heen)
    retour_root = message_declaration(retour, registry)
    if rejected:
        codes = {**(codes or {}), HEADER: [retourcodes.TECHNISCH_AFGEKEURD]}
    # The records are only needed to place given codes; without any, every record gets 0200.
    records = records_of(heen, retour_root, declaratie_antwoord.RENAMES) if codes else []
    assignment = CodeAssignment(message.standard, record_classes(retour_root), records, codes)
    identity = identity or RetourIdentity()
    versions = xsd_versions(retour, registry)
    if message.number == declaratie_antwoord.HEEN_NUMBER:
        return declaratie_antwoord.build(heen, retour, retour_root, assignment, identity, versions)
    return _retour_of(heen, message, retour, retour_root, assignment, records, identity, versions)


def _append_xsd_versie(parent: etree._Element, tag: str, basis_namespace: str, versions: tuple[str, str]) -> None:
    versie = etree.SubElement(parent, tag)
    for local, value in zip(("BasisschemaXsdVersie", "BerichtXsdVersie"), versions):
        etree.SubElement(versie, f"{{{basis_namespace}}}{local}").text = value


def _retour_of(heen: etree._Element, message: catalogue.MessageType, retour: catalogue.MessageType,
               retour_root: Declaration, assignment: CodeAssignment, records: list[Record], identity: RetourIdentity,
               versions: tuple[str, str]) -> etree._Element:
    heen_header = _header(heen)
    header_only = assignment.has_remark(heen_header)
    root = copy_to_retour(heen, message, retour, retour_root, header_only=header_only)
    if records and not header_only:
        _place_codes(root, [record for record in records if record.name != HEADER], retour_root, assignment)
    header = root.find(f"{{{retour.namespace}}}{HEADER}")
    if header is None:
        raise RetourError("/Bericht/Header", "Header missing: the message is too broken to answer")
    _complete_header(header, retour, catalogue.basisschema_namespace(retour.standard),
                     assignment.codes_for(heen_header), identity, versions)
    return root


def _place_codes(root: etree._Element, records: list[Record], retour_root: Declaration,
                 assignment: CodeAssignment) -> None:
    """The given codes in place of 0200 on the copied records below the Header: in one order in heen and retour."""
    copied = [record.element for record in records_of(root, retour_root) if record.name != HEADER]
    for record, element in zip(records, copied, strict=True):
        codes = assignment.codes_for(record.element)
        if codes:
            element.remove(element[-1])
            append_retourcodes(element, etree.QName(element).namespace, codes)


def _complete_header(header: etree._Element, retour: catalogue.MessageType, basis: str, codes: tuple[str, ...],
                     identity: RetourIdentity, versions: tuple[str, str]) -> None:
    namespace = retour.namespace
    berichtcode = header.find(f"{{{namespace}}}BerichtCode")
    if berichtcode is None:
        raise RetourError("/Bericht/Header", "BerichtCode missing: the Header is too broken to answer")
    berichtcode.text = str(retour.berichtcode)
    etree.SubElement(header, f"{{{namespace}}}IdentificatieRetour").text = identity.identificatie
    etree.SubElement(header, f"{{{namespace}}}DagtekeningRetour").text = identity.dagtekening.isoformat()
    if identity.xslt_versie:
        etree.SubElement(header, f"{{{namespace}}}XsltVersie").text = identity.xslt_versie
    _append_xsd_versie(header, f"{{{namespace}}}XsdVersieRetour", basis, versions)
    append_retourcodes(header, namespace, codes)


def _header(heen: etree._Element) -> etree._Element:
    return heen.find(f"{{{etree.QName(heen).namespace}}}{HEADER}")


def _root(heen: etree._Element | etree._ElementTree) -> etree._Element:
    return heen.getroot() if isinstance(heen, etree._ElementTree) else heen

