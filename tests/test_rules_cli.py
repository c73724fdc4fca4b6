"""`ketenpoort rules list [--json]`."""
from __future__ import annotations

import json

from gateway.cli import main


def test_rules_list_json_lists_every_rule_of_both_standards(capsys, reference_dir):
    assert main(["rules", "list", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(set(line) == {"code", "retourcode", "level", "standard", "implemented"} for line in lines)
    listed = {(line["standard"], line["code"]) for line in lines}
    for standard in ("iwmo", "ijw"):
        path = reference_dir / "istandaarden" / f"{standard}-3.2" / f"{standard}-3.2-technical-rules.json"
        published = json.loads(path.read_text(encoding="utf-8"))
        assert {(standard, rule["code"]) for rule in published} <= listed
    tr018 = next(line for line in lines if line["code"] == "TR018" and line["standard"] == "ijw")
    assert tr018 == {"code": "TR018", "retourcode": "0001", "level": "xslt", "standard": "ijw", "implemented": True}
    tr337 = next(line for line in lines if line["code"] == "TR337" and line["standard"] == "iwmo")
    assert tr337["retourcode"] is None and tr337["implemented"] is False


def test_rules_list_table_ends_with_coverage(capsys):
    assert main(["rules", "list", "--standard", "iwmo"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["standard", "code", "retourcode", "level", "implemented"]
    assert all(line.startswith("iwmo ") for line in out[1:-1])
    assert out[-1].startswith("coverage: ") and "xslt 21/21" in out[-1] and "berichtoverstijgend " in out[-1]
