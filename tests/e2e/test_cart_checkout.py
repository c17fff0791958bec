"""Carts, taxes, shipping and codes through the gateway (HTTPS via nginx, the real services, the sandbox
gateway, SES): the total shown is the total charged, to the cent, on the order, the payment and the e-mail.

Uses the seeded tax table, shipping zones (infra/harness/seeds/40_commerce.py) and accounts.
"""
from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from meridian.mail import money as written
from meridian.mail import text as mail_text

from tests.integration.checkout_helpers import (
    PASSWORD,
    admin,
    confirm,
    new_customer,
    new_product,
    sandbox_control,
    sent_emails,
    url,
    wait_for_status,
)

DE = {"name": "Ada Lovelace", "line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
NY = {"name": "Grace Hopper", "line1": "1 Main St", "city": "New York", "region": "NY", "postal_code": "10001",
      "country": "US"}
JP = {"name": "Yamada Taro", "line1": "1-1 Chiyoda", "city": "Tokyo", "postal_code": "100-0001", "country": "JP"}


@pytest.fixture(scope="module")
def admin_headers(stack):
    assert "admin@example.com" in stack.credentials, "the admin account is not seeded"
    sandbox_control(stack)
    return admin(stack)


class Shopper:
    """One shopper's calls through the gateway: a guest (Cart-Token) or a signed-in customer."""

    def __init__(self, stack, headers: dict | None = None):
        self.stack, self.session, self.headers = stack, stack.session(), dict(headers or {})
        self.cart_id: str | None = None

    def call(self, method: str, path: str, expect: int | None = 200, headers: dict | None = None, **kw):
        response = self.session.request(method, url(self.stack, path), headers=headers or self.headers, timeout=30,
                                        **kw)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response

    def new_cart(self, **body) -> dict:
        response = self.call("POST", "/api/v1/carts", expect=None, json=body)
        assert response.status_code in (200, 201), response.text
        cart = response.json()
        self.cart_id = cart["id"]
        if "cart_token" in cart:
            self.headers["Cart-Token"] = cart["cart_token"]
        return cart

    def cart(self, suffix: str = "", method: str = "GET", expect: int | None = 200, **kw):
        return self.call(method, f"/api/v1/carts/{self.cart_id}{suffix}", expect=expect, **kw)

    def add(self, product_id: str, quantity: int) -> dict:
        return self.cart("/items", "POST", json={"product_id": product_id, "quantity": quantity}).json()

    def ship_to(self, address: dict, method_id: str | None = None) -> dict:
        self.cart("/shipping-address", "PUT", json=address)
        offers = self.cart("/shipping-methods").json()["items"]
        assert offers, f"no shipping method to {address['country']}"
        chosen = method_id or offers[0]["id"]
        return self.cart("/shipping-method", "PUT", json={"method_id": chosen}).json()

    def order(self, expect: int | None = 201, key: str | None = None):
        return self.call("POST", "/api/v1/orders", expect=expect, json={"cart_id": self.cart_id},
                         headers={**self.headers, "Idempotency-Key": key or str(uuid.uuid4())})


def new_code(stack, admin_headers, **terms) -> str:
    code = f"T{uuid.uuid4().hex[:10].upper()}"
    response = stack.session().post(url(stack, "/api/v1/promotions"), headers=admin_headers, timeout=20,
                                    json={"code": code, "kind": "percentage", "percent": "10", **terms})
    assert response.status_code == 201, response.text
    return code


def money(figure: dict) -> Decimal:
    return Decimal(figure["amount"])


def admin_get(stack, admin_headers, path: str) -> dict:
    response = stack.session().get(url(stack, path), headers=admin_headers, timeout=20)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_email(stack, to: str, subject_part: str, timeout: float = 45.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in sent_emails(stack, to) if subject_part in m["subject"]]
        if found:
            return found[-1]
        time.sleep(0.3)
    raise AssertionError(f"no e-mail {subject_part!r} to {to}")


def test_a_guest_in_germany_pays_exactly_the_quote_and_the_order_payment_and_email_agree(stack, admin_headers):
    mug = new_product(stack, admin_headers, price="12.50", stock=10)
    lamp = new_product(stack, admin_headers, price="39.99", stock=10)
    code = new_code(stack, admin_headers)
    guest = Shopper(stack, {"Accept-Language": "de"})
    guest.new_cart(currency="EUR", locale="de")
    guest.add(mug, 2)
    cart = guest.add(lamp, 1)
    assert cart["tax_included"] is True and cart["taxes"][0]["rate"] == "0.19"     # VAT-inclusive prices
    assert money(cart["total"]) == money(cart["subtotal"])
    guest.ship_to(DE, "de-standard")
    guest.cart("/promotions", "POST", json={"code": code})
    email = f"guest-{uuid.uuid4().hex[:8]}@example.com"
    shown = guest.cart("", "PATCH", json={"email": email}).json()
    assert shown["promotions"][0]["code"] == code and money(shown["discount_total"]) > 0
    assert shown["warnings"] == []
    assert money(shown["total"]) == (money(shown["subtotal"]) - money(shown["discount_total"])
                                     + money(shown["shipping_total"]))

    order = guest.order().json()
    figures = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")
    assert {f: order[f] for f in figures} == {f: shown[f] for f in figures}
    assert order["taxes"] == shown["taxes"] and [i["line_total"] for i in order["items"]] == [
        i["line_total"] for i in shown["items"]]
    assert confirm(stack, order).status_code == 200
    wait_for_status(stack, admin_headers, order["id"], "paid")

    payment = admin_get(stack, admin_headers, f"/api/v1/payments/{order['payment']['id']}")
    assert payment["status"] == "succeeded" and payment["amount"] == shown["total"]
    breakdown = payment["breakdown"]
    assert {f: breakdown[f] for f in figures if f != "total"} == {f: shown[f] for f in figures if f != "total"}
    assert [t["amount"] for t in breakdown["taxes"]] == [t["amount"] for t in shown["taxes"]]

    # in German, the cart's locale: subject, and every figure as Germany writes it (21,90 €)
    mail = wait_for_email(stack, email, mail_text("order_confirmation.subject", "de", number=order["id"][:8]))["body"]
    for figure in figures:
        assert written(shown[figure]["amount"], "EUR", "de") in mail, figure
    for item in shown["items"]:
        assert written(item["line_total"]["amount"], "EUR", "de") in mail
    token = re.search(r"/orders/[0-9a-f-]+\?token=([A-Za-z0-9_-]+)", mail).group(1)
    linked = stack.session().get(url(stack, f"/api/v1/orders/{order['id']}"), params={"token": token}, timeout=20)
    assert linked.status_code == 200 and linked.json()["status"] == "paid" and linked.json()["total"] == shown["total"]
    forged = stack.session().get(url(stack, f"/api/v1/orders/{order['id']}"), params={"token": token[:-2] + "xx"},
                                 timeout=20)
    assert forged.status_code == 404

    # the guest registers with that address and verifies it: the order is theirs
    session = stack.session()
    assert session.post(url(stack, "/api/v1/auth/register"), json={"email": email, "password": PASSWORD},
                        timeout=20).status_code == 201
    verify = wait_for_email(stack, email, "Confirm your e-mail address")["body"]
    verify_token = re.search(r"[?&]token=([A-Za-z0-9_-]{20,})", verify).group(1)
    assert session.post(url(stack, "/api/v1/auth/verify-email"), json={"token": verify_token},
                        timeout=20).status_code == 204
    login = session.post(url(stack, "/api/v1/auth/login"), json={"email": email, "password": PASSWORD}, timeout=20)
    mine = session.get(url(stack, "/api/v1/orders"), timeout=20,
                       headers={"Authorization": f"Bearer {login.json()['access_token']}"}).json()["items"]
    assert [o["id"] for o in mine] == [order["id"]]


def test_a_us_customer_sees_sales_tax_added_on_top(stack, admin_headers):
    item = new_product(stack, admin_headers, price="19.99")
    customer = Shopper(stack, new_customer(stack)["headers"])
    customer.new_cart(currency="USD", locale="en-US")
    customer.add(item, 3)
    cart = customer.ship_to(NY, "us-ground")
    assert cart["tax_included"] is False and cart["subtotal"]["amount"] == "59.97"
    assert cart["taxes"][0]["rate"] == "0.04"
    expected_tax = ((money(cart["subtotal"]) + money(cart["shipping_total"])) * Decimal("0.04")).quantize(
        Decimal("0.01"))
    assert money(cart["tax_total"]) == expected_tax > 0
    assert money(cart["total"]) == money(cart["subtotal"]) + money(cart["shipping_total"]) + expected_tax
    order = customer.order().json()
    assert order["total"] == cart["total"] and order["tax_total"] == cart["tax_total"]


def pays_the_total_shown(stack, admin_headers, customer: Shopper, cart: dict) -> None:
    """The cart's order is placed for its total, paid with a good card, and the payment is that total."""
    order = customer.order().json()
    assert order["total"] == cart["total"]
    assert confirm(stack, order).status_code == 200
    wait_for_status(stack, admin_headers, order["id"], "paid")
    payment = admin_get(stack, admin_headers, f"/api/v1/payments/{order['payment']['id']}")
    assert payment["amount"] == cart["total"] and payment["status"] == "succeeded"


def test_a_japanese_customer_pays_in_yen_without_decimals(stack, admin_headers):
    item = new_product(stack, admin_headers, price="24.99")
    customer = Shopper(stack, new_customer(stack)["headers"])
    customer.new_cart(currency="JPY", locale="ja")
    customer.add(item, 2)
    cart = customer.ship_to(JP)
    for figure in ("subtotal", "shipping_total", "tax_total", "total"):
        assert re.fullmatch(r"\d+", cart[figure]["amount"]) and cart[figure]["currency"] == "JPY", cart[figure]
    assert cart["tax_included"] is True and cart["taxes"][0]["rate"] == "0.1"
    pays_the_total_shown(stack, admin_headers, customer, cart)


@pytest.mark.parametrize("currency", ["KWD", "BHD"])
def test_three_decimal_dinars_with_shipping_and_a_code_are_charged_exactly_in_whole_ten_fils(stack, admin_headers,
                                                                                             currency):
    """Card gateways charge three-decimal currencies only in whole tens of fils (Stripe, and the sandbox): every
    figure of the quote — converted prices, shipping, a 10 % discount, the VAT in them — is a multiple of 0.010,
    written with three decimals, and the order is placed and paid for exactly its total."""
    item = new_product(stack, admin_headers, price="13.37", stock=10)
    code = new_code(stack, admin_headers)
    customer = Shopper(stack, new_customer(stack)["headers"])
    customer.new_cart(currency=currency, locale="de")
    customer.add(item, 3)
    customer.ship_to(DE, "de-standard")
    cart = customer.cart("/promotions", "POST", json={"code": code}).json()
    figures = [cart[name] for name in ("subtotal", "discount_total", "shipping_total", "tax_total", "total")]
    figures += [tax["amount"] for tax in cart["taxes"]] + [line["line_total"] for line in cart["items"]]
    assert money(cart["discount_total"]) > 0 and money(cart["shipping_total"]) > 0
    for figure in figures:
        assert figure["currency"] == currency and re.fullmatch(r"\d+\.\d\d0", figure["amount"]), figure
    pays_the_total_shown(stack, admin_headers, customer, cart)


def test_a_guest_cart_merges_into_the_customers_cart_at_login(stack, admin_headers):
    first = new_product(stack, admin_headers, price="5.00", stock=3)
    second = new_product(stack, admin_headers, price="7.00", stock=10)
    guest = Shopper(stack)
    guest.new_cart(currency="EUR", locale="de")
    guest.add(first, 2)
    guest.add(second, 1)
    customer = Shopper(stack, new_customer(stack)["headers"])
    customer.new_cart(currency="EUR")
    customer.add(first, 2)
    merged = customer.call("POST", "/api/v1/carts", json={"guest_cart_id": guest.cart_id},
                           headers={**customer.headers, "Cart-Token": guest.headers["Cart-Token"]}).json()
    assert merged["id"] == customer.cart_id
    assert {i["product_id"]: i["quantity"] for i in merged["items"]} == {first: 3, second: 1}   # 2 + 2 capped at 3
    assert guest.cart().json()["status"] == "merged"


def test_a_price_change_between_cart_and_checkout_is_a_409_with_the_new_quote(stack, admin_headers):
    item = new_product(stack, admin_headers, price="10.00")
    guest = Shopper(stack)
    guest.new_cart(currency="EUR", locale="de")
    guest.add(item, 1)
    guest.ship_to(DE)
    seen = guest.cart("", "PATCH", json={"email": "price@example.com"}).json()
    changed = stack.session().patch(url(stack, f"/api/v1/products/{item}"), json={"base_price": "11.00"},
                                    headers=admin_headers, timeout=20)
    assert changed.status_code == 200, changed.text
    refused = guest.order(expect=409).json()
    assert refused["type"].endswith("quote-changed")
    assert money(refused["quote"]["total"]) > money(seen["total"])
    order = guest.order().json()                                   # the new quote was shown: it goes through
    assert order["total"] == refused["quote"]["total"]


def test_a_saved_address_by_id(stack, admin_headers):
    customer = new_customer(stack)
    shopper = Shopper(stack, customer["headers"])
    saved = shopper.call("POST", "/api/v1/users/me/addresses", expect=201, json=DE).json()
    shopper.new_cart(currency="EUR", locale="de")
    shopper.add(new_product(stack, admin_headers), 1)
    cart = shopper.cart("/shipping-address", "PUT", json={"address_id": saved["id"]}).json()
    assert cart["shipping_address"]["city"] == "Berlin" and cart["address_id"] == saved["id"]
    assert shopper.cart("/shipping-address", "PUT", expect=422, json={"address_id": str(uuid.uuid4())}).json()[
        "errors"]["address_id"]


def test_100_concurrent_checkouts_with_a_code_for_10_uses_make_exactly_10_orders_with_it(stack, admin_headers):
    code = new_code(stack, admin_headers, usage_limit=10)
    item = new_product(stack, admin_headers, price="20.00", stock=200)

    def prepared(n: int) -> Shopper:
        guest = Shopper(stack)
        guest.new_cart(currency="EUR", locale="de")
        guest.add(item, 1)
        guest.ship_to(DE, "de-standard")
        guest.cart("/promotions", "POST", json={"code": code})
        guest.cart("", "PATCH", json={"email": f"race-{n}-{uuid.uuid4().hex[:6]}@example.com"})
        return guest

    with ThreadPoolExecutor(max_workers=8) as pool:
        shoppers = list(pool.map(prepared, range(100)))
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(lambda s: s.order(expect=None), shoppers))
    assert {a.status_code for a in answers} <= {201, 409}, {a.status_code: a.text for a in answers}
    placed = [a.json() for a in answers if a.status_code == 201]
    with_code = [o for o in placed if [p["code"] for p in o["promotions"]] == [code]]
    assert len(with_code) == 10, (len(placed), [a.json().get("reason") for a in answers if a.status_code == 409][:5])
    assert admin_get(stack, admin_headers, f"/api/v1/promotions/{code}")["redeemed"] == 10

    # a cancelled order gives its code back
    cancelled = stack.session().post(url(stack, f"/api/v1/orders/{with_code[0]['id']}/cancel"), headers=admin_headers,
                                     timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    assert admin_get(stack, admin_headers, f"/api/v1/promotions/{code}")["redeemed"] == 9
