"""Browser tests' tools: Debian's chromium driven by Playwright's library (no browser download), one page per
test with every console error and uncaught exception collected, axe-core run on each page looked at, and a
screenshot of it in SCREENSHOT_DIR (the README names it).

    def test_x(shop):                       # tests/e2e/web/conftest.py
        page = shop.open("/?locale=de&currency=EUR")
        shop.look(page, "catalog-de")        # axe: no serious or critical violation; screenshot
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from infra.localaws.config import ROOT

SCREENSHOT_DIR = Path(os.environ.get("MERIDIAN_SCREENSHOTS", ROOT / ".local" / "screenshots"))
AXE_SOURCE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]
BLOCKING_IMPACTS = ("serious", "critical")
# Chromium logs every 4xx answer as a console error; a decline (402) or a validation error (400) the page
# shows the shopper is the app working. Everything else is a failure: JavaScript errors, 5xx, CSP refusals.
ANSWERED_4XX = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d ")
TIMEOUT_MS = 20_000


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("chromium is not installed: `make test` installs it (apt-get install chromium)")
    return found


@dataclass
class Shop:
    """The storefront and admin console of one running stack, seen from one browser context per test."""
    base_url: str
    browser: object
    pages: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    def context(self):
        context = self.browser.new_context(base_url=self.base_url, ignore_https_errors=True, locale="en-US",
                                           viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context

    def open(self, path: str, context=None):
        page = (context or self.context()).new_page()
        self.watch(page)
        page.goto(path)
        page.locator("#root main").first.wait_for()       # the app booted (its locale, session and messages)
        return page

    def watch(self, page) -> None:
        label = lambda: page.url  # noqa: E731 - the page's address when it happened
        page.on("console", lambda message: message.type == "error" and not ANSWERED_4XX.match(message.text)
                and self.problems.append(f"console error on {label()}: {message.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception on {label()}: {error}"))
        self.pages.append(page)

    def look(self, page, name: str) -> list[dict]:
        """The page as it is now: its screenshot, and axe-core's serious and critical violations (asserted none)."""
        page.wait_for_load_state("networkidle")
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # evaluated over DevTools, so the page's CSP (script-src 'self') does not apply to it
            page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;undefined")
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe on {name} ({page.url}):\n" + "\n".join(map(str, blocking))
        return violations

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def money_text(text: str) -> str:
    """The digits of a formatted amount, for comparing what two pages show (never parsed into a number)."""
    return re.sub(r"[^\d]", "", text)
