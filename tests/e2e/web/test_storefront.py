"""The storefront in a real browser (Debian's chromium), against the whole stack over HTTPS: a guest buys in
de/EUR from the landing page to a paid order with VAT, a code and shipping, and sees on every page the total
the gateway charged; an Arabic shopper (right to left, GBP) has a card declined, then pays the same order with
another."""
from __future__ import annotations

import pytest

from tests.e2e.web.browser import money_text
from tests.e2e.web.journeys import (
    DECLINED_CARD,
    GOOD_CARD,
    add_to_cart,
    find_product,
    new_code,
    new_product,
    order_from_url,
    pay,
    paying_order,
    ship_to,
    wait_paid,
)
from tests.integration.checkout_helpers import admin, url

DE = {"name": "Ada Lovelace", "line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
GB = {"name": "Layla Haddad", "line1": "10 Downing Street", "city": "London", "postal_code": "SW1A 2AA",
      "country": "GB"}


@pytest.fixture(scope="module")
def admin_headers(stack):
    return admin(stack)


def test_a_guest_in_germany_buys_and_every_page_shows_the_total_charged(stack, shop, admin_headers):
    product = new_product(stack, admin_headers, price="24.00", localized={"de": "Emaillebecher"})
    code = new_code(stack, admin_headers)
    page = shop.open("/?locale=de&currency=EUR")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("html").get_attribute("dir") == "ltr"
    shop.look(page, "store-catalog-de")

    shelf_price = find_product(page, product["names"]["de"])
    assert "€" in shelf_price and "," in shelf_price                       # 24 USD as euros, German format
    assert page.get_by_test_id("price").first.inner_text() == shelf_price
    shop.look(page, "store-product-de")
    add_to_cart(page, 2)

    page.get_by_test_id("cart-link").click()
    line = page.get_by_test_id("cart-line").filter(has_text=product["names"]["de"])
    line.wait_for()
    assert shelf_price in line.inner_text()                                 # VAT-inclusive unit price, as on the shelf
    page.get_by_test_id("promo-code").fill(code.lower())
    page.get_by_test_id("apply-promo").click()
    page.get_by_test_id("applied-promotion").filter(has_text=code).wait_for()
    assert "19" in page.get_by_test_id("tax-line").first.inner_text()       # MwSt. 19 %
    shop.look(page, "store-cart-de")

    page.get_by_test_id("checkout").click()
    ship_to(page, DE, "de-standard", email="ada.web@example.com")
    shown_total = page.get_by_test_id("total").inner_text()
    shop.look(page, "store-checkout-de")
    page.get_by_test_id("place-order").click()
    page.get_by_test_id("card-number").wait_for()
    shop.look(page, "store-payment-de")
    pay(page, GOOD_CARD)

    wait_paid(page)
    shop.look(page, "store-order-paid-de")
    order_id, token = order_from_url(page)
    assert token, "a guest's order page is its signed link"
    order = stack.session().get(url(stack, f"/api/v1/orders/{order_id}?token={token}"), timeout=20).json()
    assert order["status"] == "paid" and order["total"]["currency"] == "EUR"
    assert [p["code"] for p in order["promotions"]] == [code]
    # the total shown before paying, on the paid order's page, and charged: the same to the cent
    assert money_text(shown_total) == money_text(order["total"]["amount"])
    assert money_text(page.get_by_test_id("order-total").inner_text()) == money_text(order["total"]["amount"])
    payment = stack.session().get(url(stack, f"/api/v1/payments/{order['payment']['id']}"), headers=admin_headers,
                                  timeout=20).json()
    assert payment["amount"] == order["total"] and payment["status"] == "succeeded"


def test_an_arabic_shopper_reads_right_to_left_and_pays_after_a_declined_card(stack, shop, admin_headers):
    product = new_product(stack, admin_headers, price="30.00")
    page = shop.open("/?locale=ar&currency=GBP")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.get_by_test_id("locale-picker").input_value() == "ar"
    shop.look(page, "store-catalog-ar")
    shelf_price = find_product(page, product["names"]["en"])                # no Arabic name: English, by fallback
    assert "£" in shelf_price or "GBP" in shelf_price or "UK£" in shelf_price
    add_to_cart(page, 1)
    page.get_by_test_id("cart-link").click()
    page.get_by_test_id("cart-line").first.wait_for()
    shop.look(page, "store-cart-ar")
    page.get_by_test_id("checkout").click()
    ship_to(page, GB, "gb-standard", email="layla.web@example.com")
    page.get_by_test_id("place-order").click()
    placed = paying_order(page)

    pay(page, DECLINED_CARD)
    error = page.get_by_test_id("payment-error")
    error.wait_for()
    assert "4000" not in error.inner_text() and error.get_attribute("role") == "alert"
    assert any(ch in error.inner_text() for ch in "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"), error.inner_text()   # in Arabic
    page.get_by_test_id("payment-window").wait_for()                 # until when another card may be tried
    shop.look(page, "store-payment-declined-ar")
    assert paying_order(page) == placed                             # the same order, its intent still open
    pay(page, GOOD_CARD)
    wait_paid(page)
    shop.look(page, "store-order-paid-ar")
    order_id, token = order_from_url(page)
    assert order_id == placed
    order = stack.session().get(url(stack, f"/api/v1/orders/{order_id}?token={token}"), timeout=20).json()
    assert order["status"] == "paid" and order["total"]["currency"] == "GBP"
    assert order["items"][0]["product_id"] == product["id"] and order["items"][0]["quantity"] == 1
