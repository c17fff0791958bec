"""A fixed price per currency through the gateway (HTTPS via nginx, the real services, the sandbox gateway): set by
an admin, shown as it is in the catalog, charged as it is by the cart, the order and the payment; a currency
without a fixed price still converts."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from meridian.money import shelf_price

from tests.integration.checkout_helpers import admin, confirm, sandbox_control, url, wait_for_status

JP = {"name": "Yamada Taro", "line1": "1-1 Chiyoda", "city": "Tokyo", "postal_code": "100-0001", "country": "JP"}
PRODUCTS = "/api/v1/products"


@pytest.fixture(scope="module")
def admin_headers(stack):
    assert "admin@example.com" in stack.credentials, "the admin account is not seeded"
    sandbox_control(stack)
    return admin(stack)


def call(stack, session, method: str, path: str, expect: int = 200, **kw):
    response = session.request(method, url(stack, path), timeout=30, **kw)
    assert response.status_code == expect, (method, path, response.status_code, response.text)
    return response.json() if response.content else None


def money(figure: dict) -> Decimal:
    return Decimal(figure["amount"])


def test_a_fixed_jpy_price_is_shown_carted_ordered_and_charged_as_set(stack, admin_headers):
    session = stack.session()
    created = call(stack, session, "POST", PRODUCTS, 201, headers=admin_headers, json={
        "name": f"Fixed-price mug {uuid.uuid4().hex[:6]}", "category": "kitchen", "base_price": "24.00", "stock": 10,
        "weight_grams": 400, "prices": {"JPY": "2500"}})
    assert created["prices"] == {"JPY": "2500"}
    pid = created["id"]
    refused = session.patch(url(stack, f"{PRODUCTS}/{pid}"), headers=admin_headers, timeout=30,
                            json={"prices": {"JPY": "2500.5"}})
    assert refused.status_code == 400 and "prices.JPY" in refused.json()["errors"], refused.text

    shown = call(stack, session, "GET", f"{PRODUCTS}/{pid}", params={"currency": "JPY", "locale": "ja"})
    assert shown["price"] == {"amount": "2500", "currency": "JPY"}          # not 24 USD converted
    assert shown["fx"]["source"] == "fixed" and shown["fx"]["rate"] is None
    euros = call(stack, session, "GET", f"{PRODUCTS}/{pid}", params={"currency": "EUR", "locale": "de"})
    assert euros["fx"]["source"] != "fixed" and euros["fx"]["rate"] is not None       # no fixed EUR: converted
    vat = Decimal(euros["tax"]["rate"]) if euros["tax"]["included"] else Decimal(0)
    assert money(euros["price"]) == shelf_price(Decimal("24.00"), Decimal(euros["fx"]["rate"]), "EUR", tax_rate=vat)

    guest = stack.session()
    cart = call(stack, guest, "POST", "/api/v1/carts", 201, json={"currency": "JPY", "locale": "ja"})
    headers = {"Cart-Token": cart["cart_token"]}
    base = f"/api/v1/carts/{cart['id']}"
    cart = call(stack, guest, "POST", f"{base}/items", headers=headers, json={"product_id": pid, "quantity": 3})
    assert cart["items"][0]["unit_price"] == {"amount": "2500", "currency": "JPY"}
    assert cart["items"][0]["line_total"] == {"amount": "7500", "currency": "JPY"}
    call(stack, guest, "PUT", f"{base}/shipping-address", headers=headers, json=JP)
    offers = call(stack, guest, "GET", f"{base}/shipping-methods", headers=headers)["items"]
    assert offers, "no shipping method to JP"
    call(stack, guest, "PUT", f"{base}/shipping-method", headers=headers, json={"method_id": offers[0]["id"]})
    quoted = call(stack, guest, "PATCH", base, headers=headers,
                  json={"email": f"fixed-{uuid.uuid4().hex[:8]}@example.com"})
    assert quoted["warnings"] == [] and quoted["tax_included"] is True             # Japan: tax inside the price
    shipping = money(quoted["shipping_total"])
    assert money(quoted["subtotal"]) == Decimal("7500")
    assert money(quoted["total"]) == Decimal("7500") + shipping

    order = call(stack, guest, "POST", "/api/v1/orders", 201, json={"cart_id": cart["id"]},
                 headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert order["items"][0]["unit_price"] == {"amount": "2500", "currency": "JPY"}
    assert order["total"] == quoted["total"] and order["shipping_total"] == quoted["shipping_total"]
    assert confirm(stack, order).status_code == 200
    wait_for_status(stack, admin_headers, order["id"], "paid")
    payment = call(stack, session, "GET", f"/api/v1/payments/{order['payment']['id']}", headers=admin_headers)
    assert payment["status"] == "succeeded"
    assert payment["amount"] == {"amount": str(Decimal("7500") + shipping), "currency": "JPY"} == order["total"]
