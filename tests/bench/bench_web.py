"""The storefront in Debian's chromium: its first-load JavaScript (gzipped, against the issue's 150 KB budget)
and how long the landing page takes until the first product card shows, with a cold cache (a new browser
context each time: index.html, the hashed assets, the messages, locales, currencies and the catalog page) and
with a warm one (a reload in the same context), beside the floor: the catalog API call alone.
"""
from __future__ import annotations

import json
import subprocess

from infra.localaws.config import ROOT
from tests.bench.measure import env_int, p50, p99, timed
from tests.bench.report import REPORT, ms
from tests.e2e.web.browser import CHROMIUM_FLAGS, chromium_path

LOADS = env_int("BENCH_WEB_LOADS", 20)
FIRST_LOAD_BUDGET_KB = 150
LANDING = "/?locale=de&currency=EUR"


def _first_load_kb() -> dict:
    script = ROOT / "web" / "scripts" / "bundle-budget.mjs"
    result = subprocess.run(["node", str(script), "--json"], capture_output=True, text=True, check=True)  # noqa: S603,S607
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(stack) -> None:
    from playwright.sync_api import sync_playwright

    section = "web"
    sizes = _first_load_kb()
    store = sizes["index.html"]["kb"]
    REPORT.figure(section, "storefront first-load JS, gzipped", f"{store} KB", target=f"≤ {FIRST_LOAD_BUDGET_KB} KB",
                  ok=store <= FIRST_LOAD_BUDGET_KB)
    REPORT.figure(section, "admin console first-load JS, gzipped", f"{sizes['admin/index.html']['kb']} KB")

    session = stack.session()
    catalog = timed(lambda: session.get(f"{stack.base_url}/api/v1/products",
                                        params={"locale": "de", "currency": "EUR", "limit": "20"}, timeout=30),
                    LOADS, 5)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            def cold() -> None:
                context = browser.new_context(base_url=stack.base_url, ignore_https_errors=True)
                try:
                    page = context.new_page()
                    page.goto(LANDING)
                    page.get_by_test_id("product-card").first.wait_for(timeout=30_000)
                finally:
                    context.close()

            context = browser.new_context(base_url=stack.base_url, ignore_https_errors=True)
            page = context.new_page()
            page.goto(LANDING)

            def warm() -> None:
                page.reload()
                page.get_by_test_id("product-card").first.wait_for(timeout=30_000)

            cold_loads = timed(cold, LOADS, 2)
            warm_loads = timed(warm, LOADS, 2)
            context.close()
        finally:
            browser.close()
    floor = f"catalog API {ms(p50(catalog))}"
    REPORT.figure(section, "landing page to first product card p50, cold cache", ms(p50(cold_loads)), floor=floor)
    REPORT.figure(section, "landing page to first product card p99, cold cache", ms(p99(cold_loads)),
                  floor=f"catalog API {ms(p99(catalog))}")
    REPORT.figure(section, "landing page to first product card p50, reload", ms(p50(warm_loads)), floor=floor)
