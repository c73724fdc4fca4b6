"""`ketenpoort retour`, `to-json` and `to-xml` as a user runs them: output on stdout, problems on stderr naming the
file, line and element path, exit 1 for invalid input and 2 for usage errors, never a traceback."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lxml import etree

from connectors.istandaarden.validation import SchemaRegistry
from gateway.cli import main
from istandaarden_examples import canonical, example_params

EXAMPLES = {p.id: p.values[0] for p in example_params(valid_only=False) if p.values[0] is not None}
pytestmark = pytest.mark.skipif(not EXAMPLES, reason="reference examples not found")


def ketenpoort(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "gateway.cli", *args], input=stdin, capture_output=True,
                            timeout=60)
    assert b"Traceback" not in result.stderr
    return result


def _codes(root: etree._Element) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for container in root.iter("{*}RetourCodes"):
        found.setdefault(etree.QName(container.getparent()).localname, []).append([c.text for c in container])
    return found


def test_retour_prints_a_valid_retour_with_0200_where_there_is_no_remark(tmp_path):
    (tmp_path / "codes.json").write_text('{"ToegewezenProduct": {"#1": ["9332"]}}')
    result = ketenpoort("retour", "--identificatie", "R-17", "--dagtekening", "2026-06-01",
                        "--codes", f"@{tmp_path / 'codes.json'}", "-", stdin=EXAMPLES["WMO301"].read_bytes())
    assert result.returncode == 0, result.stderr
    retour = etree.fromstring(result.stdout)
    assert SchemaRegistry().validate(retour) == []
    assert retour.findtext("{*}Header/{*}IdentificatieRetour") == "R-17"
    assert retour.findtext("{*}Header/{*}DagtekeningRetour") == "2026-06-01"
    codes = _codes(retour)
    assert codes["ToegewezenProduct"] == [["9332"]]
    assert codes["Header"] == codes["Client"] == [["0200"]]


def test_retour_codes_inline_and_reject(capsysbinary):
    assert main(["retour", "--codes", '{"Prestatie": {"RN002": ["9339"]}}', str(EXAMPLES["JW323"])]) == 0
    assert _codes(etree.fromstring(capsysbinary.readouterr().out))["Prestatie"] == [["9339"]]
    assert main(["retour", "--reject", str(EXAMPLES["JW305"])]) == 0
    assert _codes(etree.fromstring(capsysbinary.readouterr().out)) == {"Header": [["0001"]]}


def test_bad_input_is_named_on_stderr_with_exit_code_1():
    result = ketenpoort("retour", str(EXAMPLES["JW315"]))
    assert result.returncode == 1
    assert result.stdout == b""
    assert "JW315.xml: line 44, /Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]" in result.stderr.decode()


@pytest.mark.parametrize("args, exit_code, message", [
    (["retour", "{JW302}"], 1, "JW302 (iJw 3.2 Retour toewijzing) is not a heenbericht"),
    (["retour", "missing.xml"], 2, "missing.xml: no such file"),
    (["retour", "{NOT_XML}"], 1, "not well-formed XML"),
    (["retour", "--codes", "{{bad", "{JW301}"], 2, "--codes is not valid JSON"),
    (["retour", "--codes", '["0200"]', "{JW301}"], 2, "--codes must be a JSON object"),
    (["retour", "--codes", '{{"Beschikking": ["9332"]}}', "{JW301}"], 2, "Beschikking: no such record class"),
    (["retour", "--codes", '{{"Client": ["7777"]}}', "{JW301}"], 2, "unknown retourcode '7777'"),
    (["retour", "--codes", "@{NOT_JSON}", "{JW301}"], 2, "--codes is not valid JSON"),
    (["retour", "--dagtekening", "2026-02-30", "{JW301}"], 2, "--dagtekening '2026-02-30' is not a date"),
    (["retour", "--identificatie", "1234567890123", "{JW301}"], 2, "--identificatie must be 1 to 12 characters"),
    (["to-json", "{JW318}"], 1, "line 33, /Bericht/Client/Verzoek/RetourCode"),
    (["to-json", "{NOT_XML}"], 1, "not well-formed XML"),
    (["to-xml", "{NOT_JSON}"], 1, "not valid JSON"),
    (["to-xml", "{WRONG_SHAPE}"], 1, "$.Bericht.Header.Afzender: expected a string"),
    (["to-xml", "{INCOMPLETE}"], 1, "Bericht is incomplete"),
    (["to-xml", "missing.json"], 2, "missing.json: no such file"),
])
def test_every_kind_of_bad_input_is_named(tmp_path, capsysbinary, args, exit_code, message):
    assert main(_with_files(args, tmp_path)) == exit_code  # in-process: the same code path, without a start-up each
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    assert message in captured.err.decode()


def test_a_missing_file_argument_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["retour"])
    assert exited.value.code == 2
    assert "the following arguments are required: FILE" in capsys.readouterr().err


def _with_files(args: list[str], tmp_path) -> list[str]:
    files = {**{code: str(path) for code, path in EXAMPLES.items()}, **_bad_files(tmp_path)}
    return [arg.format(**files) for arg in args]


def _bad_files(tmp_path) -> dict[str, str]:
    contents = {
        "NOT_XML": "<Bericht><Header></Bericht>",
        "NOT_JSON": "{\"standard\": ",
        "WRONG_SHAPE": '{"standard": "iwmo", "message": "WMO305", "Bericht": {"Header": {"Afzender": 65656055}}}',
        "INCOMPLETE": '{"standard": "iwmo", "message": "WMO305", "Bericht": {}}',
    }
    for name, text in contents.items():
        (tmp_path / name).write_text(text)
    return {name: str(tmp_path / name) for name in contents}


def test_to_json_and_to_xml_give_the_message_back(tmp_path):
    as_json = ketenpoort("to-json", str(EXAMPLES["JW301"]))
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["message"] == "JW301"
    assert document["Bericht"]["Header"]["Afzender"] == "0384"
    as_xml = ketenpoort("to-xml", "-", stdin=as_json.stdout)
    assert as_xml.returncode == 0, as_xml.stderr
    assert canonical(etree.fromstring(as_xml.stdout)) == canonical(etree.parse(str(EXAMPLES["JW301"])).getroot())


@pytest.mark.parametrize("verb", ["retour", "to-json", "to-xml"])
def test_every_verb_has_help(verb, capsys):
    with pytest.raises(SystemExit) as exited:
        main([verb, "--help"])
    assert exited.value.code == 0
    assert f"usage: ketenpoort {verb}" in capsys.readouterr().out
