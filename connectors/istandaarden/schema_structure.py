"""The element structure of the iWmo/iJw schemas: which children an element has, in which order, how often.

Validation uses libxml2 (`validation.SchemaRegistry`); walks that need the schema's tree itself use xmlschema's
components (the JSON mapping), or `Declaration`s made from them once (building retour messages, on every message
the gateway accepts: plain attributes cost a fraction of xmlschema's look-ups). All message schemas of one standard
are compiled together, once per process per schema directory (the registry's, so an official release in use is the
one walked).
"""
from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import xmlschema
from lxml import etree

from . import catalogue
from .catalogue import MessageType
from .validation import DEFAULT_SCHEMAS_DIR, SchemaRegistry, SchemaUnavailable

ROOT = "Bericht"
_lock = threading.Lock()
_children: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # type -> its children (see `children`)


def message_root(message: MessageType, registry: SchemaRegistry | None = None) -> xmlschema.XsdElement:
    """The declaration of the message's root element `Bericht`."""
    return _root_element(_directory(message, registry), message.code)


@functools.cache  # asked for every message leased as JSON: finding the compiled schema resolves its directory
def _root_element(directory: Path, code: str) -> xmlschema.XsdElement:
    message = catalogue.by_code(code)
    return _standard_schema(directory, message.standard).maps.elements[f"{{{message.namespace}}}{ROOT}"]


@dataclass(frozen=True, eq=False)
class Declaration:
    """An element declaration of a message schema, as the retour walks need it: its qualified `name`, its
    `namespace` and `local_name`, and its child declarations by local name in schema order (empty for simple
    content)."""

    name: str
    namespace: str
    local_name: str
    children: Mapping[str, "Declaration"]


def message_declaration(message: MessageType, registry: SchemaRegistry | None = None) -> Declaration:
    """The declaration of the message's root element `Bericht` as a `Declaration` tree, made once per process
    and schema directory."""
    return _declaration_tree(_directory(message, registry), message.code)


@functools.cache
def _declaration_tree(directory: Path, code: str) -> Declaration:
    made: dict[int, Declaration] = {}  # an element declaration reached on several paths is converted once

    def convert(xsd_element: xmlschema.XsdElement) -> Declaration:
        found = made.get(id(xsd_element))
        if found is None:
            kids = {name: convert(child) for name, child in children(xsd_element).items()}
            found = made[id(xsd_element)] = Declaration(xsd_element.name, etree.QName(xsd_element.name).namespace,
                                                        xsd_element.local_name, MappingProxyType(kids))
        return found

    return convert(_root_element(directory, code))


def children(xsd_element: xmlschema.XsdElement) -> dict[str, xmlschema.XsdElement]:
    """The child element declarations by local name, in schema order; {} for simple content. Do not change it:
    it is cached per type, as walks ask it for every element of every message."""
    declared = _children.get(xsd_element.type)
    if declared is None:
        content = xsd_element.type.content if not xsd_element.type.has_simple_content() else None
        declared = {child.local_name: child for child in content.iter_elements()} if content is not None else {}
        _children[xsd_element.type] = declared
    return declared


def xsd_versions(message: MessageType, registry: SchemaRegistry | None = None) -> tuple[str, str]:
    """(BasisschemaXsdVersie, BerichtXsdVersie) from the message schema's appinfo."""
    return _xsd_versions(_directory(message, registry), message.code)


@functools.cache
def _xsd_versions(directory: Path, code: str) -> tuple[str, str]:
    message = catalogue.by_code(code)
    schema = _standard_schema(directory, message.standard)
    found = {etree.QName(item.tag).localname: (item.text or "").strip()
             for document in schema.maps.namespaces[message.namespace]
             for annotation in document.annotations for appinfo in annotation.appinfo for item in appinfo}
    try:
        return found["BasisschemaXsdVersie"], found["BerichtXsdVersie"]
    except KeyError as missing:
        raise SchemaUnavailable(f"{message.schema_file} has no {missing.args[0]} in its appinfo") from None


def _directory(message: MessageType, registry: SchemaRegistry | None) -> Path:
    if registry is None:
        return DEFAULT_SCHEMAS_DIR / message.standard / catalogue.RELEASE
    return registry.directory(message.standard)


def _standard_schema(directory: Path, standard: str) -> xmlschema.XMLSchema:
    with _lock:  # one compile per directory, even when threads ask at the same time
        return _compiled(directory.resolve(), standard)


@functools.cache
def _compiled(directory: Path, standard: str) -> xmlschema.XMLSchema:
    files = [str(directory / m.schema_file) for m in catalogue.messages(standard)]
    try:
        return xmlschema.XMLSchema(files)
    except (OSError, xmlschema.XMLSchemaException) as error:
        raise SchemaUnavailable(f"schemas of {standard} in {directory} cannot be used: {error}") from None
