"""`ketenpoort demo`: the README's main command, started as a user would, used as demo.json describes."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode
from types import SimpleNamespace

import pytest
from gateway_support import GatewayClient, free_port, ketenpoort_process, stop, wait_until_serving

from gateway.config import load_config

pytestmark = pytest.mark.slow


async def test_the_demo_serves_what_demo_json_describes(tmp_path):
    port, directory = free_port(), tmp_path / "demo"
    process = ketenpoort_process("demo", "--port", str(port), "--dir", str(directory))
    try:
        await wait_until_serving(process, f"https://localhost:{port}", directory / "certs" / "ca.pem")
        info = json.loads((directory / "demo.json").read_text())
        assert info["base_url"] == f"https://localhost:{port}"
        assert info["provider"]["agb"] == "12345678"
        assert info["tenants"] == [{"gemeentecode": "0448", "name": "Texel"},
                                   {"gemeentecode": "0400", "name": "Den Helder"}]
        assert all(Path(path).is_absolute() and Path(path).is_file()
                   for path in (info["ca_cert"], info["provider"]["cert"], info["provider"]["key"]))
        assert (directory / "demo.json").stat().st_mode & 0o077 == 0

        client = GatewayClient(info["base_url"], Path(info["ca_cert"]))
        provider = SimpleNamespace(cert=info["provider"]["cert"], key=info["provider"]["key"])
        for example, standard, gemeentecode in (("iwmo-315-to-0448.xml", "iwmo", "0448"),
                                                ("ijw-315-to-0400.xml", "ijw", "0400")):
            sent = await client.send(provider, standard, (directory / "examples" / example).read_bytes())
            assert sent.status == 202, sent.body
            [item] = await client.inbox(info["tokens"]["backoffice"], gemeentecode)
            assert item["id"] == sent.body["id"] and item["json"]["Bericht"]["Client"]["Bsn"] == "999993653"
            assert len(await client.pull(provider, f"/istandaarden/{standard}/retour")) == 1
        metrics = await client.call("GET", "/metrics", token=info["tokens"]["operator"])
        assert metrics.status == 200 and "ketenpoort_messages_total" in metrics.body

        assert info["console_url"] == f"https://localhost:{port}/console/"
        login_page = await client.call("GET", "/console/login")
        assert login_page.status == 200 and 'name="token"' in login_page.body
        logged_in = await client.call("POST", "/console/login", content_type="application/x-www-form-urlencoded",
                                      data=urlencode({"token": info["tokens"]["operator"]}).encode())
        assert logged_in.status == 200 and "WMO315" in logged_in.body

        corv = SimpleNamespace(cert=info["corv"]["cert"], key=info["corv"]["key"])
        wsdl = await client.call("GET", "/corv/ontvangAsynchroon?wsdl", files=corv)
        assert wsdl.status == 200 and f'location="https://localhost:{port}/corv/ontvangAsynchroon"' in wsdl.body
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert f"https://localhost:{port}/istandaarden/iwmo/berichten" in output
    assert f"https://localhost:{port}/console/" in output and info["tokens"]["operator"] in output
    assert load_config(directory / "ketenpoort.toml").storage.keys_file == directory / "keys.json"
