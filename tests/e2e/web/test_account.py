"""Account pages in a real browser: register, the e-mail's verification link, profile, address book, log out,
a wrong password told in the shopper's language, log in, a reload and a second tab that stay signed in (the
refresh cookie, rotated once, not fought over), the password-reset link from the e-mail."""
from __future__ import annotations

import re
import time
import uuid

from tests.e2e.web.journeys import fill, path_of
from tests.integration.checkout_helpers import sent_emails

PASSWORD, NEW_PASSWORD = "browser passphrase 2026", "another passphrase 2026"


def link_in_email(stack, to: str, path: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(sent_emails(stack, to)):
            found = re.search(rf"https?://[^\s\"<>&]+{re.escape(path)}\?token=[^\s\"<>&]+", str(message["body"]))
            if found:
                return path_of(found.group(0))
        time.sleep(0.5)
    raise AssertionError(f"no e-mail with a {path} link to {to}")


def signed_in(page) -> None:
    page.get_by_test_id("logout").wait_for()


def test_register_verify_profile_addresses_logout_login_and_reset(stack, shop):
    email = f"web-{uuid.uuid4().hex[:8]}@example.com"
    context = shop.context()
    page = shop.open("/account/register?locale=en", context)
    shop.look(page, "store-register")
    fill(page, "email", email)
    fill(page, "password", PASSWORD)
    fill(page, "name", "Web Shopper")
    page.get_by_test_id("submit").click()
    signed_in(page)

    page.goto(link_in_email(stack, email, "/verify-email"))
    page.locator("[data-testid=verify-result][data-status=ok]").wait_for()
    shop.look(page, "store-verify-email")

    page.goto("/account")
    page.locator("[name=name]").first.wait_for()
    shop.look(page, "store-profile")
    page.goto("/account/addresses")
    shop.look(page, "store-addresses")

    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-link").wait_for()
    page.goto("/account/login?locale=de")
    fill(page, "email", email)
    fill(page, "password", "not the password")
    page.get_by_test_id("submit").click()
    error = page.get_by_test_id("form-error")
    error.wait_for()
    assert error.get_attribute("role") == "alert" and "Passwort" in error.inner_text(), error.inner_text()   # German
    shop.look(page, "store-login-error-de")
    fill(page, "password", PASSWORD)
    page.get_by_test_id("submit").click()
    signed_in(page)

    page.reload()                                   # the access token was in memory only: the cookie renews it
    signed_in(page)
    second = context.new_page()                     # a second tab of the same browser
    shop.watch(second)
    second.goto("/account/orders")
    signed_in(second)
    page.reload()
    second.reload()
    signed_in(page)
    signed_in(second)                               # neither tab's refresh logged the other out
    shop.look(second, "store-orders")
    second.close()

    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-link").wait_for()
    page.goto("/account/forgot-password")
    fill(page, "email", email)
    page.get_by_test_id("submit").click()
    page.goto(link_in_email(stack, email, "/reset-password"))
    fill(page, "password", NEW_PASSWORD)
    shop.look(page, "store-reset-password")
    page.get_by_test_id("submit").click()
    page.goto("/account/login")
    fill(page, "email", email)
    fill(page, "password", NEW_PASSWORD)
    page.get_by_test_id("submit").click()
    signed_in(page)
