"""A lossless, schema-aware XML ↔ JSON mapping for any message with a compiled xmlschema declaration.

- keys are the elements' local names (namespaces follow from the schema); attributes are "@" + local name;
  `xsi:nil="true"` is "@nil": "true";
- an element the schema lets repeat is ALWAYS a list; an element with simple content is a string, or, when it
  has attributes, an object with its attributes and its text under "#text";
- values are the XML text exactly, as strings; on the way back element order comes from the schema.

It is the generic form of `connectors/istandaarden/json_mapping.py`'s walk (which has no attributes and one
namespace); both standards can share it. Structure is checked here; content is the XSD validator's job.
"""
from __future__ import annotations

import weakref
from typing import Any

import xmlschema
from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NIL = f"{{{XSI}}}nil"
TEXT = "#text"
_CHILDREN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # type -> {local name: declaration}


class MappingError(ValueError):
    """The input does not fit the schema's shape; `where` is an element path or a JSON path."""

    def __init__(self, where: str, message: str, line: int | None = None):
        self.where = where
        self.line = line
        self.problem = message
        super().__init__(f"{where}{f' (line {line})' if line else ''}: {message}")


def _attributes(xsd_element: xmlschema.XsdElement) -> dict[str, str]:
    """Attribute local name → its qualified name, for the element's type."""
    attributes = getattr(xsd_element.type, "attributes", {})  # simple types have none
    return {etree.QName(name).localname: name for name in attributes if name}


def _children(xsd_element: xmlschema.XsdElement) -> dict[str, xmlschema.XsdElement]:
    # cached per type: a compiled schema is walked for every message, and iter_elements is slow
    declared = _CHILDREN.get(xsd_element.type)
    if declared is None:
        content = getattr(xsd_element.type, "content", None)  # simple types and simple content have no groups
        declared = {child.local_name: child for child in content.iter_elements()} \
            if hasattr(content, "iter_elements") else {}
        _CHILDREN[xsd_element.type] = declared
    return declared


def element_to_json(element: etree._Element, xsd_element: xmlschema.XsdElement, path: str = "") -> Any:
    """The JSON value of `element`, declared by `xsd_element`."""
    path = path or f"/{etree.QName(element).localname}"
    known = _attributes(xsd_element)
    result: dict[str, Any] = {}
    for name, value in element.attrib.items():
        qname = etree.QName(name)
        if name == _NIL:
            result["@nil"] = value
        elif qname.namespace == XSI:
            continue  # schemaLocation and friends are hints to validators, not content
        elif known.get(qname.localname) != name:
            raise MappingError(path, f"unexpected attribute {name!r}", element.sourceline)
        else:
            result["@" + qname.localname] = value
    has_children = any(True for _ in element.iterchildren(etree.Element))
    if xsd_element.type.has_simple_content() or not _children(xsd_element) and not has_children:
        if has_children:
            raise MappingError(path, "expected a value, found child elements", element.sourceline)
        # the text around any comments or processing instructions, as an XML processor reads the value
        text = "".join([element.text or "", *(child.tail or "" for child in element)])
        if not result:
            return text
        if text:
            result[TEXT] = text
        return result
    if (element.text or "").strip() or any((child.tail or "").strip() for child in element):
        raise MappingError(path, "text is not allowed between the child elements", element.sourceline)
    expected = _children(xsd_element)
    for child in element.iterchildren(etree.Element):
        local = etree.QName(child).localname
        xsd_child = expected.get(local)
        child_path = f"{path}/{local}"
        if xsd_child is None:
            raise MappingError(child_path, f"element {local} is not allowed in {xsd_element.local_name} "
                                           f"(allowed: {', '.join(expected)})", child.sourceline)
        if xsd_child.name != child.tag:
            raise MappingError(child_path, f"element {local} is in namespace {etree.QName(child).namespace}, "
                                           f"expected {etree.QName(xsd_child.name).namespace}", child.sourceline)
        if xsd_child.is_multiple():
            items = result.setdefault(local, [])
            items.append(element_to_json(child, xsd_child, f"{child_path}[{len(items) + 1}]"))
        elif local in result:
            raise MappingError(child_path, "occurs more than once where the schema allows one", child.sourceline)
        else:
            result[local] = element_to_json(child, xsd_child, child_path)
    return result


def json_to_element(value: Any, xsd_element: xmlschema.XsdElement, nsmap: dict[str, str] | None = None,
                    path: str = "$") -> etree._Element:
    """The element for a JSON value made by `element_to_json`."""
    element = etree.Element(xsd_element.name, nsmap={**(nsmap or {}), "xsi": XSI})
    _fill(element, value, xsd_element, path)
    etree.cleanup_namespaces(element, top_nsmap=nsmap)
    return element


def _fill(element: etree._Element, value: Any, xsd_element: xmlschema.XsdElement, path: str) -> None:
    if isinstance(value, str):
        if _children(xsd_element) and not xsd_element.type.has_simple_content():
            raise MappingError(path, f"expected an object with the elements of {xsd_element.local_name}, "
                                     "got a string")
        _set_text(element, value, path)
        return
    if not isinstance(value, dict) and xsd_element.type.has_simple_content() and not _attributes(xsd_element):
        raise MappingError(path, f"expected a string (values are the XML text), got {_json_kind(value)}")
    if not isinstance(value, dict):
        raise MappingError(path, f"expected an object or a string, got {_json_kind(value)}")
    known = _attributes(xsd_element)
    expected = _children(xsd_element)
    for key, item in value.items():
        if key == "@nil":
            element.set(_NIL, _string(item, f"{path}.{key}"))
        elif key.startswith("@"):
            if key[1:] not in known:
                raise MappingError(f"{path}.{key}", f"unknown attribute of {xsd_element.local_name}")
            element.set(known[key[1:]], _string(item, f"{path}.{key}"))
        elif key == TEXT:
            _set_text(element, _string(item, f"{path}.{key}"), f"{path}.{key}")
        elif key not in expected:
            raise MappingError(f"{path}.{key}", f"unknown element in {xsd_element.local_name}"
                                                f"{f' (expected one of: {chr(44).join(expected)})' if expected else ''}")
    for name, xsd_child in expected.items():
        if name not in value:
            continue
        child_path = f"{path}.{name}"
        items = value[name]
        if xsd_child.is_multiple():
            if not isinstance(items, list):
                raise MappingError(child_path, f"expected a list (the element can repeat), got {_json_kind(items)}")
        else:
            items = [items]
        for index, item in enumerate(items):
            item_path = f"{child_path}[{index}]" if xsd_child.is_multiple() else child_path
            _fill(etree.SubElement(element, xsd_child.name), item, xsd_child, item_path)


def _set_text(element: etree._Element, value: str, path: str) -> None:
    try:
        element.text = value
    except ValueError:  # lxml refuses what XML 1.0 cannot carry
        raise MappingError(path, "contains characters that XML cannot carry (control characters)") from None


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise MappingError(path, f"expected a string (values are the XML text), got {_json_kind(value)}")
    return value


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")
