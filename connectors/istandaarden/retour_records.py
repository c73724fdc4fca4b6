"""The records (berichtklassen) of a retour message: which RetourCodes go on which, and copying them.

A record (berichtklasse) is an element whose type in the RETOUR schema ends in RetourCodes: the Header, Client,
ToegewezenProduct, Prestatie, ... The codes are given per class name, as JSON:

    {"Header": ["0001"],                          every record of the class (the Header has one)
     "Client": ["9019"],
     "ToegewezenProduct": {"300201": ["9332"],    the record whose key is 300201
                           "#2": ["9379"]},       the 2nd ToegewezenProduct of the message (1-based)
     "Prestatie": {"RN002": ["9339", "9340"]}}

A record's key is its first value in document order (ToewijzingNummer, Bsn, Nummer, ReferentieNummer,
ReferentieAanbieder, ...); a key that several records share addresses all of them. Records without codes get 0200.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from lxml import etree

from connectors.istandaarden import retourcodes
from connectors.istandaarden.problems import local_name
from connectors.istandaarden.schema_structure import Declaration

HEADER = "Header"
RETOURCODES = "RetourCodes"
RETOURCODE = "RetourCode"
_NO_REMARK = {retourcodes.GEEN_OPMERKING, retourcodes.DECLARATIE_VOLLEDIG_TOEGEWEZEN}


class RetourError(ValueError):
    """The retour cannot be built as asked: `where` names the class, record or element concerned."""

    def __init__(self, where: str, message: str):
        self.where = where
        self.problem = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Record:
    """One berichtklasse occurrence in the heenbericht, named as its class in the retour schema."""

    name: str
    element: etree._Element

    @property
    def key(self) -> str:
        return next((leaf.text or "" for leaf in self.element.iter(etree.Element) if not len(leaf)), "")


def has_retourcodes(declaration: Declaration) -> bool:
    return RETOURCODES in declaration.children


def records_of(root: etree._Element, retour_xsd: Declaration,
               renames: Mapping[str, str] = MappingProxyType({})) -> list[Record]:
    """The records of `root` in document order: of a heenbericht, or of a retour copied from one.

    They are the elements at the places where the retour schema declares a record, found by one XPath made once per
    schema and namespace. `renames` maps a heen element name to its retour counterpart (Declaratie ->
    DeclaratieAntwoord); elements the retour does not have are skipped with their content.
    """
    finder = _record_finder(retour_xsd, etree.QName(root).namespace or "", tuple(renames.items()))
    records = []
    for element in finder(root):
        name = local_name(element.tag)
        records.append(Record(renames.get(name, name), element))
    return records


@functools.cache  # declarations live as long as the process
def _record_finder(retour_xsd: Declaration, namespace: str, renames: tuple[tuple[str, str], ...]) -> etree.XPath:
    """`retour_xsd`'s own elements stand in `namespace` in the document (the heen's or the retour's); the
    basisschema's keep theirs. A union of paths gives its nodes in document order, as a walk of the tree would."""
    prefixes = {retour_xsd.namespace: "n0"}
    heen_names = {retour: heen for heen, retour in renames}
    paths: list[str] = []

    def walk(declaration: Declaration, path: str) -> None:
        for child in declaration.children.values():
            prefix = prefixes.setdefault(child.namespace, f"n{len(prefixes)}")
            step = f"{path}{prefix}:{heen_names.get(child.local_name, child.local_name)}"
            if has_retourcodes(child):
                paths.append(step)
            if child.children:
                walk(child, step + "/")

    walk(retour_xsd, "")
    namespaces = {prefix: namespace if declared == retour_xsd.namespace else declared
                  for declared, prefix in prefixes.items()}
    return etree.XPath(" | ".join(paths), namespaces=namespaces)


@functools.cache  # declarations live as long as the process
def record_classes(retour_xsd: Declaration) -> tuple[str, ...]:
    """The names of the record classes under `retour_xsd` in the retour schema, in schema order."""
    names = []
    for child in retour_xsd.children.values():
        if has_retourcodes(child):
            names.append(child.local_name)
        names.extend(record_classes(child))
    return tuple(dict.fromkeys(names))


class CodeAssignment:
    """The codes of every record, checked against codelist WJ001 and against the records the message has."""

    def __init__(self, standard: str, classes: tuple[str, ...], records: list[Record],
                 codes: Mapping[str, Any] | None):
        self._standard = standard
        self._classes = classes
        self._codes: dict[etree._Element, tuple[str, ...]] = {}
        self._records = records
        for name, spec in (codes or {}).items():
            self._assign(name, spec)

    def codes_for(self, element: etree._Element) -> tuple[str, ...]:
        """The codes given for this heen record; () when none were given."""
        return self._codes.get(element, ())

    def has_remark(self, element: etree._Element) -> bool:
        """The record got a code that is a remark (afkeur), not 0200 or 8001."""
        return any(code not in _NO_REMARK for code in self.codes_for(element))

    def _assign(self, name: str, spec: Any) -> None:
        if name not in self._classes:
            raise RetourError(name, f"no such record class in this retour (classes: {', '.join(self._classes)})")
        of_class = [r for r in self._records if r.name == name]
        if not of_class:
            raise RetourError(name, f"the message has no {name} record")
        if isinstance(spec, Mapping):
            for selector, codes in spec.items():
                for record in self._select(name, of_class, selector):
                    self._set(record, f"{name}[{selector}]", codes)
        else:
            for record in of_class:
                self._set(record, name, spec)

    def _select(self, name: str, of_class: list[Record], selector: Any) -> list[Record]:
        if isinstance(selector, str) and selector.startswith("#"):
            position = selector[1:]
            if not position.isdigit() or not 1 <= int(position) <= len(of_class):
                raise RetourError(f"{name}[{selector}]", f"no such position; the message has {len(of_class)} "
                                                         f"{name} record(s): #1..#{len(of_class)}")
            return [of_class[int(position) - 1]]
        matching = [r for r in of_class if r.key == selector]
        if not matching:
            keys = ", ".join(r.key for r in of_class)
            raise RetourError(f"{name}[{selector}]", f"no {name} with this key (keys: {keys}; or use #1..#N)")
        return matching

    def _set(self, record: Record, where: str, codes: Any) -> None:
        if not isinstance(codes, list) or not codes or not all(isinstance(code, str) for code in codes):
            raise RetourError(where, "expected a non-empty list of retourcodes (strings such as \"0200\")")
        for code in codes:
            try:
                retourcodes.lookup(self._standard, code)
            except retourcodes.UnknownRetourCode as error:
                raise RetourError(where, str(error)) from None
        if retourcodes.GEEN_OPMERKING in codes and len(codes) > 1:
            raise RetourError(where, "0200 (geen opmerking) cannot be combined with other codes")
        if len(set(codes)) != len(codes):
            raise RetourError(where, "a code is given twice")
        self._codes[record.element] = tuple(codes)


def append_retourcodes(parent: etree._Element, namespace: str, codes: tuple[str, ...]) -> None:
    """RetourCodes as the last child of `parent`; 0200 (geen opmerking) when `codes` is empty."""
    container = etree.SubElement(parent, f"{{{namespace}}}{RETOURCODES}")
    for code in codes or (retourcodes.GEEN_OPMERKING,):
        etree.SubElement(container, f"{{{namespace}}}{RETOURCODE}").text = code


def copy_into(source: etree._Element, parent: etree._Element, xsd: Declaration,
              codes_for: Callable[[etree._Element], tuple[str, ...]]) -> etree._Element:
    """`source` copied as the last child of `parent`, in the retour namespace as `xsd` (of the retour) declares it.

    Child elements the retour does not declare are left out; every record gets its RetourCodes from
    `codes_for` except the Header, whose RetourCodes follow the retour fields the caller adds.
    """
    copied = etree.SubElement(parent, xsd.name)
    declarations = xsd.children
    if not declarations:
        copied.text = source.text
        return copied
    for child in source.iterchildren(etree.Element):
        xsd_child = declarations.get(local_name(child.tag))
        if xsd_child is not None:
            copy_into(child, copied, xsd_child, codes_for)
    if RETOURCODES in declarations and xsd.local_name != HEADER:
        append_retourcodes(copied, xsd.namespace, codes_for(source))
    return copied
