"""The project's iWmo/iJw 3.2 XSDs: reproducible from the dictionaries, iWmo retours derived by the iJw pattern,
and the official verdict on every example message."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from lxml import etree

from connectors.istandaarden import catalogue, safe_xml
from connectors.istandaarden.reader import check_message
from connectors.istandaarden.validation import SchemaRegistry

REPO_DIR = Path(__file__).resolve().parents[1]
SCHEMAS_DIR = REPO_DIR / "schemas"
# The reference says so: these two examples break the official XSDs, every other one is valid.
KNOWN_INVALID = {("ijw", "JW315.xml"), ("ijw", "JW318.xml")}


@pytest.fixture(scope="module")
def tools(monkeypatch_module):
    monkeypatch_module.syspath_prepend(str(REPO_DIR / "tools"))
    return importlib.import_module("generate_istandaarden_schemas"), importlib.import_module("istandaarden_retour")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _dictionary(reference_dir: Path, standard: str) -> dict:
    return json.loads((reference_dir / "istandaarden" / f"{standard}-3.2" / "dictionary.json").read_text("utf-8"))


def _examples(reference_dir: Path) -> list[tuple[str, Path]]:
    found = [(path.parent.parent.name.split("-")[0], path)
             for path in sorted((reference_dir / "istandaarden").glob("*-3.2/examples/*.xml"))]
    assert len(found) >= 21, "the reference examples are incomplete"
    return found


@pytest.mark.parametrize("standard", catalogue.STANDARDS)
def test_generator_reproduces_the_committed_schemas(reference_dir, tools, tmp_path, standard):
    generator, _ = tools
    written = generator.generate(_dictionary(reference_dir, standard), tmp_path)
    expected = ["basisschema.xsd"] + [m.schema_file for m in catalogue.messages(standard)]
    assert sorted(p.name for p in written) == sorted(expected)
    for path in written:
        committed = SCHEMAS_DIR / standard / "3.2" / path.name
        assert path.read_bytes() == committed.read_bytes(), f"{committed} differs from the generator's output"


def test_retour_rules_rebuild_every_ijw_retour_from_its_heenbericht(reference_dir, tools):
    _, retour = tools
    types = _dictionary(reference_dir, "ijw")["types"]
    for message in catalogue.messages("ijw"):
        if message.direction != catalogue.RETOUR:
            continue
        heen = catalogue.by_code(message.answers_code)
        derived = retour.derive_retour(types, heen.prefix, message.prefix, "ijw", message.berichtcode)
        official = {name: t for name, t in types.items() if name.startswith(message.prefix + ":")}
        assert _without_docs(derived) == _without_docs(official), message.code


def _without_docs(value):
    if isinstance(value, dict):
        return {k: _without_docs(v) for k, v in value.items() if k != "doc"}
    if isinstance(value, list):
        return [_without_docs(v) for v in value]
    return value


def test_every_dictionary_type_and_facet_is_in_the_schemas(reference_dir):
    """Spot-check that the facts reach the XSD text: every enumeration value, pattern and bound appears."""
    for standard in catalogue.STANDARDS:
        basisschema = (SCHEMAS_DIR / standard / "3.2" / "basisschema.xsd").read_text("utf-8")
        for name, definition in _dictionary(reference_dir, standard)["types"].items():
            if not name.startswith(standard + ":") or "facets" not in definition:
                continue
            assert f'name="{name.split(":")[1]}"' in basisschema
            for facet, values in definition["facets"].items():
                for value in values if isinstance(values, list) else [values]:
                    escaped = str(value).replace("&", "&amp;").replace("<", "&lt;")
                    assert f'<xs:{facet} value="{escaped}"/>' in basisschema, (name, facet, value)


def test_iwmo_retour_schemas_use_iwmo_namespaces_and_berichtcodes():
    for message in catalogue.messages("iwmo"):
        text = (SCHEMAS_DIR / "iwmo" / "3.2" / message.schema_file).read_text("utf-8")
        assert f'targetNamespace="{message.namespace}"' in text
        assert f'<xs:pattern value="{message.berichtcode}"/>' in text
        assert "ijw" not in text


def test_manifest_lists_the_schema_directories():
    manifest = json.loads((SCHEMAS_DIR / "manifest.json").read_text("utf-8"))
    entries = {e["directory"]: e for e in manifest["schemas"]}
    for standard in catalogue.STANDARDS:
        entry = entries[f"{standard}/3.2"]
        assert entry["standard"] == standard and entry["release"] == "3.2"
        assert sorted(entry["files"]) == sorted(p.name for p in (SCHEMAS_DIR / standard / "3.2").glob("*.xsd"))


def test_every_example_gets_the_official_verdict(reference_dir):
    registry = SchemaRegistry()
    for standard, path in _examples(reference_dir):
        result = check_message(path.read_bytes(), registry)
        expected_valid = (standard, path.name) not in KNOWN_INVALID
        assert result.valid == expected_valid, f"{path}: {[str(p) for p in result.problems]}"
        assert result.message.code == path.stem


def test_known_invalid_examples_name_the_fault(reference_dir):
    registry = SchemaRegistry()
    examples = reference_dir / "istandaarden" / "ijw-3.2" / "examples"
    jw315 = check_message((examples / "JW315.xml").read_bytes(), registry).problems
    assert {p.path for p in jw315} == {
        "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]/ToewijzingEinddatum",
        "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]/ToewijzingEinddatum",
    }
    assert all("'2027-06-31' is not a valid value of type LDT_Datum" in p.message for p in jw315)
    [jw318] = check_message((examples / "JW318.xml").read_bytes(), registry).problems
    assert (jw318.line, jw318.path) == (33, "/Bericht/Client/Verzoek/RetourCode")
    assert "element RetourCode is not allowed here" in jw318.message and "RetourCodes" in jw318.message


def _schema_depth(directory: Path, schema_file: str) -> int:
    """Levels of elements below and including Bericht that the XSD allows (following named complex types)."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    children: dict[str, list[str]] = {}
    for path in (directory / "basisschema.xsd", directory / schema_file):
        for complex_type in etree.parse(str(path)).getroot().iter(f"{xs}complexType"):
            children[complex_type.get("name")] = [e.get("type", "").split(":")[-1]
                                                  for e in complex_type.iter(f"{xs}element")]

    def depth(type_name: str) -> int:
        return 1 + max((depth(child) for child in children.get(type_name, [])), default=0)

    return depth("Root")


def test_no_message_is_deeper_than_the_fast_path_assumes():
    for message in catalogue.MESSAGES:
        depth = _schema_depth(SCHEMAS_DIR / message.standard / "3.2", message.schema_file)
        assert 4 <= depth <= safe_xml.MESSAGE_MAX_DEPTH, (message.code, depth)
