"""Identify an iWmo/iJw message from its root namespace and read its Header."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from lxml import etree

from . import catalogue
from .catalogue import MessageType
from .problems import MessageError, Problem


@dataclass(slots=True)
class Header:
    """The Header of a message as sent. Fields are None where the element is absent or (for dates) not a valid
    date: the XSD check reports those; reading the header never fails."""

    berichtcode: str | None = None
    berichtversie: str | None = None
    berichtsubversie: str | None = None
    afzender: str | None = None
    ontvanger: str | None = None
    identificatie: str | None = None
    dagtekening: date | None = None
    basisschema_xsd_versie: str | None = None
    bericht_xsd_versie: str | None = None
    # retour messages (302 ... 320): the identification of the retour itself
    identificatie_retour: str | None = None
    dagtekening_retour: date | None = None
    # Declaratie-antwoord (325): the identification of the Declaratie it answers
    declaratie_identificatie: str | None = None
    declaratie_dagtekening: date | None = None


def identify(root: etree._Element) -> MessageType:
    """The message type from the root element's namespace, or MessageError saying why it is not one we handle."""
    message = _BY_ROOT_TAG.get(root.tag)
    if message is not None:
        return message
    namespace, _, name = root.tag[1:].rpartition("}") if root.tag.startswith("{") else ("", "", root.tag)
    message = catalogue.by_namespace(namespace)
    if message is None:
        raise MessageError([Problem(root.sourceline, "/" + name, _unknown_namespace(namespace))])
    if name != "Bericht":
        raise MessageError([Problem(root.sourceline, "/" + name,
                                    f"root element is {name}, expected Bericht ({message.describe()})")])
    return message


_BY_ROOT_TAG = {f"{{{m.namespace}}}Bericht": m for m in catalogue.MESSAGES}  # the one lookup a valid message needs


def _unknown_namespace(namespace: str | None) -> str:
    expected = f"an iWmo or iJw {catalogue.RELEASE} namespace such as {catalogue.MESSAGES[0].namespace}"
    if not namespace:
        return f"root element has no namespace; expected {expected}"
    match = catalogue.NAMESPACE_PATTERN.match(namespace)
    if match:
        standard, major, minor, name = match.groups()
        release = f"{major}.{minor}"
        if release != catalogue.RELEASE:
            return (f"release {release} is not supported, this gateway handles {catalogue.RELEASE} "
                    f"(namespace {namespace})")
        title = catalogue.STANDARD_TITLES[standard]
        return f"{name} is not an {title} {catalogue.RELEASE} message this gateway knows (namespace {namespace})"
    return f"unknown namespace {namespace}: not {expected}"


# Header element -> Header field; the groups hold two elements of the basisschema each.
_FIELDS = {"BerichtCode": "berichtcode", "BerichtVersie": "berichtversie", "BerichtSubversie": "berichtsubversie",
           "Afzender": "afzender", "Ontvanger": "ontvanger", "IdentificatieRetour": "identificatie_retour",
           "DagtekeningRetour": "dagtekening_retour"}
_GROUPS = {
    "BerichtIdentificatie": {"Identificatie": "identificatie", "Dagtekening": "dagtekening"},
    "XsdVersie": {"BasisschemaXsdVersie": "basisschema_xsd_versie", "BerichtXsdVersie": "bericht_xsd_versie"},
    "DeclaratieIdentificatie": {"Identificatie": "declaratie_identificatie", "Dagtekening": "declaratie_dagtekening"},
}
_DATES = {"dagtekening", "dagtekening_retour", "declaratie_dagtekening"}


def read_header(root: etree._Element) -> Header:
    """The Header fields of a message (root = the Bericht element). It runs for every incoming message, so it
    looks elements up by their full (namespaced) tag in one pass over the Header's children."""
    own = root.tag.partition("}")[0] + "}"
    header = next(root.iterchildren(own + "Header"), None)
    if header is None:
        return Header()
    fields, groups = _tags(own)
    values: dict[str, str | date | None] = {}
    for element in header.iterchildren(tag=etree.Element):
        tag = element.tag
        if tag in fields:
            values.setdefault(fields[tag], _value(fields[tag], element.text))
        elif tag in groups:
            for part in element.iterchildren(tag=etree.Element):
                field = groups[tag].get(part.tag.rpartition("}")[2])
                if field:
                    values.setdefault(field, _value(field, part.text))
    return Header(**values)


@functools.lru_cache(maxsize=None)
def _tags(own: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """_FIELDS and _GROUPS keyed by the full tag in the message's namespace `own` ("{namespace}")."""
    return ({own + name: field for name, field in _FIELDS.items()},
            {own + name: members for name, members in _GROUPS.items()})


def _value(field: str, text: str | None) -> str | date | None:
    """Stripped text; for a date field the date, or None when it does not exist (the XSD check reports it)."""
    text = text.strip() if text else None
    if text and field in _DATES:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return text or None
