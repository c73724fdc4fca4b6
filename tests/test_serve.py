"""`ketenpoort serve`: starts a TLS server from a config file, or refuses a wrong config with a clear message."""
from __future__ import annotations

import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from gateway.tls import client_ssl_context


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(config_path, open_files=None):
    """`ketenpoort serve`; with `open_files`, started under that soft limit of open files (as systemd's 1,024)."""
    def limit_open_files():
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--config", str(config_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=limit_open_files if open_files else None,
    )


def open_files_limits(pid):
    with open(f"/proc/{pid}/limits") as limits:
        line = next(line for line in limits if line.startswith("Max open files"))
    return line.split()[3:5]


def test_serve_answers_healthz_over_tls(tmp_path, dev_pki):
    port = free_port()
    config = tmp_path / "ketenpoort.toml"
    config.write_text(
        f'[gateway]\nport = {port}\ntls_cert = "{dev_pki.server.cert}"\ntls_key = "{dev_pki.server.key}"\n'
        f'client_ca_files = ["{dev_pki.ca_cert}"]\n[storage]\nunencrypted = true\n'
    )
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    process = serve(config, open_files=256)
    try:
        context = client_ssl_context(dev_pki.ca_cert)
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"https://localhost:{port}/healthz", context=context, timeout=2) as answer:
                    assert answer.status == 200 and b'"ok"' in answer.read()
                    break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        # Every connection is an open file: started under a soft limit of 256, it serves under the hard one.
        assert open_files_limits(process.pid) == [str(hard), str(hard)]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    # What start-up made lives as long as the process: full garbage collections no longer walk it.
    frozen = re.search(r"start-up done: (\d+) long-lived objects left out of garbage collection", stderr)
    assert frozen and int(frozen.group(1)) > 10_000, stderr


def test_wrong_config_stops_start_up(tmp_path):
    config = tmp_path / "ketenpoort.toml"
    config.write_text('[[tenants]]\ngemeentecode = "448"\nname = "Texel"\n')
    process = serve(config)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert f"{config}: tenants[0].gemeentecode: '448' is not 4 digits" in stderr
    assert "Traceback" not in stderr


def test_mismatched_key_is_reported(tmp_path, dev_pki):
    config = tmp_path / "ketenpoort.toml"
    config.write_text(f'[gateway]\ntls_cert = "{dev_pki.server.cert}"\ntls_key = "{dev_pki.provider.key}"\n')
    process = serve(config)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "TLS files" in stderr and "Traceback" not in stderr


def test_port_in_use_is_reported(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "ketenpoort.toml"
        config.write_text(f"[gateway]\nport = {port}\n[storage]\nunencrypted = true\n")
        process = serve(config)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in stderr and "Traceback" not in stderr
