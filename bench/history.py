"""Declaraties of clients with a history: CPU per WMO323 against the months its Toewijzingen were declared before.

    python bench/history.py [--store sqlite|postgres] [--cases K] [--months M] [--tree DIR] [--postgres DSN]

The workload of bench/pipeline.py makes every message a new client, so the rules across messages find an empty
history. Real Declaraties come monthly for the same Toewijzingen, and the rules read what was declared before
(TR321 and TR389: every earlier Prestatie of the Toewijzing). Here K cases of the reference WMO323 (two clients,
four Prestaties on four Toewijzingen, each allocated by a WMO301 first) are declared month after month, M months
up to last month (TR335 allows five years back), all K cases of a month at once through the pipeline as
bench/pipeline.py sends them (demo set-up, payloads encrypted, the register in the store).

Prints the CPU per 323 over each six months, and the ratio of the last six to the first six (the run's own
limit: a history that costs nothing gives about 1.0). `--tree DIR` measures the gateway of
another checkout with this script (e.g. `git worktree add /tmp/before REV`). Ends with `RESULT ...`.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# The reference's values that the months replace: its ProductPeriode and DeclaratiePeriode, and its dagtekeningen.
WINDOW = 6  # months per figure: one month's K Declaraties are too few to tell a change from the machine's drift
EXAMPLE_FIRST, EXAMPLE_LAST, EXAMPLE_DAGTEKENING = b"2023-04-01", b"2023-04-30", b"2023-05-06"


def months_before(today: date, count: int) -> list[tuple[date, date]]:
    """The `count` whole months before the one of `today`, oldest first, as (first day, last day)."""
    months = []
    first = today.replace(day=1)
    for _ in range(count):
        last = first - timedelta(days=1)
        first = last.replace(day=1)
        months.append((first, last))
    return months[::-1]


async def measure(directory: Path, store_url: str | None, cases: int, months: int) -> list[float]:
    """ms CPU per 323 for each month, oldest first."""
    from aiohttp import web
    from lxml import etree

    from gateway.app import create_app
    from gateway.config import load_config
    from gateway.demo import prepare_demo
    from gateway.services import PIPELINE_KEY
    from gateway_process import DEMO_STORAGE_LINE, free_port
    from workload import fill, fresh_value, templates

    by_code = {template.code: template for template in templates()}
    declaratie, toewijzing = by_code["WMO323"], by_code["WMO301"]
    files = prepare_demo(directory, free_port())
    if store_url is not None:
        files.config.write_text(files.config.read_text(encoding="utf-8").replace(
            DEMO_STORAGE_LINE, f'url = "{store_url}"'), encoding="utf-8")
    config = load_config(files.config)
    provider, tenant = config.providers[0], next(t for t in config.tenants if t.gemeentecode == declaratie.tenant)
    today = date.today()
    periods = months_before(today, months)
    sent = iter(range(10**6, 10**9))

    def declaratie_of(case: int, first: date, last: date) -> bytes:
        """The case's 323 for one month: its clients and ToewijzingNummers fixed, every reference fresh."""
        number = next(sent)
        data = fill(declaratie.xml, [(placeholder, kind, slot) for placeholder, kind, slot in declaratie.slots
                                     if kind not in ("bsn", "nummer")], number, provider.agb)
        for placeholder, kind, slot in declaratie.slots:
            data = data.replace(placeholder.encode(), fresh_value(kind, slot, case).encode())
        return (data.replace(EXAMPLE_FIRST, first.isoformat().encode())
                .replace(EXAMPLE_LAST, last.isoformat().encode())
                .replace(EXAMPLE_DAGTEKENING, today.isoformat().encode()))

    def toewijzingen_of(case: int) -> list[bytes]:
        """A 301 per Prestatie of the case's 323: its client, number and product, from the first month on."""
        root = etree.fromstring(declaratie_of(case, *periods[0]))
        found = []
        for client in root.iter("{*}Client"):
            for prestatie in client.iter("{*}Prestatie"):
                message = etree.fromstring(fill(toewijzing.xml, toewijzing.slots, next(sent), provider.agb))
                message.find(".//{*}Client/{*}Bsn").text = client.findtext("{*}Bsn")
                product = message.find(".//{*}ToegewezenProduct")
                product.find("{*}ToewijzingNummer").text = prestatie.findtext("{*}ToewijzingNummer")
                product.find("{*}Product/{*}Categorie").text = prestatie.findtext("{*}ProductCategorie")
                product.find("{*}Product/{*}Code").text = prestatie.findtext("{*}ProductCode")
                product.find("{*}Ingangsdatum").text = periods[0][0].isoformat()
                product.find("{*}Einddatum").text = date(today.year + 1, 12, 31).isoformat()
                omvang = product.find("{*}Omvang")  # enough for every month: TR321 reads all, rejects none
                omvang.find("{*}Volume").text = "99999999"
                omvang.find("{*}Eenheid").text = prestatie.findtext("{*}Eenheid")
                omvang.find("{*}Frequentie").text = "6"
                found.append(etree.tostring(message, xml_declaration=True, encoding="UTF-8"))
        return found

    runner = web.AppRunner(create_app(config))
    await runner.setup()
    try:
        pipeline = runner.app[PIPELINE_KEY]

        async def expect_accepted(answer, what: str) -> None:
            if answer.status != 202 or set(answer.body.get("retourcodes", ["0200"])) - {"0200", "8001"}:
                raise RuntimeError(f"{what}: {answer.status} {answer.body}")

        for case in range(cases):
            for data in toewijzingen_of(case):
                await expect_accepted(await pipeline.receive_from_backoffice(tenant, data, json_body=False), "301")
        gc.collect()
        gc.freeze()
        cpu_per_month = []
        for first, last in periods:
            messages = [declaratie_of(case, first, last) for case in range(cases)]
            cpu = time.process_time()
            answers = await asyncio.gather(*(pipeline.receive_from_provider(provider, "iwmo", data)
                                             for data in messages))
            cpu_per_month.append((time.process_time() - cpu) * 1000 / cases)
            for answer in answers:
                await expect_accepted(answer, f"323 for {first:%Y-%m}")
    finally:
        await runner.cleanup()
    return cpu_per_month


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cases", type=int, default=32)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--tree", type=Path, default=BENCH_DIR.parent, help="the checkout whose gateway to measure")
    parser.add_argument("--postgres", default=os.environ.get("KETENPOORT_TEST_POSTGRES_DSN"), metavar="DSN")
    args = parser.parse_args()
    if args.store == "postgres" and not args.postgres:
        parser.error("--store postgres needs --postgres DSN (or KETENPOORT_TEST_POSTGRES_DSN)")
    sys.path[:0] = [str(args.tree.resolve()), str(BENCH_DIR)]
    from gateway_process import postgres_database

    with tempfile.TemporaryDirectory(prefix="ketenpoort-history-") as directory:
        if args.store == "postgres":
            with postgres_database(args.postgres) as url:
                cpu = asyncio.run(measure(Path(directory), url, args.cases, args.months))
        else:
            cpu = asyncio.run(measure(Path(directory), None, args.cases, args.months))
    spans = [(start, min(start + WINDOW, args.months)) for start in range(0, args.months, WINDOW)]
    for start, end in spans:
        print(f"{args.cases} Declaraties a month after {start:2d}-{end - 1:2d} months declared: "
              f"{statistics.mean(cpu[start:end]):.2f} ms CPU per 323 (months {', '.join(f'{v:.1f}' for v in cpu[start:end])})")
    first, last = (statistics.mean(cpu[start:end]) for start, end in (spans[0], spans[-1]))
    print(f"RESULT store={args.store} tree={args.tree} cases={args.cases} months={args.months} "
          f"first_ms={first:.2f} last_ms={last:.2f} ratio_last_first={last / first:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
