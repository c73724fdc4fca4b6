"""`ketenpoort keys`: init, rotate and list a key file, with clear errors."""
from __future__ import annotations

import base64
import stat

from gateway.cli import main
from queues.encryption import KeyRing


def test_init_rotate_list(tmp_path, capsys):
    key_file = tmp_path / "keys.json"
    assert main(["keys", "init", "--file", str(key_file)]) == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = KeyRing.from_file(key_file)
    blob = first.encrypt(b"payload", "message:1")

    assert main(["keys", "rotate", "--file", str(key_file)]) == 0
    rotated = KeyRing.from_file(key_file)
    assert rotated.primary != first.primary
    assert rotated.decrypt(blob, "message:1") == b"payload"

    capsys.readouterr()
    assert main(["keys", "list", "--file", str(key_file)]) == 0
    listing = capsys.readouterr().out
    assert first.primary in listing and f"{rotated.primary}  created" in listing
    assert listing.count("primary") == 1
    assert base64.b64encode(rotated.keys[rotated.primary].secret).decode() not in listing


def test_init_does_not_overwrite(tmp_path, capsys):
    key_file = tmp_path / "keys.json"
    assert main(["keys", "init", "--file", str(key_file)]) == 0
    before = key_file.read_bytes()
    assert main(["keys", "init", "--file", str(key_file)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert key_file.read_bytes() == before


def test_rotate_without_a_key_file_is_a_clear_error(tmp_path, capsys):
    assert main(["keys", "rotate", "--file", str(tmp_path / "absent.json")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_init_into_a_missing_directory_is_a_clear_error(tmp_path, capsys):
    assert main(["keys", "init", "--file", str(tmp_path / "no" / "keys.json")]) == 1
    assert "No such file or directory" in capsys.readouterr().err
