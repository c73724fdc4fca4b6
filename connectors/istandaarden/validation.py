"""XSD validation of iWmo/iJw 3.2 messages with compiled schemas, each compiled once per process.

The schemas come from the project's `schemas/<standard>/3.2/` directories by default; an operator can point a
standard at a directory of the official release instead (same file names: basisschema.xsd, WMO301.xsd, ...).
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import catalogue
from .catalogue import MessageType
from .header import identify
from .problems import MessageError, Problem
from .schema_errors import problems_from_log

DEFAULT_SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


class SchemaUnavailable(Exception):
    """A schema is missing or does not compile: a configuration error, not a fault of the message."""


@dataclass
class _Compiled:
    schema: etree.XMLSchema
    # XMLSchema keeps the error log of its last run on the object: one validation at a time per schema.
    lock: threading.Lock = field(default_factory=threading.Lock)


def _compile_schema(path: Path) -> etree.XMLSchema:
    if not path.is_file():
        raise SchemaUnavailable(f"schema {path.name} not found in {path.parent}")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.XMLSchema(etree.parse(str(path), parser))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as error:
        raise SchemaUnavailable(f"schema {path} cannot be used: {error}") from None


class SchemaRegistry:
    """Compiled XSDs by message; compiled lazily on first use, once, safe to share between threads."""

    def __init__(self, directories: Mapping[str, Path | str] | None = None, *,
                 schemas_dir: Path | str = DEFAULT_SCHEMAS_DIR):
        """`directories` maps a standard ('iwmo', 'ijw') to a directory with its XSDs; standards not in it use
        `schemas_dir/<standard>/3.2`."""
        directories = dict(directories or {})
        unknown = set(directories) - set(catalogue.STANDARDS)
        if unknown:
            raise ValueError(f"unknown standard(s) {sorted(unknown)}; expected {catalogue.STANDARDS}")
        self._directories = {
            standard: Path(directories.get(standard) or Path(schemas_dir) / standard / catalogue.RELEASE)
            for standard in catalogue.STANDARDS
        }
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_directory(cls, path: Path | str) -> SchemaRegistry:
        """A schemas directory laid out like the project's (`<standard>/3.2/*.xsd`), or the directory of one
        official release (WMO*.xsd or JW*.xsd beside basisschema.xsd); other standards keep the project's."""
        path = Path(path)
        if any((path / standard / catalogue.RELEASE).is_dir() for standard in catalogue.STANDARDS):
            return cls(schemas_dir=path)
        found = {m.standard for m in catalogue.MESSAGES if (path / m.schema_file).is_file()}
        if len(found) != 1:
            raise ValueError(f"{path} holds no iWmo or iJw {catalogue.RELEASE} schemas (expected WMO301.xsd, "
                             f"JW301.xsd ... or <standard>/{catalogue.RELEASE}/ directories)")
        return cls({found.pop(): path})

    def directory(self, standard: str) -> Path:
        return self._directories[standard]

    def schema(self, message: MessageType) -> etree.XMLSchema:
        """The compiled schema of a message; SchemaUnavailable when it is missing or broken."""
        return self._compiled_for(message).schema

    def _compiled_for(self, message: MessageType) -> _Compiled:
        compiled = self._compiled.get(message.code)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(message.code)
                if compiled is None:
                    path = self._directories[message.standard] / message.schema_file
                    compiled = self._compiled[message.code] = _Compiled(_compile_schema(path))
        return compiled

    def compile_all(self) -> None:
        """Compile every schema now (at start-up), so a broken schema directory shows at once."""
        for message in catalogue.MESSAGES:
            self._compiled_for(message)

    def problems(self, root: etree._Element, message: MessageType) -> list[Problem]:
        """What the XSD of `message` finds wrong with the document; [] when it is valid."""
        compiled = self._compiled_for(message)
        with compiled.lock:
            if compiled.schema.validate(root):
                return []
            log = compiled.schema.error_log
        return problems_from_log(log, root)

    def validate(self, tree: etree._Element | etree._ElementTree) -> list[Problem]:
        """Identify the message by its root namespace and validate it; [] when valid."""
        root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
        try:
            message = identify(root)
        except MessageError as error:
            return error.problems
        return self.problems(root, message)
