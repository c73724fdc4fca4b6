"""Driving the console in real headless Chromium (Debian's `/usr/bin/chromium`, through Playwright), and the
journal's figures computed the slow way — message by message — to compare with what the pages show."""
from __future__ import annotations

import contextlib
import importlib.util
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from queues import MessageRecord, SearchFilters, Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("browser tests need the playwright package (pip install -e '.[test]')")


@contextlib.asynccontextmanager
async def browser_page(base_url: str):
    """A fresh browser context (no cookies) and page at 1366×768 on `base_url`; the dev CA is not in Chromium's
    store, so its certificate errors are ignored (the connection is TLS all the same)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(base_url=base_url, viewport=VIEWPORT, ignore_https_errors=True)
            page = await context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


async def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def log_in(page, token: str) -> None:
    await page.goto("/console/")
    await page.fill("#token", token)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/messages")


async def cells(page, selector: str) -> list[list[str]]:
    """The text of each cell of the rows `selector` matches."""
    return await page.eval_on_selector_all(
        selector, "rows => rows.map(row => [...row.children].map(cell => cell.textContent.trim()))")


# ── the journal, message by message ──

async def every_message(store: Store) -> list[MessageRecord]:
    records, cursor = [], None
    while True:
        page = await store.search(SearchFilters(), limit=200, cursor=cursor)
        records += page.messages
        if page.next_cursor is None:
            return records
        cursor = page.next_cursor


@dataclass
class Deliveries:
    successes: int = 0
    failures: int = 0


async def deliveries_per_party(store: Store) -> dict[str, Deliveries]:
    """Acks, and nacks or dead letters, per receiving party: the tenant of inbound messages, else the partner."""
    parties: dict[str, Deliveries] = defaultdict(Deliveries)
    for record in await every_message(store):
        receiver = record.tenant if record.direction == "inbound" else record.partner
        for event in await store.timeline(record.id):
            if event.event == "acked":
                parties[receiver].successes += 1
            elif event.event in ("retried", "dead-lettered"):
                parties[receiver].failures += 1
    return parties


def count_by(records: list[MessageRecord], key) -> Counter:
    return Counter(key(record) for record in records)
