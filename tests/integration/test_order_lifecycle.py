"""An order after payment, through the gateway: shipped in two parts (the shopper e-mailed the tracking), refunded
in part then in full (listed on the order, in its history and on the admin dashboard), and a refunded order
that may no longer ship (409)."""
from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest
from meridian import mail

from tests.integration.checkout_helpers import (
    ADDRESS,
    admin,
    confirm,
    get_order,
    new_customer,
    new_product,
    sandbox_control,
    sent_emails,
    url,
    wait_for_status,
)


@pytest.fixture(scope="module")
def admin_headers(stack):
    assert "admin@example.com" in stack.credentials, "the admin account is not seeded"
    assert stack.sandbox_url, "the stack runs no sandbox payment gateway"
    sandbox_control(stack)
    return admin(stack)


def eventually(check, what: str, timeout: float = 45.0):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.3)


def dashboard(stack, headers) -> dict:
    response = stack.session().get(url(stack, "/api/v1/admin/dashboard"), headers=headers, timeout=20)
    assert response.status_code == 200, response.text
    return response.json()


def test_ship_in_parts_then_refund_in_part_and_in_full(stack, admin_headers):
    session = stack.session()
    shopper = new_customer(stack)
    mug, cup = new_product(stack, admin_headers, price="12.00"), new_product(stack, admin_headers, price="7.50")
    body = {"items": [{"product_id": mug, "quantity": 2}, {"product_id": cup, "quantity": 1}], "currency": "EUR",
            "shipping_address": ADDRESS}
    placed = session.post(url(stack, "/api/v1/orders"), json=body, timeout=30,
                          headers={**shopper["headers"], "Idempotency-Key": str(uuid.uuid4())})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert confirm(stack, order).status_code == 200
    paid = wait_for_status(stack, shopper["headers"], order["id"], "paid")
    assert paid["fulfillment_status"] == "unfulfilled" and paid["refunds"] == [] and paid["returns"] == []
    line_of = {line["product_id"]: line["line_id"] for line in paid["items"]}   # the order keeps its own order
    first, second = line_of[mug], line_of[cup]
    before = dashboard(stack, admin_headers)["revenue_breakdown"].get("EUR") or {"gross": "0", "refunded": "0"}

    # ship one line, then the rest
    shipments = url(stack, f"/api/v1/orders/{order['id']}/shipments")
    one = session.post(shipments, headers=admin_headers, timeout=20,
                       json={"items": [{"line_id": first, "quantity": 2}], "carrier": "DHL",
                             "tracking_number": "JJD000123", "tracking_url": "https://track.example/JJD000123"})
    assert one.status_code == 201, one.text
    assert (one.json()["status"], one.json()["fulfillment_status"]) == ("partially_fulfilled", "partially_fulfilled")
    assert session.post(shipments, headers=shopper["headers"], timeout=20,
                        json={"items": [{"line_id": second, "quantity": 1}], "carrier": "DHL",
                              "tracking_number": "X"}).status_code == 403
    too_many = session.post(shipments, headers=admin_headers, timeout=20,
                            json={"items": [{"line_id": first, "quantity": 1}], "carrier": "DHL",
                                  "tracking_number": "X"})
    assert too_many.status_code == 400 and "items.0.quantity" in too_many.json()["errors"]
    rest = session.post(shipments, headers=admin_headers, timeout=20,
                        json={"items": [{"line_id": second, "quantity": 1}], "carrier": "UPS",
                              "tracking_number": "1Z999"})
    assert rest.status_code == 201, rest.text
    assert (rest.json()["status"], rest.json()["fulfillment_status"]) == ("fulfilled", "fulfilled")
    assert [s["carrier"] for s in rest.json()["shipments"]] == ["DHL", "UPS"]

    shipped = mail.text("order_shipment.subject", "de", number=order["id"][:8])   # the shopper saved de

    def shipment_mails():
        found = [m for m in sent_emails(stack, shopper["email"]) if m["subject"] == shipped]
        return found if len(found) == 2 else None

    mails = eventually(shipment_mails, "two shipment e-mails")
    dhl = next(m for m in mails if "JJD000123" in m["body"])
    assert "DHL" in dhl["body"] and "https://track.example/JJD000123" in dhl["body"]

    # a partial refund after fulfilment, then the rest
    refunds = url(stack, f"/api/v1/orders/{order['id']}/refunds")
    partial = session.post(refunds, headers={**admin_headers, "Idempotency-Key": str(uuid.uuid4())}, timeout=20,
                           json={"amount": "5.00", "reason": "A mug arrived chipped",
                                 "lines": [{"line_id": first, "quantity": 1}]})
    assert partial.status_code == 202, partial.text
    assert partial.json()["refunds"][0]["status"] == "pending"
    shown = wait_for_status(stack, shopper["headers"], order["id"], "partially_refunded")
    assert shown["refunds"][0]["status"] == "succeeded" and shown["refunded_total"]["amount"] == "5.00"
    assert shown["fulfillment_status"] == "fulfilled"

    full = session.post(refunds, headers=admin_headers, json={"reason": "Customer returned everything"}, timeout=20)
    assert full.status_code == 202, full.text
    total = Decimal(order["total"]["amount"])
    assert full.json()["refunds"][-1]["amount"]["amount"] == str(total - 5)
    refunded = wait_for_status(stack, shopper["headers"], order["id"], "refunded")
    assert [r["status"] for r in refunded["refunds"]] == ["succeeded", "succeeded"]
    assert refunded["refunded_total"]["amount"] == order["total"]["amount"]
    assert [h["status"] for h in refunded["history"]][-3:] == ["partially_refunded", "partially_refunded", "refunded"]
    assert [h["status"] for h in refunded["history"]][:4] == ["pending_payment", "paid", "partially_fulfilled",
                                                              "fulfilled"]

    # the dashboard: the order stays in gross (it was counted once paid, before this figure was read), its
    # whole total is now in refunded, nothing of it in net
    after = dashboard(stack, admin_headers)["revenue_breakdown"]["EUR"]
    assert Decimal(after["gross"]) >= Decimal(before["gross"]) >= total
    assert Decimal(after["refunded"]) - Decimal(before["refunded"]) == total
    assert Decimal(after["net"]) == Decimal(after["gross"]) - Decimal(after["refunded"])

    # an illegal move: a refunded order does not ship
    again = session.post(shipments, headers=admin_headers, timeout=20,
                         json={"items": [{"line_id": first, "quantity": 1}], "carrier": "DHL", "tracking_number": "X"})
    assert again.status_code == 409 and again.json()["order_status"] == "refunded"
    assert get_order(stack, shopper["headers"], order["id"]).json()["version"] == refunded["version"]
