"""The admin console in a real browser: a customer is refused; an admin sees the dashboard's charts, creates a
product with a German localization and stock that the storefront then shows, refunds part of a paid order and
fulfils it, and finds all of it in the audit log."""
from __future__ import annotations

import re
import time
import uuid

from tests.e2e.web.journeys import fill, sign_in
from tests.integration.checkout_helpers import checkout, confirm, new_customer, wait_for_status

AUDIT_TIMEOUT = 60.0


def test_a_customer_is_refused_clearly(stack, shop):
    page = sign_in(shop, "/admin/", "customer@example.com", stack.credentials["customer@example.com"])
    page.get_by_test_id("forbidden").wait_for()
    assert page.get_by_test_id("dashboard").count() == 0
    shop.look(page, "admin-forbidden")


def test_an_admin_runs_the_shop_and_the_audit_log_shows_it(stack, shop):
    page = sign_in(shop, "/admin/", "admin@example.com", stack.credentials["admin@example.com"])
    page.get_by_test_id("dashboard").wait_for()
    page.locator("[data-testid=chart-orders-by-status] svg").first.wait_for()
    page.get_by_test_id("fx-freshness").wait_for()
    shop.look(page, "admin-dashboard")

    # a product, with its German name and stock, made in the console …
    tag = uuid.uuid4().hex[:6]
    page.goto("/admin/products/new")
    fill(page, "name", f"Console lamp {tag}")
    fill(page, "description", "A lamp made in the admin console.")
    fill(page, "category", "lighting")
    fill(page, "base_price", "49.90")
    shop.look(page, "admin-product-new")
    page.get_by_test_id("save-product").click()
    page.wait_for_url(re.compile(r"/admin/products/(?!new\b)[^/?#]+$"))
    product_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.get_by_test_id("stock-quantity").fill("7")
    page.get_by_test_id("save-stock").click()
    german = page.get_by_test_id("localization-de")
    german.locator("[name=name]").fill(f"Konsolenlampe {tag}")
    german.locator("[name=description]").fill("Eine Lampe aus der Konsole.")
    german.get_by_test_id("save-localization").click()
    page.get_by_test_id("action-result").or_(page.get_by_role("status")).first.wait_for()
    shop.look(page, "admin-product-edit")

    # … is in the storefront, in German, in stock
    store = shop.open(f"/products/{product_id}?locale=de&currency=EUR")
    store.get_by_test_id("product-name").filter(has_text=f"Konsolenlampe {tag}").wait_for()
    assert "7" in store.get_by_test_id("stock").inner_text() or store.get_by_test_id("add-to-cart").is_enabled()

    # a customer pays for one; the admin refunds part of it, then fulfils it
    customer = new_customer(stack)
    placed = checkout(stack, customer["headers"], product_id, 2)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert confirm(stack, order).status_code == 200
    wait_for_status(stack, customer["headers"], order["id"], "paid", timeout=60)

    page.goto(f"/admin/orders/{order['id']}")
    page.locator("[data-testid=order-status][data-status=paid]").wait_for()
    shop.look(page, "admin-order-paid")
    page.get_by_test_id("refund-amount").fill("5.00")
    page.get_by_test_id("refund").click()
    page.get_by_test_id("action-result").wait_for()
    page.get_by_test_id("fulfil").click()
    page.locator("[data-testid=order-status][data-status=fulfilled]").wait_for()
    shop.look(page, "admin-order-fulfilled")

    # the audit log: the product, its localization, the refund and the fulfilment, by the admin
    wanted = {"product.created": f"product:{product_id}", "product.localized": f"product:{product_id}",
              "payment.refund_requested": f"payment:{order['payment']['id']}",
              "order.fulfilled": f"order:{order['id']}"}
    page.goto("/admin/audit")
    deadline = time.monotonic() + AUDIT_TIMEOUT
    missing = dict(wanted)
    while missing and time.monotonic() < deadline:
        page.get_by_test_id("audit-row").first.wait_for()
        rows = page.get_by_test_id("audit-row").all_inner_texts()
        missing = {a: t for a, t in wanted.items() if not any(a in row and t in row for row in rows)}
        if missing:
            time.sleep(1)
            page.reload()
    assert not missing, f"not in the audit log's first page: {missing}"
    page.get_by_test_id("audit-action-filter").fill("order.fulfilled")
    page.get_by_test_id("audit-action-filter").press("Enter")
    page.wait_for_function("""() => {
        const rows = [...document.querySelectorAll('[data-testid=audit-row]')];
        return rows.length > 0 && rows.every(row => row.innerText.includes('order.fulfilled'));
    }""")
    shop.look(page, "admin-audit")
