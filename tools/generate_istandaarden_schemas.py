"""Write the project's iWmo/iJw XSDs from a dictionary of the official release.

    python tools/generate_istandaarden_schemas.py DICTIONARY.json [--out schemas]

writes OUT/<standard>/<release>/basisschema.xsd and one XSD per message (WMO301.xsd, JW301.xsd, ...) with the
official target namespaces, root element `Bericht` and import layout, and records the directory in
OUT/manifest.json. Retour messages missing from the dictionary (iWmo has only the heen-messages) are derived from
their heenbericht by the iJw pattern (istandaarden_retour.py).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lxml import etree

from connectors.istandaarden import catalogue
from istandaarden_retour import derive_retour

XS = "http://www.w3.org/2001/XMLSchema"
REPO_DIR = Path(__file__).resolve().parents[1]
_FACET_ORDER = ("minLength", "maxLength", "length", "totalDigits", "fractionDigits", "minInclusive", "maxInclusive",
                "minExclusive", "maxExclusive", "pattern", "enumeration")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dictionary", type=Path, help="dictionary.json of an iWmo or iJw release")
    parser.add_argument("--out", type=Path, default=REPO_DIR / "schemas",
                        help="schemas directory (default: %(default)s)")
    args = parser.parse_args(argv)
    dictionary = json.loads(args.dictionary.read_text(encoding="utf-8"))
    written = generate(dictionary, args.out)
    for path in written:
        print(path)
    return 0


def generate(dictionary: dict, out: Path) -> list[Path]:
    """Write the XSDs of the dictionary's standard into out/<standard>/<release>/ and update out/manifest.json."""
    schemas = dictionary["schemas"]
    appinfo = next(iter(schemas.values()))["appinfo"]
    standard, release = appinfo["standaard"], appinfo["release"]
    namespaces = dict(dictionary["prefixes"])
    types = dict(dictionary["types"])
    schemas = dict(schemas)
    for message in catalogue.messages(standard):
        if message.schema_file not in schemas:
            heen = catalogue.by_code(message.answers_code)
            types.update(derive_retour(types, heen.prefix, message.prefix, standard, message.berichtcode))
            schemas[message.schema_file] = _derived_schema(schemas[heen.schema_file], message)
            namespaces[message.prefix] = message.namespace

    directory = out / standard / release
    directory.mkdir(parents=True, exist_ok=True)
    documents = {"basisschema.xsd": _basisschema(standard, appinfo, namespaces, types)}
    for schema in sorted(schemas.values(), key=lambda s: s["file"]):
        documents[schema["file"]] = _message_schema(schema, standard, namespaces, types)
    written = []
    for name, document in documents.items():
        path = directory / name
        path.write_bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True))
        written.append(path)
    _record_in_manifest(out, standard, release, directory, list(documents))
    return written


def _derived_schema(heen_schema: dict, message: catalogue.MessageType) -> dict:
    return {
        "file": message.schema_file,
        "targetNamespace": message.namespace,
        "elementFormDefault": "qualified",
        "imports": heen_schema["imports"],
        "appinfo": dict(heen_schema["appinfo"], bericht=message.prefix),
        "elements": [{"name": f"{message.prefix}:Bericht", "min": 1, "max": 1, "type": f"{message.prefix}:Root"}],
    }


def _schema_root(target_prefix: str, basis: str, namespaces: dict[str, str]) -> etree._Element:
    nsmap = {"xs": XS, target_prefix: namespaces[target_prefix], basis: namespaces[basis]}
    return etree.Element(f"{{{XS}}}schema", nsmap=nsmap, targetNamespace=namespaces[target_prefix],
                         elementFormDefault="qualified", attributeFormDefault="unqualified")


def _appinfo(root: etree._Element, basis_namespace: str, facts: dict[str, str]) -> None:
    appinfo = etree.SubElement(etree.SubElement(root, f"{{{XS}}}annotation"), f"{{{XS}}}appinfo")
    for key, value in facts.items():
        etree.SubElement(appinfo, f"{{{basis_namespace}}}{key}").text = value


def _basisschema(standard: str, appinfo: dict, namespaces: dict, types: dict) -> etree._Element:
    root = _schema_root(standard, standard, namespaces)
    facts = {k: v for k, v in appinfo.items() if k in ("standaard", "release") or k.startswith("Basisschema")}
    _appinfo(root, namespaces[standard], facts)
    _write_types(root, standard, types)
    return root


def _message_schema(schema: dict, standard: str, namespaces: dict, types: dict) -> etree._Element:
    prefix = schema["appinfo"]["bericht"]
    root = _schema_root(prefix, standard, namespaces)
    for location in schema["imports"].values():
        etree.SubElement(root, f"{{{XS}}}import", namespace=namespaces[standard], schemaLocation=location)
    _appinfo(root, namespaces[standard], schema["appinfo"])
    for element in schema["elements"]:
        _element(root, element)
    _write_types(root, prefix, types)
    return root


def _write_types(root: etree._Element, prefix: str, types: dict[str, dict]) -> None:
    for qname, definition in types.items():
        owner, local = qname.split(":", 1)
        if owner != prefix:
            continue
        if definition.get("kind") == "complex":
            node = etree.SubElement(root, f"{{{XS}}}complexType", name=local)
            _documentation(node, definition.get("doc"))
            sequence = etree.SubElement(node, f"{{{XS}}}{definition['model']}")
            for item in definition["items"]:
                if item["name"].split(":", 1)[0] != prefix:
                    raise ValueError(f"{qname}: element {item['name']} is not in the namespace of its type")
                _element(sequence, item)
        else:
            node = etree.SubElement(root, f"{{{XS}}}simpleType", name=local)
            _documentation(node, definition.get("doc"))
            _restriction(node, definition["base"], definition.get("facets", {}))


def _element(parent: etree._Element, item: dict) -> None:
    node = etree.SubElement(parent, f"{{{XS}}}element", name=item["name"].split(":", 1)[1])
    if "type" in item:
        node.set("type", item["type"])
    if item.get("min", 1) != 1:
        node.set("minOccurs", str(item["min"]))
    if item.get("max", 1) != 1:
        node.set("maxOccurs", "unbounded" if item["max"] is None else str(item["max"]))
    _documentation(node, item.get("doc"))
    if "simpleType" in item:
        simple = etree.SubElement(node, f"{{{XS}}}simpleType")
        _restriction(simple, item["simpleType"]["base"], item["simpleType"].get("facets", {}))


def _restriction(parent: etree._Element, base: str, facets: dict) -> None:
    unknown = set(facets) - set(_FACET_ORDER)
    if unknown:
        raise ValueError(f"facets not supported by the generator: {sorted(unknown)}")
    restriction = etree.SubElement(parent, f"{{{XS}}}restriction", base=base)
    for facet in _FACET_ORDER:
        values = facets.get(facet)
        for value in values if isinstance(values, list) else ([] if values is None else [values]):
            etree.SubElement(restriction, f"{{{XS}}}{facet}", value=str(value))


def _documentation(parent: etree._Element, text: str | None) -> None:
    if text:
        annotation = etree.SubElement(parent, f"{{{XS}}}annotation")
        etree.SubElement(annotation, f"{{{XS}}}documentation").text = text


def _record_in_manifest(out: Path, standard: str, release: str, directory: Path, files: list[str]) -> None:
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {"schemas": []}
    relative = directory.relative_to(out).as_posix()
    entries = [e for e in manifest["schemas"] if e["directory"] != relative]
    entries.append({"standard": standard, "release": release, "directory": relative, "files": files})
    manifest["schemas"] = sorted(entries, key=lambda e: e["directory"])
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
