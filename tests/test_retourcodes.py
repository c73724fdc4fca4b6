import importlib.util
import json
from pathlib import Path

import pytest

from connectors.istandaarden import retourcodes

REPO_DIR = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_retourcodes", REPO_DIR / "tools" / "gen_retourcodes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_generated_codelist_is_current_with_the_reference(reference_dir, standard):
    assert retourcodes.RETOURCODES[standard] == _generator().codes_of(reference_dir, standard)


@pytest.mark.parametrize("standard", ["iwmo", "ijw"])
def test_every_published_code_has_its_meaning(reference_dir, standard):
    folder = reference_dir / "istandaarden" / f"{standard}-3.2"
    published = json.loads((folder / f"{standard}-3.2-retourcodes.json").read_text(encoding="utf-8"))
    for code, fact in published.items():
        assert retourcodes.meaning(standard, code) == fact["meaning"]


def test_well_known_codes():
    assert retourcodes.meaning("ijw", "0200") == "Geen opmerking over deze berichtklasse."
    assert retourcodes.lookup("iwmo", "0001").meaning == "Bericht is afgekeurd om technische redenen."
    assert retourcodes.lookup("ijw", "9366").rule == "TR366"


def test_a_code_the_xsd_accepts_but_the_list_does_not_describe_is_known_without_meaning():
    assert retourcodes.is_known("ijw", "9355")
    assert retourcodes.meaning("ijw", "9355") is None


@pytest.mark.parametrize("code", ["1234", "200", "", "0200 "])
def test_unknown_codes_are_refused(code):
    assert not retourcodes.is_known("iwmo", code)
    with pytest.raises(retourcodes.UnknownRetourCode, match="not in codelist WJ001"):
        retourcodes.lookup("iwmo", code)


def test_unknown_standard_is_named():
    with pytest.raises(retourcodes.UnknownRetourCode, match="unknown standard 'wlz'"):
        retourcodes.lookup("wlz", "0200")
