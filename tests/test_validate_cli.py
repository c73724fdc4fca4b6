"""`ketenpoort validate`: verdicts per file, JSON lines, exit codes, and hostile input as clear errors."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import main
from test_istandaarden_reading import BILLION_LAUGHS

REPO_DIR = Path(__file__).resolve().parents[1]


def _run_json(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["validate", "--json", *args])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_examples_get_the_official_verdict(reference_dir, capsys):
    code, results = _run_json(capsys, str(reference_dir / "istandaarden"))
    assert code == 1
    verdicts = {Path(r["file"]).name: r["valid"] for r in results}
    assert len(verdicts) == 21
    assert {name for name, valid in verdicts.items() if not valid} == {"JW315.xml", "JW318.xml"}
    wmo301 = next(r for r in results if r["file"].endswith("WMO301.xml"))
    assert wmo301 == {"file": wmo301["file"], "valid": True, "standard": "iwmo", "message": "WMO301", "errors": []}
    jw318 = next(r for r in results if r["file"].endswith("JW318.xml"))
    assert jw318["standard"] == "ijw" and jw318["message"] == "JW318"
    assert jw318["errors"][0]["line"] == 33 and jw318["errors"][0]["path"] == "/Bericht/Client/Verzoek/RetourCode"


def test_all_valid_exits_0_and_plain_output_reads_well(reference_dir, capsys):
    example = reference_dir / "istandaarden" / "iwmo-3.2" / "examples" / "WMO305.xml"
    assert main(["validate", str(example)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "WMO305 (iWmo 3.2 Start zorg)" in out and "1 file(s): 1 valid, 0 invalid" in out


def test_plain_output_lists_errors(reference_dir, capsys):
    example = reference_dir / "istandaarden" / "ijw-3.2" / "examples" / "JW315.xml"
    assert main(["validate", str(example)]) == 1
    out = capsys.readouterr().out
    assert "INVALID" in out
    assert "line 44, /Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]/ToewijzingEinddatum" in out


@pytest.mark.parametrize("name, content, words", [
    ("not-well-formed.xml", b"<Bericht><Header></Bericht>", "not well-formed XML"),
    ("unknown-namespace.xml", b"<Bericht xmlns='urn:example'/>", "unknown namespace urn:example"),
    ("release-3.1.xml", b"<Bericht xmlns='http://www.istandaarden.nl/ijw/3_1/jw301/schema'/>",
     "release 3.1 is not supported, this gateway handles 3.2"),
    ("empty.xml", b"", "empty document"),
    ("billion-laughs.xml", BILLION_LAUGHS, "a document type declaration (DTD) is not allowed"),
    ("deep.xml", b"<a>" * 10_000 + b"</a>" * 10_000, "elements nested deeper than 64 levels"),
], ids=lambda value: value if isinstance(value, str) and value.endswith(".xml") else "")
def test_bad_input_is_a_clear_error_never_a_traceback(tmp_path, capsys, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    code, [result] = _run_json(capsys, str(path))
    assert code == 1
    assert result["valid"] is False and result["standard"] is None and result["message"] is None
    assert words in result["errors"][0]["message"]
    assert set(result["errors"][0]) == {"line", "path", "message"}


def test_a_100_mb_document_is_refused_by_size(tmp_path, capsys):
    path = tmp_path / "huge.xml"
    with path.open("wb") as file:
        file.write(b"<a>")
        file.truncate(100 * 1024 * 1024)
    code, [result] = _run_json(capsys, str(path))
    assert code == 1
    assert result["errors"] == [{"line": None, "path": None,
                                 "message": f"message is {100 * 1024 * 1024} bytes, more than the limit of "
                                            f"{10 * 1024 * 1024} bytes"}]


def test_directories_are_searched_recursively_for_xml(reference_dir, tmp_path, capsys):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    shutil.copy(reference_dir / "istandaarden" / "ijw-3.2" / "examples" / "JW301.xml", nested)
    (nested / "notes.txt").write_text("not a message")
    code, results = _run_json(capsys, str(tmp_path))
    assert code == 0
    assert [Path(r["file"]).name for r in results] == ["JW301.xml"]


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["validate"]) == 2
    assert main(["validate", str(tmp_path / "missing.xml")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["validate", "--schemas", str(tmp_path), str(tmp_path)]) == 2
    assert "holds no iWmo or iJw 3.2 schemas" in capsys.readouterr().err


def test_schemas_option_takes_an_official_release_directory(reference_dir, tmp_path, capsys):
    release = tmp_path / "release"
    shutil.copytree(REPO_DIR / "schemas" / "ijw" / "3.2", release)
    (release / "JW301.xsd").unlink()
    example = reference_dir / "istandaarden" / "ijw-3.2" / "examples"
    code, results = _run_json(capsys, "--schemas", str(release), str(example / "JW305.xml"))
    assert code == 0 and results[0]["valid"]
    assert main(["validate", "--schemas", str(release), str(example / "JW301.xml")]) == 2
    assert "JW301.xsd not found" in capsys.readouterr().err


def test_the_installed_command_runs(reference_dir):
    example = reference_dir / "istandaarden" / "iwmo-3.2" / "examples" / "WMO319.xml"
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "validate", "--json", str(example)],
                            capture_output=True, text=True, cwd=REPO_DIR)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["message"] == "WMO319"
