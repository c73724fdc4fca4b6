"""The layering rule: `connectors` never import `gateway`; `queues` imports neither `gateway` nor `connectors`.
Checked on the import statements of every module (at any depth, including imports inside functions)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"connectors": {"gateway"}, "queues": {"gateway", "connectors"}}


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_lower_layer_never_imports_a_higher_one(package):
    modules = sorted((PROJECT / package).rglob("*.py"))
    assert modules, f"no modules found in {PROJECT / package}"
    violations = [f"{path.relative_to(PROJECT)}:{line} imports {name}"
                  for path in modules for line, name in sorted(imported_packages(path))
                  if name in FORBIDDEN[package]]
    assert violations == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("import os\n\ndef late():\n    from gateway.config import Config\n    import gateway.cli\n")
    assert imported_packages(module) == {(1, "os"), (4, "gateway"), (5, "gateway")}
