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

The walk goes over the compiled schema (xmlschema), so it fits every message of both standards. The mapping
checks structure (names, nesting, cardinality shape); content rules are the XSD validator's job.
"""
from __future__ import annotations

from typing import Any

import xmlschema
from lxml import etree

from connectors.istandaarden import catalogue
from connectors.istandaarden.problems import Problem
from connectors.istandaarden.schema_structure import children, message_root
from connectors.istandaarden.validation import SchemaRegistry

RELEASE = catalogue.RELEASE
# xsi attributes are processing hints for validators, not message content.
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


class MappingError(ValueError):
    """The input does not fit the message's schema shape; `where` is an element path or a JSON path."""

    def __init__(self, where: str, message: str, line: int | None = None):
        self.where = where
        self.line = line
        self.problem = message
        super().__init__(f"{where}{f' (line {line})' if line else ''}: {message}")

    def as_problem(self) -> Problem:
        return Problem(self.line, self.where, self.problem)


def to_json(root: etree._Element, registry: SchemaRegistry | None = None) -> dict[str, Any]:
    """The JSON form of a heen- or retourbericht (the root `Bericht` element, or its tree)."""
    root = root.getroot() if isinstance(root, etree._ElementTree) else root
    message = catalogue.by_namespace(etree.QName(root).namespace)
    if message is None:
        raise MappingError(f"/{etree.QName(root).localname}", f"not an iWmo/iJw {RELEASE} message "
                           f"(namespace {etree.QName(root).namespace!r})", root.sourceline)
    xsd_root = message_root(message, registry)
    if etree.QName(root).localname != xsd_root.local_name:
        raise MappingError(f"/{etree.QName(root).localname}", f"root element must be {xsd_root.local_name}",
                           root.sourceline)
    return {"standard": message.standard, "message": message.code, "release": RELEASE,
            xsd_root.local_name: _element_to_json(root, xsd_root, f"/{xsd_root.local_name}")}


def to_xml(document: Any, registry: SchemaRegistry | None = None) -> etree._Element:
    """The `Bericht` element for a JSON form (as produced by `to_json`)."""
    if not isinstance(document, dict):
        raise MappingError("$", f"expected a JSON object, got {_json_kind(document)}")
    for key in ("standard", "message"):
        if not isinstance(document.get(key), str):
            raise MappingError(f"$.{key}", "missing (a string such as \"ijw\" / \"JW301\")")
    message = catalogue.by_code(document["message"])
    if message is None or message.standard != document["standard"]:
        raise MappingError("$.message", f"unknown message {document['message']!r} of standard "
                           f"{document['standard']!r}")
    if document.get("release", RELEASE) != RELEASE:
        raise MappingError("$.release", f"release {document['release']!r} is not supported (only {RELEASE})")
    extra = sorted(set(document) - {"standard", "message", "release", "Bericht"})
    if extra:
        raise MappingError("$", f"unexpected key(s) {', '.join(extra)}")
    if "Bericht" not in document:
        raise MappingError("$.Bericht", "missing")
    xsd_root = message_root(message, registry)
    root = etree.Element(xsd_root.name, nsmap={message.prefix: message.namespace,
                                               message.standard: catalogue.basisschema_namespace(message.standard)})
    _fill_from_json(root, document["Bericht"], xsd_root, "$.Bericht")
    return root


def _element_to_json(element: etree._Element, xsd_element: xmlschema.XsdElement, path: str) -> Any:
    unexpected = [name for name in element.attrib if etree.QName(name).namespace != _XSI]
    if unexpected:
        raise MappingError(path, f"unexpected attribute {unexpected[0]!r}", element.sourceline)
    if xsd_element.type.has_simple_content():
        if any(True for _ in element.iterchildren(etree.Element)):
            raise MappingError(path, "expected a value, found child elements", element.sourceline)
        # the text around any comments or processing instructions, as an XML processor reads the value
        return "".join([element.text or "", *(child.tail or "" for child in element)])
    if (element.text or "").strip() or any((child.tail or "").strip() for child in element):
        raise MappingError(path, "text is not allowed between the child elements", element.sourceline)
    expected = children(xsd_element)
    result: dict[str, Any] = {}
    for child in element.iterchildren(etree.Element):
        name = etree.QName(child)
        xsd_child = expected.get(name.localname)
        child_path = f"{path}/{name.localname}"
        if xsd_child is None:
            raise MappingError(child_path, f"element {name.localname} is not allowed in {xsd_element.local_name} "
                                           f"(allowed: {', '.join(expected)})", child.sourceline)
        if xsd_child.name != child.tag:
            raise MappingError(child_path, f"element {name.localname} is in namespace {name.namespace}, expected "
                                           f"{etree.QName(xsd_child.name).namespace}", child.sourceline)
        if xsd_child.is_multiple():
            items = result.setdefault(name.localname, [])
            items.append(_element_to_json(child, xsd_child, f"{child_path}[{len(items) + 1}]"))
        elif name.localname in result:
            raise MappingError(child_path, "occurs more than once where the schema allows one", child.sourceline)
        else:
            result[name.localname] = _element_to_json(child, xsd_child, child_path)
    return result


def _fill_from_json(element: etree._Element, value: Any, xsd_element: xmlschema.XsdElement, path: str) -> None:
    if xsd_element.type.has_simple_content():
        if not isinstance(value, str):
            raise MappingError(path, f"expected a string (values are the XML text), got {_json_kind(value)}")
        try:
            element.text = value
        except ValueError:
            raise MappingError(path, "contains characters that XML cannot carry (control characters)") from None
        return
    if not isinstance(value, dict):
        raise MappingError(path, f"expected an object with the elements of {xsd_element.local_name}, "
                                 f"got {_json_kind(value)}")
    expected = children(xsd_element)
    unknown = sorted(set(value) - set(expected))
    if unknown:
        raise MappingError(f"{path}.{unknown[0]}", f"unknown element in {xsd_element.local_name} "
                                                   f"(expected one of: {', '.join(expected)})")
    for name, xsd_child in expected.items():
        if name not in value:
            continue
        child_path = f"{path}.{name}"
        if xsd_child.is_multiple():
            if not isinstance(value[name], list):
                raise MappingError(child_path, f"expected a list (the element can repeat), "
                                               f"got {_json_kind(value[name])}")
            for index, item in enumerate(value[name]):
                _fill_from_json(etree.SubElement(element, xsd_child.name), item, xsd_child, f"{child_path}[{index}]")
        else:
            _fill_from_json(etree.SubElement(element, xsd_child.name), value[name], xsd_child, child_path)


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")
