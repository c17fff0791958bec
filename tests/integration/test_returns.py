"""Returns through the gateway: of an order of two lines, paid and shipped, the customer returns one line; staff
approve it, receive it with restocking (the product's stock goes up) and refund it (that line's amount; the order
becomes partially_refunded when the payment confirms). A second return of the same units is refused. (The return
window's rule, RETURN_WINDOW_DAYS, is tested in tests/unit/orders/test_returns.py: a stack's clock cannot move.)"""
from __future__ import annotations

import uuid

import pytest

from tests.integration.checkout_helpers import (
    ADDRESS,
    admin,
    available,
    confirm,
    get_order,
    new_customer,
    new_product,
    sandbox_control,
    url,
    wait_for_status,
)


@pytest.fixture(scope="module")
def admin_headers(stack):
    assert "admin@example.com" in stack.credentials, "the admin account is not seeded"
    assert stack.sandbox_url, "the stack runs no sandbox payment gateway"
    sandbox_control(stack)
    return admin(stack)


def test_return_and_refund_one_line_with_restock(stack, admin_headers):
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
    assert paid["returns"] == []
    line_of = {line["product_id"]: line for line in paid["items"]}    # the order keeps its own line order
    mug_line, cup_line = line_of[mug], line_of[cup]
    returns = url(stack, f"/api/v1/orders/{order['id']}/returns")

    # nothing shipped yet: nothing to return
    early = session.post(returns, headers=shopper["headers"], timeout=20,
                         json={"items": [{"line_id": mug_line["line_id"], "quantity": 1}]})
    assert early.status_code == 400 and "items.0.quantity" in early.json()["errors"], early.text

    shipped = session.post(url(stack, f"/api/v1/orders/{order['id']}/shipments"), headers=admin_headers, timeout=20,
                           json={"items": [{"line_id": mug_line["line_id"], "quantity": 2},
                                           {"line_id": cup_line["line_id"], "quantity": 1}],
                                 "carrier": "DHL", "tracking_number": "JJD000777"})
    assert shipped.status_code == 201, shipped.text
    assert shipped.json()["status"] == "fulfilled"
    stock_before = available(stack, admin_headers, mug)

    # the customer returns the mugs
    requested = session.post(returns, headers=shopper["headers"], timeout=20,
                             json={"items": [{"line_id": mug_line["line_id"], "quantity": 2, "reason": "Too small"}],
                                   "note": "Unused."})
    assert requested.status_code == 201, requested.text
    (ret,) = requested.json()["returns"]
    assert ret["status"] == "requested" and ret["requested_by"] == f"customer:{shopper['user_id']}"
    assert [(i["line_id"], i["quantity"]) for i in ret["items"]] == [(mug_line["line_id"], 2)]
    again = session.post(returns, headers=shopper["headers"], timeout=20,
                         json={"items": [{"line_id": mug_line["line_id"], "quantity": 2}]})
    assert again.status_code == 400 and "items.0.quantity" in again.json()["errors"], again.text

    step = url(stack, f"/api/v1/orders/{order['id']}/returns/{ret['id']}")
    assert session.post(f"{step}/approve", headers=shopper["headers"], json={}, timeout=20).status_code == 403
    refused = session.post(f"{step}/refund", headers=admin_headers, json={}, timeout=20)
    assert refused.status_code == 409 and refused.json()["return_status"] == "requested", refused.text
    approved = session.post(f"{step}/approve", headers=admin_headers, json={}, timeout=20)
    assert approved.status_code == 200, approved.text
    received = session.post(f"{step}/receive", headers=admin_headers, timeout=20,
                            json={"items": [{"line_id": mug_line["line_id"], "quantity": 2, "restock": True}]})
    assert received.status_code == 200, received.text
    assert available(stack, admin_headers, mug) == stock_before + 2
    refunded = session.post(f"{step}/refund", headers=admin_headers, json={"reason": "Returned: too small"},
                            timeout=20)
    assert refunded.status_code == 200, refunded.text

    shown = wait_for_status(stack, shopper["headers"], order["id"], "partially_refunded")
    (ret,) = shown["returns"]
    assert ret["status"] == "refunded" and ret["refund"]["amount"] == mug_line["line_total"]
    assert [s["status"] for s in ret["history"]] == ["requested", "approved", "received", "refunded"]
    refund = next(r for r in shown["refunds"] if r["id"] == ret["refund"]["id"])
    assert refund["amount"] == mug_line["line_total"] and refund["source"] == f"return:{ret['id']}"
    assert refund["status"] == "succeeded" and shown["refunded_total"] == mug_line["line_total"]
    assert [h["reason"] for h in shown["history"] if h["reason"].startswith("return ")] == [
        f"return {ret['id'][:8]} {s}" for s in ("requested", "approved", "received",
                                                  "refunded: Returned: too small")]
    # the shopper's GET and the admin's agree
    assert get_order(stack, admin_headers, order["id"]).json()["returns"] == shown["returns"]
