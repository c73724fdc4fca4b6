"""The canonical JSON form of iWmo/iJw messages, lossless both ways.

    {"standard": "ijw", "message": "JW301", "release": "3.2",
     "Bericht": {"Header": {"BerichtCode": "436", ...},
                 "Client": {"Bsn": "999900006", ...,
                            "ToegewezenProducten": {"ToegewezenProduct": [{...}, {...}]}}}}

- keys are the elements' local names; namespaces follow from `standard` and `message`;
- an element the schema lets repeat is ALWAYS a list (even with one item); any other element is an object
  (complex content) or a string (simple content); an absent optional element is an absent key;
- values are the XML text exactly, as strings (no number or date coercion: "0384" stays "0384");
- on the way back the element order comes from the schema, not from the JSON object.

The walk over the compiled schema is `connectors.common.xml_json` (shared with CORV), so it fits every message of
both standards. The mapping checks structure (names, nesting, cardinality shape); content is the XSD's job.
"""
from __future__ import annotations

from typing import Any

from lxml import etree

from connectors.common.xml_json import MappingError, element_to_json, json_to_element
from connectors.istandaarden import catalogue
from connectors.istandaarden.schema_structure import message_root
from connectors.istandaarden.validation import SchemaRegistry

__all__ = ["MappingError", "to_json", "to_xml"]

RELEASE = catalogue.RELEASE
_ENVELOPE = ("standard", "message", "release", "Bericht")


def to_json(root: etree._Element | etree._ElementTree, registry: SchemaRegistry | None = None) -> dict[str, Any]:
    """The JSON form of a heen- or retourbericht (the root `Bericht` element, or its tree)."""
    root = root.getroot() if isinstance(root, etree._ElementTree) else root
    name = etree.QName(root)
    message = catalogue.by_namespace(name.namespace)
    if message is None:
        raise MappingError(f"/{name.localname}", f"not an iWmo/iJw {RELEASE} message (namespace "
                                                 f"{name.namespace!r})", root.sourceline)
    xsd_root = message_root(message, registry)
    if name.localname != xsd_root.local_name:
        raise MappingError(f"/{name.localname}", f"root element must be {xsd_root.local_name}", root.sourceline)
    return {"standard": message.standard, "message": message.code, "release": RELEASE,
            xsd_root.local_name: element_to_json(root, xsd_root)}


def to_xml(document: Any, registry: SchemaRegistry | None = None) -> etree._Element:
    """The `Bericht` element for a JSON form (as produced by `to_json`)."""
    if not isinstance(document, dict):
        raise MappingError("$", f"expected a JSON object, got {'a list' if isinstance(document, list) else 'a value'}")
    for key in ("standard", "message"):
        if not isinstance(document.get(key), str):
            raise MappingError(f"$.{key}", "missing (a string such as \"ijw\" / \"JW301\")")
    message = catalogue.by_code(document["message"])
    if message is None or message.standard != document["standard"]:
        raise MappingError("$.message", f"unknown message {document['message']!r} of standard "
                                        f"{document['standard']!r}")
    if document.get("release", RELEASE) != RELEASE:
        raise MappingError("$.release", f"release {document['release']!r} is not supported (only {RELEASE})")
    extra = sorted(set(document) - set(_ENVELOPE))
    if extra:
        raise MappingError("$", f"unexpected key(s) {', '.join(extra)}")
    if "Bericht" not in document:
        raise MappingError("$.Bericht", "missing")
    nsmap = {message.prefix: message.namespace, message.standard: catalogue.basisschema_namespace(message.standard)}
    return json_to_element(document["Bericht"], message_root(message, registry), nsmap, "$.Bericht")
