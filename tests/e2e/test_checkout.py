"""Checkout and payment through the real stack: HTTPS via nginx, the sandbox gateway, signed webhooks,
SQS FIFO, EventBridge → SQS → orders, SES.

The test that takes the gateway down runs last (its breaker must not disturb the others).
"""
from __future__ import annotations

import threading
import time
import uuid
from decimal import Decimal

import pytest
from meridian import mail

from tests.integration.checkout_helpers import (
    admin,
    available,
    checkout,
    confirm,
    get_order,
    intent_event,
    new_customer,
    new_product,
    sandbox_control,
    sent_emails,
    signed_webhook,
    url,
    wait_for_status,
    wait_until_settled,
    webhook_secret,
)


@pytest.fixture(scope="module")
def admin_headers(stack):
    # a stack without them is broken: fail, never skip
    assert "admin@example.com" in stack.credentials, "the admin account is not seeded"
    assert stack.sandbox_url, "the stack runs no sandbox payment gateway"
    return admin(stack)


@pytest.fixture
def shopper(stack, admin_headers):
    sandbox_control(stack)            # every test starts with a well-behaved gateway
    yield new_customer(stack)
    sandbox_control(stack)


def test_the_whole_journey(stack, admin_headers, shopper):
    product = new_product(stack, admin_headers, price="19.99", stock=5)
    session = stack.session()
    shown = session.get(url(stack, f"/api/v1/products/{product}"), params={"locale": "de", "currency": "EUR"},
                        timeout=20)
    assert shown.status_code == 200, shown.text
    assert shown.json()["price"]["currency"] == "EUR"

    placed = checkout(stack, shopper["headers"], product, 2, currency="EUR")
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "pending_payment"
    assert order["items"][0]["unit_price"] == shown.json()["price"]              # charged what was shown
    assert Decimal(order["total"]["amount"]) == Decimal(shown.json()["price"]["amount"]) * 2
    assert {"rate", "as_of", "source"} <= set(order["fx"])
    assert available(stack, admin_headers, product) == 3

    confirmed = confirm(stack, order, "4242424242424242")
    assert confirmed.status_code == 200, confirmed.text
    paid = wait_for_status(stack, shopper["headers"], order["id"], "paid")
    assert [h["status"] for h in paid["history"]] == ["pending_payment", "paid"]
    assert paid["fx"] == order["fx"] and paid["total"] == order["total"]
    payment = session.get(url(stack, f"/api/v1/payments/{order['payment']['id']}"), headers=shopper["headers"],
                          timeout=20).json()
    assert payment["status"] == "succeeded" and payment["amount"] == order["total"]

    listed = session.get(url(stack, "/api/v1/orders"), headers=shopper["headers"], timeout=20).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]

    confirmed_subject = mail.text("order_confirmation.subject", "de", number=order["id"][:8])   # saved de

    def confirmations():
        return [m for m in sent_emails(stack, shopper["email"]) if m["subject"] == confirmed_subject]

    deadline = time.monotonic() + 30
    while not confirmations() and time.monotonic() < deadline:
        time.sleep(0.3)
    [email] = confirmations()
    assert order["id"] in email["body"] and mail.money(order["total"]["amount"], "EUR", "de") in email["body"]


def test_the_same_webhook_five_times_is_applied_once(stack, admin_headers, shopper):
    sandbox_control(stack, duplicates=5)
    order = checkout(stack, shopper["headers"], new_product(stack, admin_headers)).json()
    assert confirm(stack, order).status_code == 200
    paid = wait_for_status(stack, shopper["headers"], order["id"], "paid")
    wait_until_settled(stack)                                  # every duplicate delivered and processed
    again = get_order(stack, shopper["headers"], order["id"]).json()
    assert [h["status"] for h in again["history"]] == ["pending_payment", "paid"] == \
        [h["status"] for h in paid["history"]]


def test_succeeded_before_created_still_ends_paid(stack, admin_headers, shopper):
    sandbox_control(stack, out_of_order=True, hold_ms=30000)
    order = checkout(stack, shopper["headers"], new_product(stack, admin_headers)).json()
    assert confirm(stack, order).status_code == 200
    wait_for_status(stack, shopper["headers"], order["id"], "paid")


def test_forged_or_stale_webhooks_are_400_and_change_nothing(stack, admin_headers, shopper):
    order = checkout(stack, shopper["headers"], new_product(stack, admin_headers)).json()
    event = intent_event("payment_intent.succeeded", order)
    session = stack.session()
    body, headers = signed_webhook("not-the-secret", event)
    assert session.post(url(stack, "/webhooks/payments"), data=body, headers=headers, timeout=10).status_code == 400
    body, headers = signed_webhook(webhook_secret(stack), event, timestamp=int(time.time()) - 600)
    assert session.post(url(stack, "/webhooks/payments"), data=body, headers=headers, timeout=10).status_code == 400
    wait_until_settled(stack)                                  # nothing of them is on its way either
    current = get_order(stack, shopper["headers"], order["id"]).json()
    assert current["status"] == "pending_payment" and len(current["history"]) == 1
    # the same event, properly signed, is accepted (so the refusals above were about the signature)
    body, headers = signed_webhook(webhook_secret(stack), event)
    assert session.post(url(stack, "/webhooks/payments"), data=body, headers=headers, timeout=10).status_code == 200


def test_double_submitted_checkout_is_one_order_one_intent_one_charge(stack, admin_headers, shopper):
    product = new_product(stack, admin_headers, stock=10)
    key = str(uuid.uuid4())
    results = []

    def submit():
        results.append(checkout(stack, shopper["headers"], product, 1, key=key))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    first, second = (r.json() for r in results)
    assert first["id"] == second["id"] and first["payment"] == second["payment"]
    assert available(stack, admin_headers, product) == 9
    assert confirm(stack, first).status_code == 200
    assert confirm(stack, second).status_code == 400                 # the intent was charged once
    orders = stack.session().get(url(stack, "/api/v1/orders"), headers=shopper["headers"], timeout=20).json()
    assert len(orders["items"]) == 1


def test_twenty_concurrent_checkouts_for_five_units(stack, admin_headers):
    product = new_product(stack, admin_headers, stock=5)
    shoppers = [new_customer(stack) for _ in range(4)]
    statuses: list[int] = []
    lock = threading.Lock()

    def buy(i: int):
        response = checkout(stack, shoppers[i % 4]["headers"], product, 1)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201] * 5 + [409] * 15, statuses
    assert available(stack, admin_headers, product) == 0


def test_declined_card_keeps_the_order_pending_and_another_card_pays_it(stack, admin_headers, shopper):
    """A decline is a note: the order stays pending_payment with its stock held and its intent open until the
    payment window ends (reconciliation then cancels it), so the shopper may try another card."""
    product = new_product(stack, admin_headers, stock=3)
    order = checkout(stack, shopper["headers"], product, 2).json()
    assert available(stack, admin_headers, product) == 1
    assert confirm(stack, order, "4000000000000002").status_code == 402
    deadline, seen = time.monotonic() + 30, order
    while seen["payment"].get("last_error") is None and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = get_order(stack, shopper["headers"], order["id"]).json()
    assert seen["status"] == "pending_payment" and seen["payment"]["last_error"] == "card_declined"
    assert "card_declined" in seen["history"][-1]["reason"]
    assert available(stack, admin_headers, product) == 1                # still held for the order
    assert confirm(stack, order, "4242424242424242").status_code == 200  # the intent is open: a second card pays
    assert wait_for_status(stack, shopper["headers"], order["id"], "paid")["status"] == "paid"
    assert available(stack, admin_headers, product) == 1


def test_customer_cancels_a_pending_order(stack, admin_headers, shopper):
    product = new_product(stack, admin_headers, stock=2)
    order = checkout(stack, shopper["headers"], product, 2).json()
    response = stack.session().post(url(stack, f"/api/v1/orders/{order['id']}/cancel"), headers=shopper["headers"],
                                    timeout=20)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert available(stack, admin_headers, product) == 2
    assert confirm(stack, order).status_code == 400                  # the intent is cancelled at the gateway


def test_a_refund_at_the_payment_moves_the_order_to_refunded_and_is_listed_on_it(stack, admin_headers, shopper):
    order = checkout(stack, shopper["headers"], new_product(stack, admin_headers)).json()
    confirm(stack, order)
    wait_for_status(stack, shopper["headers"], order["id"], "paid")
    refund_url = url(stack, f"/api/v1/payments/{order['payment']['id']}/refund")
    assert stack.session().post(refund_url, json={}, headers=shopper["headers"], timeout=20).status_code == 403
    response = stack.session().post(refund_url, json={}, headers=admin_headers, timeout=20)
    assert response.status_code == 202, response.text
    refunded = wait_for_status(stack, shopper["headers"], order["id"], "refunded")
    assert [h["status"] for h in refunded["history"]] == ["pending_payment", "paid", "refunded"]
    # a refund made at the payment is listed on the order as one of its refunds
    assert [(r["amount"], r["reason"], r["status"]) for r in refunded["refunds"]] == [
        (order["total"], "refunded at the payment", "succeeded")]
    assert refunded["refunded_total"] == order["total"]


def test_admin_actions_and_money_movements_are_in_the_audit_log(stack, admin_headers, shopper):
    """Fulfilment, an admin's cancellation and a refund, each with its actor's e-mail and request id; the
    payments that moved money (succeeded, refunded) as the system's."""
    session = stack.session()
    product = new_product(stack, admin_headers)
    shipped, kept, refunded = (checkout(stack, shopper["headers"], product).json() for _ in range(3))
    for order in (shipped, refunded):
        confirm(stack, order)
        wait_for_status(stack, shopper["headers"], order["id"], "paid")
    answers = {
        ("order.fulfilled", f"order:{shipped['id']}"): session.post(
            url(stack, f"/api/v1/orders/{shipped['id']}/fulfil"), headers=admin_headers,
            json={"carrier": "DHL", "tracking_number": "JJD0001"}, timeout=20),
        ("order.cancelled", f"order:{kept['id']}"): session.post(
            url(stack, f"/api/v1/orders/{kept['id']}/cancel"), headers=admin_headers, json={"reason": "fraud"},
            timeout=20),
        ("payment.refund_requested", f"payment:{refunded['payment']['id']}"): session.post(
            url(stack, f"/api/v1/payments/{refunded['payment']['id']}/refund"), headers=admin_headers, json={},
            timeout=20),
    }
    assert all(r.status_code in (200, 202) for r in answers.values()), [r.text for r in answers.values()]
    wait_for_status(stack, shopper["headers"], refunded["id"], "refunded")

    def entry(action, target):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            items = session.get(url(stack, "/api/v1/admin/audit-log"), headers=admin_headers,
                                params={"action": action, "limit": "100"}, timeout=20).json()["items"]
            found = next((e for e in items if e["target"] == target), None)
            if found:
                return found
            time.sleep(0.5)
        raise AssertionError(f"{action} on {target} never reached the audit log")

    for (action, target), answer in answers.items():
        found = entry(action, target)
        assert (found["actor_email"], found["request_id"]) == ("admin@example.com", answer.headers["X-Request-Id"])
        assert found["before"]["status"] == {"order.fulfilled": "paid", "order.cancelled": "pending_payment",
                                             "payment.refund_requested": "succeeded"}[action]
    assert entry("order.fulfilled", f"order:{shipped['id']}")["after"]["reason"] == "fulfilled (DHL JJD0001)"
    for movement in ("payment.succeeded", "payment.refunded"):
        found = entry(movement, f"payment:{refunded['payment']['id']}")
        assert found["actor"] == "system:payments" and found["after"]["order_id"] == refunded["id"]


def test_another_users_order_is_404(stack, admin_headers, shopper):
    order = checkout(stack, shopper["headers"], new_product(stack, admin_headers)).json()
    stranger = new_customer(stack)
    assert get_order(stack, stranger["headers"], order["id"]).status_code == 404
    cancel = stack.session().post(url(stack, f"/api/v1/orders/{order['id']}/cancel"), headers=stranger["headers"],
                                  timeout=20)
    assert cancel.status_code == 404
    assert stack.session().get(url(stack, f"/api/v1/payments/{order['payment']['id']}"),
                               headers=stranger["headers"], timeout=20).status_code == 404


def test_the_gateway_answers_the_public_only_with_its_secret_key(stack, admin_headers, shopper):
    """Through the public HTTPS listener (/sandbox/), as a shopper holding their order's client_secret: nothing
    but the confirm is open, the test controls are not there at all, and the order still gets paid."""
    product = new_product(stack, admin_headers, price="4.00", stock=3)
    order = checkout(stack, shopper["headers"], product, 1).json()
    intent = order["payment"]["intent_id"]
    session = stack.session()
    attempts = {
        "read the intent": session.get(url(stack, f"/sandbox/v1/payment_intents/{intent}"), timeout=10),
        "create an intent": session.post(url(stack, "/sandbox/v1/payment_intents"),
                                         json={"amount": 100, "currency": "eur"}, timeout=10),
        "cancel it": session.post(url(stack, f"/sandbox/v1/payment_intents/{intent}/cancel"), timeout=10),
        "refund it": session.post(url(stack, "/sandbox/v1/refunds"), json={"payment_intent": intent}, timeout=10),
        "redirect the webhooks": session.post(url(stack, "/sandbox/v1/control"),
                                              json={"webhook_url": "http://127.0.0.1:9/"}, timeout=10),
        "reset the controls": session.post(url(stack, "/sandbox/v1/control/reset"), timeout=10),
        "count deliveries": session.get(url(stack, "/sandbox/v1/deliveries"), timeout=10),
    }
    assert {what: r.status_code for what, r in attempts.items()} == {what: 401 for what in attempts}
    assert sandbox_control(stack, duplicates=1)["webhook_url"].endswith("/webhooks/payments")
    assert confirm(stack, order).status_code == 200                 # the shopper's browser: client_secret only
    assert wait_for_status(stack, shopper["headers"], order["id"], "paid")["status"] == "paid"


def test_zz_gateway_down_is_503_within_3s_and_the_stock_comes_back(stack, admin_headers, shopper):
    # the 3 s comes from configuration: the payments function gives the gateway at most this long
    gateway_timeout = stack.template.function("PaymentsFunction").environment["PAYMENT_GATEWAY_TIMEOUT_SECONDS"]
    assert float(gateway_timeout) <= 1.5
    product = new_product(stack, admin_headers, stock=4)
    sandbox_control(stack, fail=True)
    started = time.monotonic()
    response = checkout(stack, shopper["headers"], product, 2)
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert elapsed < 10.0                                      # generous: timing targets live in tests/bench
    assert available(stack, admin_headers, product) == 4
    orders = stack.session().get(url(stack, "/api/v1/orders"), headers=shopper["headers"], timeout=20).json()
    assert orders["items"] == []
