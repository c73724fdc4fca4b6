"""Security at start-up: a changed config file is an audit record, and `ketenpoort serve` refuses to store
payloads in clear unless the config says so on purpose."""
from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys

from aiohttp import web

from gateway.app import create_app
from gateway.appkeys import STORE_KEY
from gateway.cli import main
from gateway.config import load_config
from queues.audit import CONFIG_CHANGE

CONFIG = '[storage]\nurl = "sqlite:///store.db"\nunencrypted = true\n'


async def start_and_stop(path) -> list:
    """The audit records after one start of the gateway with the config file at `path`."""
    app = create_app(load_config(path), route_modules=("gateway.services", "gateway.security"))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        return await app[STORE_KEY].audit_records()
    finally:
        await runner.cleanup()


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_changed_config_file_is_audited_once_per_change(tmp_path, capsys):
    path = tmp_path / "ketenpoort.toml"
    path.write_text(CONFIG)
    [first] = await start_and_stop(path)
    assert (first.action, first.actor, first.role, first.object_id) == (CONFIG_CHANGE, "ketenpoort", "system", "config")
    assert first.detail == {"file": str(path), "sha256": sha256(path), "previous_sha256": None}
    assert await start_and_stop(path) == [first]  # the same file again: nothing new

    path.write_text(CONFIG + "# request_timeout raised\n[limits]\nrequest_timeout = 60\n")
    [_, second] = await start_and_stop(path)
    assert second.action == CONFIG_CHANGE
    assert second.detail == {"file": str(path), "sha256": sha256(path), "previous_sha256": first.detail["sha256"]}
    assert await asyncio.to_thread(main, ["audit", "verify", "--config", str(path)]) == 0
    assert "intact: 2 records" in capsys.readouterr().out


def test_serve_refuses_to_store_payloads_in_clear_without_being_told(tmp_path, monkeypatch):
    monkeypatch.delenv("KETENPOORT_KEYS", raising=False)
    path = tmp_path / "ketenpoort.toml"
    path.write_text('[storage]\nurl = "sqlite:///store.db"\n')
    process = subprocess.run([sys.executable, "-m", "gateway.cli", "serve", "--config", str(path)],
                             capture_output=True, text=True, timeout=60)
    assert process.returncode == 2
    assert f"{path}: storage.keys_file: missing" in process.stderr
    assert "ketenpoort keys init" in process.stderr and "unencrypted = true" in process.stderr
    assert "Traceback" not in process.stderr and not (tmp_path / "store.db").exists()
