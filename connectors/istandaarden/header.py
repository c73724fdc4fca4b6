"""Identify an iWmo/iJw message from its root namespace and read its Header."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from . import catalogue
from .catalogue import MessageType
from .problems import MessageError, Problem, local_name


@dataclass(frozen=True)
class Header:
    """The Header of a message as sent. Fields are None where the element is absent or (for dates) not a valid
    date: the XSD check reports those; reading the header never fails."""

    berichtcode: str | None
    berichtversie: str | None
    berichtsubversie: str | None
    afzender: str | None
    ontvanger: str | None
    identificatie: str | None
    dagtekening: date | None
    basisschema_xsd_versie: str | None
    bericht_xsd_versie: str | None
    # retour messages (302 ... 320): the identification of the retour itself
    identificatie_retour: str | None = None
    dagtekening_retour: date | None = None
    # Declaratie-antwoord (325): the identification of the Declaratie it answers
    declaratie_identificatie: str | None = None
    declaratie_dagtekening: date | None = None


def identify(root: etree._Element) -> MessageType:
    """The message type from the root element's namespace, or MessageError saying why it is not one we handle."""
    qname = etree.QName(root)
    message = catalogue.by_namespace(qname.namespace) if qname.namespace else None
    if message is None:
        raise MessageError([Problem(root.sourceline, "/" + qname.localname, _unknown_namespace(qname.namespace))])
    if qname.localname != "Bericht":
        raise MessageError([Problem(root.sourceline, "/" + qname.localname,
                                    f"root element is {qname.localname}, expected Bericht ({message.describe()})")])
    return message


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


def read_header(root: etree._Element) -> Header:
    """The Header fields of a message (root = the Bericht element)."""
    header = _children(_children(root).get("Header"))
    identificatie = _children(header.get("BerichtIdentificatie"))
    xsd_versie = _children(header.get("XsdVersie"))
    declaratie = _children(header.get("DeclaratieIdentificatie"))
    return Header(
        berichtcode=_text(header, "BerichtCode"),
        berichtversie=_text(header, "BerichtVersie"),
        berichtsubversie=_text(header, "BerichtSubversie"),
        afzender=_text(header, "Afzender"),
        ontvanger=_text(header, "Ontvanger"),
        identificatie=_text(identificatie, "Identificatie"),
        dagtekening=_date(identificatie, "Dagtekening"),
        basisschema_xsd_versie=_text(xsd_versie, "BasisschemaXsdVersie"),
        bericht_xsd_versie=_text(xsd_versie, "BerichtXsdVersie"),
        identificatie_retour=_text(header, "IdentificatieRetour"),
        dagtekening_retour=_date(header, "DagtekeningRetour"),
        declaratie_identificatie=_text(declaratie, "Identificatie"),
        declaratie_dagtekening=_date(declaratie, "Dagtekening"),
    )


def _children(element: etree._Element | None) -> dict[str, etree._Element]:
    """Child elements by local name (the first of each name); {} for None."""
    if element is None:
        return {}
    children: dict[str, etree._Element] = {}
    for child in element.iterchildren(tag=etree.Element):
        children.setdefault(local_name(child.tag), child)
    return children


def _text(children: dict[str, etree._Element], name: str) -> str | None:
    element = children.get(name)
    return element.text.strip() if element is not None and element.text else None


def _date(children: dict[str, etree._Element], name: str) -> date | None:
    text = _text(children, name)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
