"""Every implemented rule has a test that makes it fire and one where it holds."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import test_rules_document as document
import test_rules_register as register
import test_rules_requests as requests

from connectors.istandaarden import rules
from connectors.istandaarden.rules.catalogue_data import RULE_FACTS
from connectors.istandaarden.rules.gemeentecodes_data import GEMEENTECODES_2026

REPO_DIR = Path(__file__).resolve().parents[1]

# Tested with their own context in test_rules_document (products, tariffs, today).
CONTEXT_TESTS = {"TR135", "TR381", "TR418"}


def _codes(*tables) -> set[str]:
    return {case[0] for table in tables for case in table}


def _scenario_codes(*tables) -> set[str]:
    return {code for table in tables for case in table for code in case[0]}


def test_every_implemented_rule_fires_in_a_test():
    fires = (_codes(document.FIRES, register.FIRES, requests.FIRES)
             | _scenario_codes(register.SCENARIOS, requests.ALLOCATION_CASES) | requests.ANSWER_FIRES | CONTEXT_TESTS)
    implemented = {r.code for r in rules.all_rules() if r.implemented}
    assert implemented - fires == set()


def test_every_implemented_rule_holds_in_a_test():
    holds = (_codes(document.HOLDS, register.HOLDS, requests.HOLDS) | register.BASELINE_HOLDS
             | requests.BASELINE_HOLDS | CONTEXT_TESTS)
    # The start/stop scenarios assert the exact set of rules that fire, and include cases where none does.
    holds |= _scenario_codes(register.SCENARIOS)
    implemented = {r.code for r in rules.all_rules() if r.implemented}
    assert implemented - holds == set()


def _generator():
    spec = importlib.util.spec_from_file_location("gen_rules_catalogue", REPO_DIR / "tools" / "gen_rules_catalogue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_data_is_current_with_the_reference(reference_dir):
    generator = _generator()
    assert RULE_FACTS == generator.rules_of(reference_dir)
    assert GEMEENTECODES_2026 == generator.gemeentecodes_of(reference_dir)
    assert len(GEMEENTECODES_2026) == 342


def test_ijw_rules_name_jw_messages():
    assert all(m.startswith("JW") for fact in RULE_FACTS["ijw"].values() for m in fact["messages"])
    assert RULE_FACTS["ijw"]["TR378"] == {"retourcode": "S300", "level": "externe-bron",
                                          "messages": ("JW323", "JW325"), "source": "retourcodes"}
