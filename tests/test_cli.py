import argparse
import os
import subprocess
import sys

import pytest

from gateway.cli import build_parser


def _verbs(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every verb and sub-verb of the command line, e.g. ("rules", "list")."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                found.append(prefix + (name,))
                found.extend(_verbs(subparser, prefix + (name,)))
    return found


VERBS = _verbs(build_parser())


def ketenpoort(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], capture_output=True, text=True, **options)


def test_help_lists_the_command():
    result = ketenpoort("--help")
    assert result.returncode == 0
    assert "ketenpoort" in result.stdout


def test_no_verb_is_a_usage_error():
    result = ketenpoort()
    assert result.returncode == 2


def test_every_verb_is_found():
    assert {("demo",), ("serve",), ("rules", "list"), ("keys", "rotate"), ("audit", "verify")} <= set(VERBS)


@pytest.mark.parametrize("verb", VERBS, ids=" ".join)
def test_every_verb_has_help(verb):
    result = ketenpoort(*verb, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ketenpoort " + " ".join(verb)) and result.stderr == ""


def test_a_reader_that_goes_away_is_no_traceback():
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head -1` having exited: every write to stdout fails with EPIPE
    try:
        result = subprocess.run([sys.executable, "-m", "gateway.cli", "rules", "list", "--json"], stdout=write_end,
                                stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""
