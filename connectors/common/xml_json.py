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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import xmlschema
from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_IN_XSI = f"{{{XSI}}}"
_NIL = f"{_IN_XSI}nil"
TEXT = "#text"
_SHAPES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # type -> its _Shape


class MappingError(ValueError):
    """The input does not fit the schema's shape; `where` is an element path or a JSON path."""

    def __init__(self, where: str, message: str, line: int | None = None):
        self.where = where
        self.line = line
        self.problem = message
        super().__init__(f"{where}{f' (line {line})' if line else ''}: {message}")


@dataclass(frozen=True)
class _Shape:
    """What the walks ask of an element's type, worked out once per type: each of xmlschema's answers costs
    microseconds, and a walk asks them for every element of every message (every message leased as JSON)."""

    simple: bool  # simple content: a value, with attributes if it has any
    attributes: Mapping[str, str]  # local name -> qualified name
    attribute_names: Mapping[str, str]  # qualified name -> local name
    children: Mapping[str, xmlschema.XsdElement]  # local name -> declaration, in schema order
    by_tag: Mapping[str, tuple[str, xmlschema.XsdElement, bool]]  # qualified name -> (local name, declaration,
    # whether it may repeat)


def _shape(xsd_element: xmlschema.XsdElement) -> _Shape:
    shape = _SHAPES.get(xsd_element.type)
    if shape is None:
        xsd_type = xsd_element.type
        declared = getattr(xsd_type, "attributes", {})  # simple types have none
        attributes = {etree.QName(name).localname: name for name in declared if name}
        content = getattr(xsd_type, "content", None)  # simple types and simple content have no groups
        children = {child.local_name: child for child in content.iter_elements()} \
            if hasattr(content, "iter_elements") else {}
        shape = _SHAPES[xsd_type] = _Shape(
            xsd_type.has_simple_content(), attributes, {name: local for local, name in attributes.items()},
            children, {child.name: (local, child, child.is_multiple()) for local, child in children.items()})
    return shape


def element_to_json(element: etree._Element, xsd_element: xmlschema.XsdElement, path: str = "") -> Any:
    """The JSON value of `element`, declared by `xsd_element`."""
    path = path or f"/{etree.QName(element).localname}"
    shape = _shape(xsd_element)
    result: dict[str, Any] = {}
    attributes = element.attrib
    if attributes:
        for name, value in attributes.items():
            if name == _NIL:
                result["@nil"] = value
            elif name.startswith(_IN_XSI):
                continue  # schemaLocation and friends are hints to validators, not content
            elif name not in shape.attribute_names:
                raise MappingError(path, f"unexpected attribute {name!r}", element.sourceline)
            else:
                result["@" + shape.attribute_names[name]] = value
    children = list(element.iterchildren(etree.Element))
    if shape.simple or not shape.children and not children:
        if children:
            raise MappingError(path, "expected a value, found child elements", element.sourceline)
        # the text around any comments or processing instructions, as an XML processor reads the value
        text = "".join([element.text or "", *(child.tail or "" for child in element)]) if len(element) \
            else element.text or ""
        if not result:
            return text
        if text:
            result[TEXT] = text
        return result
    if (element.text or "").strip() or any((child.tail or "").strip() for child in element):
        raise MappingError(path, "text is not allowed between the child elements", element.sourceline)
    for child in children:
        found = shape.by_tag.get(child.tag)
        if found is None:
            raise _misplaced(child, xsd_element, shape, path)
        local, xsd_child, repeats = found
        if repeats:
            items = result.setdefault(local, [])
            items.append(element_to_json(child, xsd_child, f"{path}/{local}[{len(items) + 1}]"))
        elif local in result:
            raise MappingError(f"{path}/{local}", "occurs more than once where the schema allows one",
                               child.sourceline)
        else:
            result[local] = element_to_json(child, xsd_child, f"{path}/{local}")
    return result


def _misplaced(child: etree._Element, xsd_element: xmlschema.XsdElement, shape: _Shape, path: str) -> MappingError:
    """The error for a child element the type does not declare: unknown by name, or in another namespace."""
    local = etree.QName(child).localname
    declared = shape.children.get(local)
    if declared is None:
        return MappingError(f"{path}/{local}", f"element {local} is not allowed in {xsd_element.local_name} "
                                               f"(allowed: {', '.join(shape.children)})", child.sourceline)
    return MappingError(f"{path}/{local}", f"element {local} is in namespace {etree.QName(child).namespace}, "
                                           f"expected {etree.QName(declared.name).namespace}", child.sourceline)


def json_to_element(value: Any, xsd_element: xmlschema.XsdElement, nsmap: dict[str, str] | None = None,
                    path: str = "$") -> etree._Element:
    """The element for a JSON value made by `element_to_json`."""
    element = etree.Element(xsd_element.name, nsmap={**(nsmap or {}), "xsi": XSI})
    _fill(element, value, xsd_element, path)
    etree.cleanup_namespaces(element, top_nsmap=nsmap)
    return element


def _fill(element: etree._Element, value: Any, xsd_element: xmlschema.XsdElement, path: str) -> None:
    shape = _shape(xsd_element)
    if isinstance(value, str):
        if shape.children and not shape.simple:
            raise MappingError(path, f"expected an object with the elements of {xsd_element.local_name}, "
                                     "got a string")
        _set_text(element, value, path)
        return
    if not isinstance(value, dict) and shape.simple and not shape.attributes:
        raise MappingError(path, f"expected a string (values are the XML text), got {_json_kind(value)}")
    if not isinstance(value, dict):
        raise MappingError(path, f"expected an object or a string, got {_json_kind(value)}")
    known = shape.attributes
    expected = shape.children
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
    for name, xsd_child, repeats in shape.by_tag.values():  # in schema order
        if name not in value:
            continue
        child_path = f"{path}.{name}"
        items = value[name]
        if repeats:
            if not isinstance(items, list):
                raise MappingError(child_path, f"expected a list (the element can repeat), got {_json_kind(items)}")
        else:
            items = [items]
        for index, item in enumerate(items):
            item_path = f"{child_path}[{index}]" if repeats else child_path
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
