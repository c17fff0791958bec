"""After payment, in a real browser: a customer sees the parcel with its tracking link and asks to return one of
two units in the storefront; staff approve, receive (restocking it) and refund the return in the console, and the
customer's order page then shows the return refunded and the refund. An admin registers a merchant endpoint at
the stack's webhook test receiver on the webhooks page, sees the secret once, then the deliveries of an order's
events in the endpoint's log, and redelivers one."""
from __future__ import annotations

import time
import uuid

from tests.e2e.web.journeys import new_product, place_order, sign_in
from tests.integration.checkout_helpers import (
    PASSWORD,
    admin,
    confirm,
    get_order,
    new_customer,
    url,
    wait_for_status,
)

DELIVERY_TIMEOUT = 60.0


def paid_order(stack, customer: dict, product_id: str, quantity: int) -> dict:
    placed = place_order(stack, customer["headers"], [{"product_id": product_id, "quantity": quantity}])
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert confirm(stack, order).status_code == 200
    return wait_for_status(stack, customer["headers"], order["id"], "paid", timeout=60)


def test_a_customer_returns_an_item_and_staff_refund_it(stack, shop):
    staff = admin(stack)
    product = new_product(stack, staff)
    customer = new_customer(stack)
    order = paid_order(stack, customer, product["id"], 2)
    line = order["items"][0]["line_id"]
    shipped = stack.session().post(url(stack, f"/api/v1/orders/{order['id']}/shipments"), headers=staff, timeout=30,
                                   json={"items": [{"line_id": line, "quantity": 2}], "carrier": "DHL",
                                         "tracking_number": "00340434161094042557",
                                         "tracking_url": "https://www.dhl.com/track?id=00340434161094042557"})
    assert shipped.status_code == 201, shipped.text

    # the customer: the parcel and its tracking link, then "Return items" for one of the two
    store = sign_in(shop, "/account/login", customer["email"], PASSWORD)
    store.get_by_test_id("logout").wait_for()
    store.goto(f"/orders/{order['id']}")
    store.locator("[data-testid=order-status][data-status=fulfilled]").wait_for()
    link = store.get_by_test_id("tracking-link")
    assert link.get_attribute("href") == "https://www.dhl.com/track?id=00340434161094042557"
    store.get_by_test_id("return-items").click()
    store.get_by_test_id(f"return-line-{line}").fill("1")
    store.get_by_test_id("return-reason").fill("Too small")
    shop.look(store, "store-order-return-form")
    store.get_by_test_id("request-return").click()
    store.locator("[data-testid=return-status][data-status=requested]").wait_for()
    shop.look(store, "store-order-return-requested")
    returns = get_order(stack, customer["headers"], order["id"]).json()["returns"]
    assert [(r["status"], r["items"][0]["quantity"]) for r in returns] == [("requested", 1)]
    return_id = returns[0]["id"]

    # staff: approve, receive with the unit back in stock, refund
    console = sign_in(shop, "/admin/", "admin@example.com", stack.credentials["admin@example.com"])
    console.get_by_test_id("dashboard").wait_for()
    console.goto(f"/admin/orders/{order['id']}")
    entry = console.get_by_test_id(f"return-{return_id}")
    entry.wait_for()
    entry.get_by_test_id("approve-return").click()
    console.locator(f"[data-testid=return-{return_id}][data-status=approved]").wait_for()
    assert entry.get_by_test_id(f"restock-{line}").is_checked()
    shop.look(console, "admin-order-return-approved")
    entry.get_by_test_id("receive-return").click()
    console.locator(f"[data-testid=return-{return_id}][data-status=received]").wait_for()
    entry.get_by_test_id("refund-return").click()
    console.locator(f"[data-testid=return-{return_id}][data-status=refunded]").wait_for()
    console.get_by_test_id("refund-row").first.wait_for()
    shop.look(console, "admin-order-return-refunded")
    found = get_order(stack, customer["headers"], order["id"]).json()
    assert [(r["status"], r["items"][0]["received"], r["items"][0]["restock"]) for r in found["returns"]] == [
        ("refunded", 1, True)]
    assert [r["source"] for r in found["refunds"]] == [f"return:{return_id}"]

    # the customer's page: the return refunded, the refund listed
    store.reload()
    store.locator("[data-testid=return-status][data-status=refunded]").wait_for()
    store.get_by_test_id("refund").first.wait_for()
    shop.look(store, "store-order-return-refunded")


def test_an_admin_registers_a_webhook_and_sees_its_deliveries(stack, shop):
    assert stack.webhook_receiver_url, "the dev stack starts the webhook test receiver"
    path = f"/hooks/browser-{uuid.uuid4().hex[:8]}"
    target = stack.webhook_receiver_url + path
    page = sign_in(shop, "/admin/", "admin@example.com", stack.credentials["admin@example.com"])
    page.get_by_test_id("dashboard").wait_for()
    page.goto("/admin/webhooks")
    page.get_by_test_id("new-webhook").click()

    # an internal address is refused next to the URL field
    page.get_by_test_id("webhook-url").fill("https://169.254.169.254/latest/meta-data")
    page.get_by_test_id("save-webhook").click()
    page.locator("[data-testid=webhook-url][aria-invalid=true]").wait_for()

    page.get_by_test_id("webhook-url").fill(target)
    page.get_by_test_id("webhook-description").fill("browser test")
    assert page.get_by_test_id("webhook-event-order.placed").is_checked()
    assert page.get_by_test_id("webhook-event-order.paid").is_checked()
    shop.look(page, "admin-webhooks-new")
    page.get_by_test_id("save-webhook").click()
    secret = page.get_by_test_id("webhook-secret")
    secret.wait_for()
    assert secret.inner_text().startswith("whsec_")
    row = page.get_by_test_id("webhook-row").filter(has_text=target)
    row.wait_for()
    shop.look(page, "admin-webhooks-secret-once")

    # an order is placed and paid: both events reach the endpoint, and its log says so
    customer = new_customer(stack)
    product = new_product(stack, admin(stack))
    order = paid_order(stack, customer, product["id"], 1)
    row.get_by_test_id("show-deliveries").click()
    page.get_by_test_id("delivery-log").wait_for()
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    wanted = "[data-testid=delivery-row][data-status=delivered]"
    while page.locator(f"{wanted}[data-event='order.paid']").count() == 0 and time.monotonic() < deadline:
        time.sleep(1)
        page.get_by_test_id("refresh-deliveries").click()
        page.wait_for_load_state("networkidle")
    page.locator(f"{wanted}[data-event='order.paid']").first.wait_for(timeout=5_000)
    page.locator(f"{wanted}[data-event='order.placed']").first.wait_for(timeout=5_000)
    paid = page.locator(f"{wanted}[data-event='order.paid']").first
    assert "200" in paid.get_by_test_id("last-status-code").inner_text()
    shop.look(page, "admin-webhooks-deliveries")

    received = stack.session().get(f"{stack.webhook_receiver_url}/received", params={"path": path}, timeout=10).json()
    before = len(received["items"])
    assert before >= 2 and any(order["id"] in str(item) for item in received["items"])

    # a redelivery sends it again
    paid.get_by_test_id("redeliver").click()
    page.get_by_test_id("redeliver-result").wait_for()
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while time.monotonic() < deadline:
        items = stack.session().get(f"{stack.webhook_receiver_url}/received", params={"path": path},
                                    timeout=10).json()["items"]
        if len(items) > before:
            break
        time.sleep(0.5)
    assert len(items) > before, "the redelivery did not arrive"

    # disable it: the row says so
    row.get_by_test_id("toggle-webhook").click()
    page.locator("[data-testid=webhook-row][data-enabled=false]").filter(has_text=target).wait_for()
