"""Gateways under test for the load benchmarks: `ketenpoort serve` processes on loopback with the demo's set-up
(dev PKI, TLS with client certificates, tenants 0448 and 0400, encrypted payloads, the rules' register in the
store) plus more care providers (the demo's 12345678 and 5000000k, each with its own certificate and a contract
with both tenants), on SQLite in a temporary directory or on a fresh PostgreSQL database that is dropped
afterwards; and the load generator (bench/load_generator.py) as a process of its own.
"""
from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil

from consumers import Deliveries, consume
from gateway.demo import TENANTS, DemoFiles, prepare_demo
from gateway.pki import create_partner_certificate
from gateway.tls import client_ssl_context
from workload import Template

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEMO_STORAGE_LINE = 'url = "sqlite:///ketenpoort-demo.sqlite3"'
DEMO_KEYS_LINE = 'keys_file = "keys.json"'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Gateway:
    process: subprocess.Popen
    base_url: str
    log: Path

    @property
    def rss_mb(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def open_connections(self) -> int:
        """Connections of clients to it now (each holds some of its memory while open)."""
        port = urlsplit(self.base_url).port
        return sum(1 for connection in psutil.Process(self.process.pid).net_connections(kind="tcp")
                   if connection.status == psutil.CONN_ESTABLISHED and connection.laddr.port == port)


class Steal:
    """The share of the machine's CPU time its virtual machine's host took (Linux's steal time) since the last
    call: when it is high, the benchmark's processes waited for CPU they did not get, whatever they do."""

    def __init__(self) -> None:
        self._last = psutil.cpu_times()

    def percent(self) -> float:
        now, last = psutil.cpu_times(), self._last
        self._last = now
        total = _all_time(now) - _all_time(last)
        return 100 * (getattr(now, "steal", 0.0) - getattr(last, "steal", 0.0)) / total if total > 0 else 0.0


def _all_time(times) -> float:
    """Guest time is counted in user time already."""
    return sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)


class Deployment:
    """The demo set-up in `directory` with `providers` care providers, storing in `store_url` (None: SQLite in
    the directory). `register=False` stores unencrypted, which leaves the rules' register out (it keeps BSNs only
    encrypted): for telling its cost apart. `memory_trim_seconds` sets the gateway's (None: its default)."""

    def __init__(self, directory: Path, store_url: str | None = None, providers: int = 8,
                 register: bool = True, memory_trim_seconds: float | None = None) -> None:
        self.directory = directory
        self.files: DemoFiles = prepare_demo(directory, free_port())
        self.info = self.files.info
        text = self.files.config.read_text(encoding="utf-8")
        if store_url is not None:
            assert DEMO_STORAGE_LINE in text, "the demo config changed: adapt bench/gateway_process.py"
            text = text.replace(DEMO_STORAGE_LINE, f'url = "{store_url}"')
        if not register:
            assert DEMO_KEYS_LINE in text, "the demo config changed: adapt bench/gateway_process.py"
            text = text.replace(DEMO_KEYS_LINE, "unencrypted = true")
        if memory_trim_seconds is not None:
            assert "\n[gateway]\n" in text, "the demo config changed: adapt bench/gateway_process.py"
            text = text.replace("\n[gateway]\n", f"\n[gateway]\nmemory_trim_seconds = {memory_trim_seconds}\n", 1)
        self.providers = [self.info["provider"]] + [self._provider(f"{50_000_000 + k}") for k in range(1, providers)]
        tenants = ", ".join(f'"{code}"' for code, _ in TENANTS)
        text += "".join(f'\n[[providers]]\nagb = "{p["agb"]}"\nname = "Zorgaanbieder {p["agb"]}"\n'
                        f'message_types = ["iwmo:*", "ijw:*"]\ntenants = [{tenants}]\n' for p in self.providers[1:])
        self.files.config.write_text(text, encoding="utf-8")

    def _provider(self, agb: str) -> dict[str, str]:
        certs = Path(self.info["ca_cert"]).parent
        files = create_partner_certificate(certs / "ca.pem", certs / "ca.key", certs, f"provider-{agb}",
                                           common_name=f"Zorgaanbieder {agb}", serial_number=agb)
        return {"agb": agb, "cert": str(files.cert), "key": str(files.key)}

    def config_for_port(self, port: int) -> Path:
        """The demo config listening on `port` instead (for several gateway processes)."""
        text = self.files.config.read_text(encoding="utf-8")
        demo_port = urlsplit(self.info["base_url"]).port
        path = self.directory / f"ketenpoort-{port}.toml"
        path.write_text(text.replace(f"port = {demo_port}\n", f"port = {port}\n")
                        .replace(f"localhost:{demo_port}", f"localhost:{port}"), encoding="utf-8")
        return path

    @contextlib.contextmanager
    def gateways(self, count: int = 1) -> Iterator[list[Gateway]]:
        """`count` gateway processes on ports of their own, serving when this yields; stopped afterwards."""
        started: list[Gateway] = []
        try:
            for _ in range(count):
                port = free_port()
                log = self.directory / f"gateway-{port}.log"
                with log.open("wb") as output:
                    process = subprocess.Popen(
                        [sys.executable, "-m", "gateway.cli", "serve", "--config", str(self.config_for_port(port))],
                        stdout=output, stderr=subprocess.STDOUT, cwd=REPO)
                started.append(Gateway(process, f"https://localhost:{port}", log))
            for gateway in started:
                wait_until_serving(gateway, Path(self.info["ca_cert"]))
            yield started
        finally:
            for gateway in started:
                stop(gateway.process)

    def consumers(self, targets: list[str], workers: int, done: asyncio.Event,
                  **options: bool) -> Coroutine[None, None, Deliveries]:
        """The backoffice's consumers of every tenant's inbox through `targets` (bench/consumers.py)."""
        return consume(targets, Path(self.info["ca_cert"]), self.info["tokens"]["backoffice"],
                       [tenant["gemeentecode"] for tenant in self.info["tenants"]], workers, done, **options)

    def load(self, workload: list[Template], targets: list[str], *options: str) -> subprocess.Popen:
        """The load generator as a process against `targets`; its JSON lines come on its stdout."""
        path = self.directory / "plan.json"
        path.write_text(json.dumps({"templates": [template.as_json() for template in workload],
                                    "ca": self.info["ca_cert"], "token": self.info["tokens"]["backoffice"],
                                    "providers": self.providers}), encoding="utf-8")
        command = [sys.executable, str(BENCH_DIR / "load_generator.py"), "--plan", str(path), *options]
        for target in targets:
            command += ["--target", target]
        return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)


def summary_of(load: subprocess.Popen) -> dict:
    """The load generator's summary, once it has finished (its interval lines are skipped)."""
    output, _ = load.communicate()
    for line in reversed(output.splitlines()):
        if line.startswith('{"summary"'):
            return json.loads(line)["summary"]
    raise RuntimeError(f"the load generator ended with {load.returncode} and no summary:\n{output[-2000:]}")


def wait_until_serving(gateway: Gateway, ca_cert: Path, seconds: float = 120) -> None:
    host_port = urlsplit(gateway.base_url).netloc
    host, port = host_port.rsplit(":", 1)
    deadline = time.monotonic() + seconds
    while True:
        if gateway.process.poll() is not None:
            raise RuntimeError(f"the gateway ended with {gateway.process.returncode}: "
                               f"{gateway.log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPSConnection(host, int(port), context=client_ssl_context(ca_cert),
                                                     timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the gateway did not serve within {seconds} s")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    """Ctrl-C, as an operator would; killed when it does not stop within 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def postgres_database(dsn: str) -> Iterator[str]:
    """A fresh database on the server of `dsn` for one run (its URL), dropped afterwards."""
    import asyncio

    import asyncpg

    name = f"kp_bench_{secrets.token_hex(4)}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(dsn, timeout=10)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_unreachable(dsn: str | None) -> str | None:
    """Why PostgreSQL cannot be measured, or None when `dsn` reaches a server."""
    if not dsn:
        return "no --postgres DSN and KETENPOORT_TEST_POSTGRES_DSN is not set"
    import asyncio

    import asyncpg

    async def probe() -> None:
        await (await asyncpg.connect(dsn, timeout=5)).close()

    try:
        asyncio.run(probe())
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        return f"PostgreSQL unreachable: {error}"
    return None


def for_each_store_and_size(args, measure: Callable[[Path, str | None, int], dict]) -> dict[str, dict[int, dict]]:
    """`measure(directory, store_url, size)` for each store `args.store` asks for ("sqlite", "postgres" or "both";
    `args.postgres` its DSN) and each size (10^3, 10^5, 10^6; to 10^5 with `args.quick`), each in a fresh
    temporary directory and (PostgreSQL) database; store_url None is SQLite in the directory. PostgreSQL is left
    out, saying why, when it cannot be reached. Returns the figures by store ("sqlite", "pg") and size."""
    sizes = (10**3, 10**4, 10**5) if args.quick else (10**3, 10**5, 10**6)
    figures: dict[str, dict[int, dict]] = {}
    for store in ("sqlite", "postgres") if args.store == "both" else (args.store,):
        if store == "postgres" and (why_not := postgres_unreachable(args.postgres)):
            print(f"PostgreSQL skipped: {why_not}")
            continue
        print(f"{store}:", flush=True)
        prefix = "sqlite" if store == "sqlite" else "pg"
        figures[prefix] = {}
        for count in sizes:
            with tempfile.TemporaryDirectory(prefix="ketenpoort-bench-") as directory:
                if store == "sqlite":
                    figures[prefix][count] = measure(Path(directory), None, count)
                else:
                    with postgres_database(args.postgres) as url:
                        figures[prefix][count] = measure(Path(directory), url, count)
    return figures


def size_label(count: int) -> str:
    """10^6 as 1e6, for RESULT keys."""
    return f"1e{len(str(count)) - 1}"
