"""XSD validation: one broken rule at a time gives one clear error with line and element path; the registry
compiles each schema once and can load an official release directory instead of the project's schemas."""
from __future__ import annotations

import copy
import shutil
import threading
from pathlib import Path

import pytest
from lxml import etree

from connectors.istandaarden import catalogue, validation
from connectors.istandaarden.reader import check_message, read_message
from connectors.istandaarden.safe_xml import Limits
from connectors.istandaarden.validation import SchemaRegistry, SchemaUnavailable
from rules_support import add_after, at, load, remove, set_text

REPO_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry()


def _example(reference_dir: Path, standard: str, number: int) -> etree._Element:
    return load(reference_dir, f"{'WMO' if standard == 'iwmo' else 'JW'}{number}")


def _swap_with_previous(path: str):
    def mutate(root):
        element = at(root, path)
        element.getprevious().addprevious(element)
    return mutate


# (case, message number, mutation, expected element path, expected words in the message)
CASES = [
    ("required element removed", 301, remove("Client/Bsn"), "/Bericht/Client/Geboortedatum",
     "element Geboortedatum is not allowed here; expected Bsn"),
    ("last required element removed", 301, remove("Client/ToegewezenProducten"), "/Bericht/Client",
     "Client is incomplete: required element ToegewezenProducten is missing"),
    ("extra element", 305, add_after("Client/Bsn", "Onbekend", None), "/Bericht/Client/Onbekend",
     "element Onbekend is not allowed here; expected Geboortedatum"),
    ("wrong order", 307, _swap_with_previous("Client/Geslacht"), "/Bericht/Client/Geslacht",
     "element Geslacht is not allowed here; expected Geboortedatum"),
    ("pattern", 301, set_text("Client/Bsn", "12345"), "/Bericht/Client/Bsn",
     "Bsn: value '12345' does not match the required pattern [0-9]{9}"),
    ("enumeration", 301, set_text("Client/Geslacht", "7"), "/Bericht/Client/Geslacht",
     "Geslacht: value '7' is not one of the allowed values '0', '1', '2'"),
    ("maxLength", 301, set_text("Header/BerichtIdentificatie/Identificatie", "1234567890123"),
     "/Bericht/Header/BerichtIdentificatie/Identificatie",
     "Identificatie: value is 13 characters long, more than the maximum length 12"),
    ("minLength", 323,
     set_text("Declaratie/Clienten/Client/Prestaties/Prestatie/ProductReferentie/ReferentieNummer", ""),
     "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]/ProductReferentie/ReferentieNummer",
     "ReferentieNummer: value is 0 characters long, less than the minimum length 1"),
    ("maxInclusive", 301, set_text("Client/ToegewezenProducten/ToegewezenProduct/Omvang/Volume", "100000000"),
     "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang/Volume",
     "Volume: value 100000000 is greater than the maximum 99999999"),
    ("minInclusive", 301, set_text("Client/ToegewezenProducten/ToegewezenProduct/Omvang/Volume", "-1"),
     "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang/Volume",
     "Volume: value -1 is less than the minimum 0"),
    ("impossible date", 305, set_text("Header/BerichtIdentificatie/Dagtekening", "2023-02-30"),
     "/Bericht/Header/BerichtIdentificatie/Dagtekening",
     "Dagtekening: '2023-02-30' is not a valid value of type LDT_Datum"),
    ("berichtcode of another message", 319, set_text("Header/BerichtCode", "999"), "/Bericht/Header/BerichtCode",
     "BerichtCode: value '999' does not match the required pattern"),
    ("text in an element-only class", 317, set_text("Client", "tekst"), "/Bericht/Client",
     "Client may only contain elements, not text"),
]


@pytest.mark.parametrize("standard", catalogue.STANDARDS)
@pytest.mark.parametrize("case, number, mutate, path, words", CASES, ids=[c[0] for c in CASES])
def test_one_broken_rule_gives_one_clear_error(reference_dir, registry, standard, case, number, mutate, path, words):
    root = _example(reference_dir, standard, number)
    assert registry.problems(root, catalogue.by_namespace(etree.QName(root).namespace)) == []
    mutate(root)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    result = check_message(data, registry)
    assert not result.valid
    [problem] = result.problems
    # a position shows only where siblings share the name, and the examples differ in how many they have
    assert problem.path.replace("[1]", "") == path.replace("[1]", "")
    assert words in problem.message
    assert problem.line == at(etree.fromstring(data), path.replace("[1]", "").split("/", 2)[2]).sourceline


def test_error_paths_resolve_in_a_default_namespace(reference_dir, registry):
    """libxml2 reports /*/*[2]/... for elements without a prefix; the path still names the elements."""
    root = _example(reference_dir, "iwmo", 301)
    text = etree.tostring(root).decode()
    default_ns = text.replace("wmo301:", "").replace("xmlns:wmo301=", "xmlns=")
    broken = default_ns.replace("<Bsn>999900006</Bsn>", "<Bsn>x</Bsn>")
    [problem] = check_message(broken.encode(), registry).problems
    assert problem.path == "/Bericht/Client/Bsn"


def test_validate_identifies_the_message_itself(reference_dir, registry):
    root = _example(reference_dir, "ijw", 305)
    assert registry.validate(root.getroottree()) == []
    set_text("Client/Bsn", "1")(root)
    assert [p.path for p in registry.validate(root)] == ["/Bericht/Client/Bsn"]
    [problem] = registry.validate(etree.fromstring(b"<Bericht xmlns='urn:other'/>"))
    assert "unknown namespace urn:other" in problem.message


def test_registry_compiles_each_schema_once_even_when_threads_race(reference_dir, monkeypatch):
    compiled = []
    original = validation._compile_schema

    def counting(path):
        compiled.append(path.name)
        return original(path)

    monkeypatch.setattr(validation, "_compile_schema", counting)
    registry = SchemaRegistry()
    messages = [read_message(etree.tostring(_example(reference_dir, s, n)))
                for s in catalogue.STANDARDS for n in (301, 305, 323)]
    start = threading.Barrier(4)

    def work():
        start.wait()
        for message in messages * 3:
            assert registry.problems(message.root, message.message_type) == []

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(compiled) == sorted(m.message_type.schema_file for m in messages)
    registry.compile_all()
    assert len(compiled) == len(catalogue.MESSAGES)


def test_an_official_release_directory_replaces_the_projects_schemas(reference_dir, tmp_path):
    release = tmp_path / "iWmo 3.2 XSD"
    shutil.copytree(REPO_DIR / "schemas" / "iwmo" / "3.2", release)
    wmo301 = release / "WMO301.xsd"
    # Make the "official" schema stricter than ours, to see that it is the one used.
    wmo301.write_text(wmo301.read_text("utf-8").replace('<xs:pattern value="414"/>', '<xs:pattern value="4140"/>'),
                      "utf-8")
    registry = SchemaRegistry.from_directory(release)
    assert registry.directory("iwmo") == release
    assert registry.directory("ijw") == REPO_DIR / "schemas" / "ijw" / "3.2"
    data = etree.tostring(_example(reference_dir, "iwmo", 301))
    [problem] = check_message(data, registry).problems
    assert problem.path == "/Bericht/Header/BerichtCode"
    assert check_message(etree.tostring(_example(reference_dir, "ijw", 301)), registry).valid


def test_a_schemas_root_directory_is_accepted(tmp_path):
    shutil.copytree(REPO_DIR / "schemas" / "ijw", tmp_path / "ijw")
    registry = SchemaRegistry.from_directory(tmp_path)
    assert registry.directory("ijw") == tmp_path / "ijw" / "3.2"


def test_a_directory_without_schemas_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holds no iWmo or iJw 3.2 schemas"):
        SchemaRegistry.from_directory(tmp_path)


def test_a_missing_schema_is_a_configuration_error(reference_dir, tmp_path):
    shutil.copytree(REPO_DIR / "schemas" / "iwmo" / "3.2", tmp_path / "release")
    (tmp_path / "release" / "WMO305.xsd").unlink()
    registry = SchemaRegistry({"iwmo": tmp_path / "release"})
    message = read_message(etree.tostring(_example(reference_dir, "iwmo", 305)))
    with pytest.raises(SchemaUnavailable, match="WMO305.xsd not found"):
        registry.problems(message.root, message.message_type)


def test_many_errors_are_capped(reference_dir, registry):
    root = _example(reference_dir, "iwmo", 323)
    prestatie = at(root, "Declaratie/Clienten/Client/Prestaties/Prestatie")
    for _ in range(150):
        broken = copy.deepcopy(prestatie)
        at(broken, "ProductReferentie/ReferentieNummer").text = ""
        prestatie.addnext(broken)
    problems = check_message(etree.tostring(root), registry).problems
    assert len(problems) == 101
    assert problems[-1].message == "... and 50 more schema errors"


def _nested_in_client(reference_dir: Path, levels: int) -> bytes:
    root = _example(reference_dir, "iwmo", 305)
    client = at(root, "Client")
    for _ in range(levels):
        client = etree.SubElement(client, client.tag)
    return etree.tostring(root)


@pytest.mark.parametrize("levels", [70, 300])
def test_too_deep_message_is_named_as_such_not_as_schema_errors(reference_dir, registry, levels):
    result = check_message(_nested_in_client(reference_dir, levels), registry)
    assert [p.message for p in result.problems] == ["elements nested deeper than 64 levels"]
    assert result.message is None


def test_a_low_depth_limit_is_checked_before_validation(reference_dir, registry):
    data = etree.tostring(_example(reference_dir, "iwmo", 305))
    assert check_message(data, registry).valid
    [problem] = check_message(data, registry, Limits(max_depth=4)).problems
    assert problem.message == "elements nested deeper than 4 levels"
