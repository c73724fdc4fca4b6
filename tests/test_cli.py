import subprocess
import sys


def test_help_lists_the_command():
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "ketenpoort" in result.stdout


def test_no_verb_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "gateway.cli"], capture_output=True, text=True)
    assert result.returncode == 2
