"""The admin console in a real browser: a customer is refused; an admin sees the dashboard's charts, creates a
product with a German localization and stock that the storefront then shows, ships a paid order of two lines in
two parcels (1 of 2 lines, then the rest), refunds part of it with a reason that the order then lists, and finds
all of it in the audit log."""
from __future__ import annotations

import re
import time
import uuid

from tests.e2e.web.browser import money_text
from tests.e2e.web.journeys import fill, new_product, place_order, sign_in
from tests.integration.checkout_helpers import admin, confirm, new_customer, wait_for_status

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

    # a customer pays for two of it and one other product; the admin ships the lamps, then the rest, and refunds
    # part of the order with a reason
    other = new_product(stack, admin(stack))
    customer = new_customer(stack)
    placed = place_order(stack, customer["headers"], [{"product_id": product_id, "quantity": 2},
                                                      {"product_id": other["id"], "quantity": 1}])
    assert placed.status_code == 201, placed.text
    order = placed.json()
    lines = {line["product_id"]: line["line_id"] for line in order["items"]}    # the order keeps its own line order
    lamp, mug = lines[product_id], lines[other["id"]]
    assert confirm(stack, order).status_code == 200
    wait_for_status(stack, customer["headers"], order["id"], "paid", timeout=60)

    page.goto(f"/admin/orders/{order['id']}")
    page.locator("[data-testid=order-status][data-status=paid]").wait_for()
    shop.look(page, "admin-order-paid")
    page.get_by_test_id(f"ship-line-{lamp}").fill("2")
    page.get_by_test_id(f"ship-line-{mug}").fill("0")
    page.get_by_test_id("ship-carrier").fill("DHL")
    page.get_by_test_id("ship-tracking").fill("00340434161094042557")
    page.get_by_test_id("ship-tracking-url").fill("https://www.dhl.com/track?id=00340434161094042557")
    page.get_by_test_id("create-shipment").click()
    page.locator("[data-testid=order-status][data-status=partially_fulfilled]").wait_for()
    page.locator("[data-testid=fulfillment-status][data-status=partially_fulfilled]").wait_for()
    assert page.get_by_test_id("shipment-row").count() == 1
    assert page.get_by_test_id(f"ship-line-{lamp}").count() == 0          # nothing of it is left to ship
    shop.look(page, "admin-order-partially-fulfilled")
    page.get_by_test_id("ship-carrier").fill("UPS")
    page.get_by_test_id("ship-tracking").fill("1Z999AA10123456784")
    page.get_by_test_id("create-shipment").click()
    page.locator("[data-testid=order-status][data-status=fulfilled]").wait_for()
    assert page.get_by_test_id("shipment-row").count() == 2
    assert page.get_by_test_id("create-shipment").count() == 0

    # a refund without a reason is refused next to the field; with one, it is listed on the order
    page.get_by_test_id("refund-amount").fill("5.00")
    page.get_by_test_id("create-refund").click()
    page.locator("[data-testid=refund-reason][aria-invalid=true]").wait_for()
    page.get_by_test_id("refund-reason").fill("Scratched shade")
    page.get_by_test_id("create-refund").click()
    refund = page.get_by_test_id("refund-row").filter(has_text="Scratched shade")
    refund.wait_for()
    page.locator("[data-testid=refund-row][data-status=succeeded]").wait_for(timeout=30_000)
    page.locator("[data-testid=order-status][data-status=partially_refunded]").wait_for(timeout=30_000)
    assert "5" in refund.inner_text()
    shop.look(page, "admin-order-refunded-in-part")

    # the dashboard counts what was refunded apart from what was earned
    page.goto("/admin/")
    euros = page.locator("[data-testid=revenue-row][data-currency=EUR]")
    euros.wait_for()
    assert int(money_text(euros.get_by_test_id("revenue-refunded").inner_text()) or 0) > 0
    assert int(money_text(euros.get_by_test_id("revenue-gross").inner_text())) > int(
        money_text(euros.get_by_test_id("revenue-net").inner_text()))

    # the audit log: the product, its localization, both shipments and the refund, by the admin
    wanted = {"product.created": f"product:{product_id}", "product.localized": f"product:{product_id}",
              "order.partially_fulfilled": f"order:{order['id']}", "order.fulfilled": f"order:{order['id']}",
              "order.refund_requested": f"order:{order['id']}"}
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
