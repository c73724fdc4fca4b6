"""The jz0100 schema registry: our own XSDs by default, or an official StUF-koppelvlak Jeugdzorg release as shipped.

An official release cannot be loaded as it is by the usual tools, for two reasons, both handled here without
editing its files:

1. Its schemaLocations are Windows paths (`..\\..\\0301\\stuf0301.xsd`). libxml2 cannot build a URI from them and
   silently skips the import (it never even asks a resolver). `ReleaseResolver` therefore serves every schema
   document of the release itself, with the backslashes of its include/import/redefine locations turned into
   slashes in memory; libxml2 then resolves them relative to the including file, as the release intends.
2. It derives a type by restricting a sequence to a choice (`BTR-vto-utv`: a choice of exactly two of
   medewerker/nietNatuurlijkPersoon, restricting `BTR-basis`, a sequence). XSD 1.0's particle derivation rules
   forbid a choice restricting a sequence; XSD 1.1 only asks that the derived content is a subset of the base, which
   it is. libxml2 (lxml) does not check particle derivation and accepts the release; xmlschema's strict XSD 1.0
   processor rejects it. Fallback: the xmlschema object (used for the schema-aware JSON mapping, and for validation
   when lxml cannot compile a release) is built with XSD 1.0 first and, when that refuses the release, with
   XSD 1.1. The reason is kept in `SchemaSet.notes` so an operator can see which processor is in use and why.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import xmlschema
from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "corv" / "jz0100"
DEFAULT_ENTRIES = ("jz0100_msg.xsd", "stuf0301.xsd")
XS = "http://www.w3.org/2001/XMLSchema"
_LOCATED = {f"{{{XS}}}{name}" for name in ("include", "import", "redefine", "override")}
_PREFIX = re.compile(r"(?<=/)[^/:\[]+:")  # libxml2 paths carry made-up prefixes (ns12:); local names read better

log = logging.getLogger(__name__)


class SchemaLoadError(ValueError):
    """A schema release that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class SchemaProblem:
    """One validation finding: 1-based `line`, an element `path`, and what is wrong."""

    line: int | None
    path: str | None
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"line {self.line}, {self.path}: {self.message}"


def portable_schema(path: Path) -> bytes:
    """The schema document at `path` with backslashes in its include/import/redefine locations made slashes."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.parse(str(path), parser)
    except (OSError, etree.XMLSyntaxError) as error:
        raise SchemaLoadError(f"{path}: cannot read schema document: {error}") from None
    for element in tree.iter(*_LOCATED):
        location = element.get("schemaLocation")
        if location and "\\" in location:
            element.set("schemaLocation", location.replace("\\", "/"))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


class ReleaseResolver(etree.Resolver):
    """Serves the schema documents of one release directory, portable (see `portable_schema`), and nothing else."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()
        self.refused: list[str] = []  # libxml2 swallows a resolver's exceptions, so refusals are kept here

    def resolve(self, system_url, public_id, context):
        path = _local_path(system_url)
        if path is None or not path.is_relative_to(self.root):
            self.refused.append(f"{system_url}: outside the schema release {self.root} (refused)")
            return self.resolve_string(b"", context)
        if not path.is_file():
            return None
        return self.resolve_string(portable_schema(path), context, base_url=str(path))


def _local_path(system_url: str) -> Path | None:
    parsed = urlparse(system_url)
    if parsed.scheme not in ("", "file"):
        return None
    return Path(unquote(parsed.path if parsed.scheme else system_url).replace("\\", "/")).resolve()


@dataclass
class SchemaSet:
    """Compiled schemas of one release: lxml for validation, xmlschema (lazily) for the schema-aware JSON mapping."""

    root: Path
    entries: tuple[Path, ...]
    lxml_schema: etree.XMLSchema | None
    notes: list[str] = field(default_factory=list)

    @functools.cached_property
    def xsd(self) -> xmlschema.XMLSchemaBase:
        """The xmlschema form: XSD 1.0, or XSD 1.1 when strict 1.0 rejects the release (see module docstring)."""
        others = [(_target_namespace(entry), str(entry)) for entry in self.entries[1:]]
        try:
            return xmlschema.XMLSchema10(str(self.entries[0]), locations=others, allow="local")
        except xmlschema.XMLSchemaParseError as error:
            self.notes.append(f"strict XSD 1.0 rejects the release ({error.message}); using XSD 1.1")
            log.warning("CORV schemas at %s: %s", self.root, self.notes[-1])
        try:
            return xmlschema.XMLSchema11(str(self.entries[0]), locations=others, allow="local")
        except xmlschema.XMLSchemaParseError as error:
            raise SchemaLoadError(f"{self.entries[0]}: {error.message}") from None

    @property
    def engine(self) -> str:
        return "lxml" if self.lxml_schema is not None else "xmlschema"

    def validate(self, element: etree._Element) -> list[SchemaProblem]:
        """Every XSD problem of `element` (a message root), empty when valid."""
        if self.lxml_schema is not None:
            if self.lxml_schema.validate(element):
                return []
            return [SchemaProblem(entry.line, _PREFIX.sub("", entry.path or "") or None, entry.message)
                    for entry in self.lxml_schema.error_log]
        return [SchemaProblem(getattr(error.elem, "sourceline", None), error.path, error.reason or str(error))
                for error in self.xsd.iter_errors(element)]


def _target_namespace(path: Path) -> str:
    return etree.fromstring(portable_schema(path)).get("targetNamespace", "")


def load_schema_set(root: Path, entries: tuple[str, ...]) -> SchemaSet:
    """Compile the release in directory `root` whose message schemas are `entries` (paths relative to `root`)."""
    root = root.resolve()
    paths = tuple((root / entry).resolve() for entry in entries)
    for path in paths:
        if not path.is_file():
            raise SchemaLoadError(f"{path}: schema document not found")
    wrapper = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
    for path in paths:
        etree.SubElement(wrapper, f"{{{XS}}}import", namespace=_target_namespace(path), schemaLocation=str(path))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    resolver = ReleaseResolver(root)
    parser.resolvers.add(resolver)
    document = etree.fromstring(etree.tostring(wrapper), parser, base_url=str(root / "release.xsd"))
    notes = []
    try:
        lxml_schema = etree.XMLSchema(document)
    except etree.XMLSchemaParseError as error:
        lxml_schema = None
        if resolver.refused:
            raise SchemaLoadError("; ".join(resolver.refused)) from None
        notes.append(f"lxml cannot compile the release ({error}); validating with xmlschema")
        log.warning("CORV schemas at %s: %s", root, notes[-1])
    schema_set = SchemaSet(root, paths, lxml_schema, notes)
    if lxml_schema is None:
        schema_set.xsd  # noqa: B018 - compile now, so a release neither processor accepts fails at load time
    return schema_set


@functools.lru_cache(maxsize=1)
def default_schema_set() -> SchemaSet:
    """Our own jz0100 schemas (compiled once per process)."""
    return load_schema_set(SCHEMA_DIR, DEFAULT_ENTRIES)
