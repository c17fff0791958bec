"""The browser tier: Playwright's library drives Debian's chromium against the stack of the test session
(tests/stack_session.py), served by nginx over HTTPS like `make up`: the built storefront at /, the admin
console at /admin/. A test fails on any console error or uncaught exception of its pages."""
from __future__ import annotations

import pytest

from tests.e2e.web.browser import CHROMIUM_FLAGS, Shop, chromium_path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def shop(stack, browser):
    assert stack.base_url.startswith("https://"), stack.base_url
    front = stack.session().get(f"{stack.base_url}/", timeout=10)
    assert front.status_code == 200 and 'id="root"' in front.text, "the gateway does not serve the built web app"
    seen = Shop(base_url=stack.base_url, browser=browser)
    yield seen
    seen.close()
    assert not seen.problems, "\n".join(seen.problems)
