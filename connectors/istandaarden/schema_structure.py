"""The element structure of the iWmo/iJw schemas: which children an element has, in which order, how often.

Validation uses libxml2 (`validation.SchemaRegistry`); walks that need the schema's tree itself (the JSON mapping,
building retour messages) use xmlschema's components. All message schemas of one standard are compiled together,
once per process per schema directory (the registry's, so an official release in use is the one walked).
"""
from __future__ import annotations

import functools
import threading
import weakref
from pathlib import Path

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
    declarations = _standard_schema(_directory(message, registry), message.standard).maps.elements
    return declarations[f"{{{message.namespace}}}{ROOT}"]


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
    schema = _standard_schema(_directory(message, registry), message.standard)
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
