"""The JSON form of CORV messages for backoffice systems, lossless both ways (`connectors.common.xml_json`).

    {"standard": "corv", "message": "vtoDi01", "release": "jz0100 1.0.9",
     "vtoDi01": {"stuurgegevens": {"berichtcode": "Di01", ...},
                 "object": {"@entiteittype": "ZAK", "identificatie": "0448-VTO-2025-001", ...,
                            "heeftBetrekkingOp": [{"gerelateerde": {"natuurlijkPersoon": {
                                "geboortedatum": {"@nil": "true", "@noValue": "waardeOnbekend"}, ...}}}]}}}
"""
from __future__ import annotations

from typing import Any

from lxml import etree

from connectors.common.xml_json import MappingError, element_to_json, json_to_element
from connectors.corv.inbound import JZ_MESSAGES, STUF_MESSAGES
from connectors.corv.schemas import SchemaSet, default_schema_set
from connectors.corv.stuf import JZ_NS, NSMAP, STUF_NS

STANDARD = "corv"
RELEASE = "jz0100 1.0.9"
_NAMESPACE_OF = {**{name: JZ_NS for name in JZ_MESSAGES},
                 **{name: STUF_NS for name in STUF_MESSAGES + ("Bv03Bericht", "Fo03Bericht")}}


def _declaration(schemas: SchemaSet, name: str, where: str):
    if name not in _NAMESPACE_OF:
        raise MappingError(where, f"{name!r} is not a CORV message (expected one of: {', '.join(_NAMESPACE_OF)})")
    return schemas.xsd.maps.elements[f"{{{_NAMESPACE_OF[name]}}}{name}"]


def to_json(message: etree._Element, schemas: SchemaSet | None = None) -> dict[str, Any]:
    """The JSON form of a CORV message element (the SOAP Body content)."""
    name = etree.QName(message)
    declaration = _declaration(schemas or default_schema_set(), name.localname, f"/{name.localname}")
    if declaration.name != message.tag:
        raise MappingError(f"/{name.localname}", f"wrong namespace {name.namespace!r}", message.sourceline)
    return {"standard": STANDARD, "message": name.localname, "release": RELEASE,
            name.localname: element_to_json(message, declaration)}


def to_xml(document: Any, schemas: SchemaSet | None = None) -> etree._Element:
    """The CORV message element for its JSON form."""
    if not isinstance(document, dict):
        raise MappingError("$", "expected a JSON object")
    if document.get("standard") != STANDARD:
        raise MappingError("$.standard", f"expected \"{STANDARD}\"")
    if document.get("release", RELEASE) != RELEASE:
        raise MappingError("$.release", f"release {document['release']!r} is not supported (only {RELEASE})")
    name = document.get("message")
    if not isinstance(name, str):
        raise MappingError("$.message", "missing (a string such as \"vtoDi01\")")
    declaration = _declaration(schemas or default_schema_set(), name, "$.message")
    extra = sorted(set(document) - {"standard", "message", "release", name})
    if extra:
        raise MappingError("$", f"unexpected key(s) {', '.join(extra)}")
    if name not in document:
        raise MappingError(f"$.{name}", "missing")
    return json_to_element(document[name], declaration, NSMAP, f"$.{name}")
