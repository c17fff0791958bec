"""Every page of both apps, in a real browser, in a left-to-right and a right-to-left locale: axe-core finds
no serious or critical violation, nothing is logged as an error, and each has its screenshot."""
from __future__ import annotations

import re

import pytest

from tests.e2e.web.journeys import new_product, sign_in
from tests.integration.checkout_helpers import PASSWORD, admin, checkout, new_customer

STORE_PAGES = ["/", "/cart", "/checkout", "/account/login", "/account/register", "/account/forgot-password",
               "/verify-email?token=not-a-token", "/reset-password?token=not-a-token", "/no/such/page"]
CUSTOMER_PAGES = ["/account", "/account/addresses", "/account/orders"]
ADMIN_PAGES = ["/admin/", "/admin/products", "/admin/products/new", "/admin/orders", "/admin/users", "/admin/audit",
               "/admin/dead-letters", "/admin/rates", "/admin/shipping", "/admin/taxes", "/admin/promotions",
               "/admin/webhooks"]


def visit(shop, page, path: str, name: str) -> None:
    name = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "id", name).rstrip("-") or name
    page.goto(path)
    page.locator("#root main").first.wait_for()
    shop.look(page, name)


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_storefront_page(stack, shop, locale):
    product = new_product(stack, admin(stack))
    page = shop.open(f"/?locale={locale}")
    for path in [*STORE_PAGES, f"/products/{product['id']}"]:
        joiner = "&" if "?" in path else "?"
        name = f"page-store-{locale}{path.split('?')[0].replace('/', '-')}"
        visit(shop, page, f"{path}{joiner}locale={locale}", name)
    customer = new_customer(stack)
    placed = checkout(stack, customer["headers"], product["id"])
    assert placed.status_code == 201, placed.text
    page = sign_in(shop, f"/account/login?locale={locale}", customer["email"], PASSWORD)
    page.get_by_test_id("logout").wait_for()
    for path in [*CUSTOMER_PAGES, f"/orders/{placed.json()['id']}"]:
        visit(shop, page, f"{path}?locale={locale}", f"page-store-{locale}-signed-in{path.replace('/', '-')}")


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_admin_page(stack, shop, locale):
    email = "superadmin@example.com"
    page = sign_in(shop, "/admin/", email, stack.credentials[email])
    page.get_by_test_id("logout").wait_for()
    if locale != "en":
        page.get_by_label("Language").select_option(locale)
        page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    for path in ADMIN_PAGES:
        visit(shop, page, path, f"page-admin-{locale}{path.rstrip('/').replace('/', '-')}")
