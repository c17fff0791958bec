"""Strong customer authentication in a real browser: a card that asks the shopper's bank (the sandbox's 3-D Secure
page, under /sandbox/ on the shop's origin) is completed and the order is paid; a challenge failed brings the
shopper back to the SAME order, which another card then pays (one order, one intent)."""
from __future__ import annotations

import pytest

from tests.e2e.web.journeys import (
    GOOD_CARD,
    THREE_DS_CARD,
    add_to_cart,
    authenticate,
    find_product,
    new_product,
    order_from_url,
    pay,
    paying_order,
    ship_to,
    sign_in,
    wait_paid,
)
from tests.integration.checkout_helpers import PASSWORD, admin, new_customer, url

DE = {"name": "Grace Hopper", "line1": "Unter den Linden 5", "city": "Berlin", "postal_code": "10117",
      "country": "DE"}


@pytest.fixture(scope="module")
def admin_headers(stack):
    return admin(stack)


def to_card_step(page, product_name: str, email: str | None = None) -> str:
    find_product(page, product_name)
    add_to_cart(page, 1)
    page.get_by_test_id("cart-link").click()
    page.get_by_test_id("cart-line").first.wait_for()
    page.get_by_test_id("checkout").click()
    ship_to(page, DE, "de-standard", email=email)
    page.get_by_test_id("place-order").click()
    return paying_order(page)


def test_a_3d_secure_card_completed_pays_the_order(stack, shop, admin_headers):
    product = new_product(stack, admin_headers, price="22.00")
    page = shop.open("/?locale=fr&currency=EUR")
    placed = to_card_step(page, product["names"]["en"], email="grace.3ds@example.com")
    pay(page, THREE_DS_CARD)
    authenticate(shop, page, "complete", "sandbox-3ds-challenge")
    wait_paid(page)
    order_id, token = order_from_url(page)
    assert order_id == placed and token
    assert "redirect_status=succeeded" in page.url and "locale=fr" in page.url      # back in the shopper's locale
    assert page.locator("html").get_attribute("lang") == "fr"
    shop.look(page, "store-order-paid-3ds-fr")
    order = stack.session().get(url(stack, f"/api/v1/orders/{order_id}?token={token}"), timeout=20).json()
    assert order["status"] == "paid"
    payment = stack.session().get(url(stack, f"/api/v1/payments/{order['payment']['id']}"), headers=admin_headers,
                                  timeout=20).json()
    assert payment["status"] == "succeeded" and payment["amount"] == order["total"]


def test_a_failed_challenge_then_a_good_card_pays_the_same_order(stack, shop, admin_headers):
    """Needs the orders change (a declined or unauthenticated card leaves the order pending_payment)."""
    product = new_product(stack, admin_headers, price="18.00")
    shopper = new_customer(stack)
    page = sign_in(shop, "/account/login?locale=en&currency=EUR", shopper["email"], PASSWORD)
    page.wait_for_url(lambda address: "/account/login" not in address)
    page.goto("/?locale=en&currency=EUR")
    page.locator("#root main").first.wait_for()
    placed = to_card_step(page, product["names"]["en"])
    pay(page, THREE_DS_CARD)
    authenticate(shop, page, "fail", "sandbox-3ds-challenge-fail")
    assert order_from_url(page)[0] == placed and "redirect_status=failed" in page.url
    page.get_by_test_id("payment-error").wait_for()
    page.get_by_test_id("payment-window").wait_for()
    assert page.get_by_test_id("order-status").get_attribute("data-status") == "pending_payment"
    shop.look(page, "store-order-3ds-failed")
    page.get_by_test_id("pay-order").click()
    assert paying_order(page) == placed
    pay(page, GOOD_CARD)
    wait_paid(page)
    assert order_from_url(page)[0] == placed
    mine = stack.session().get(url(stack, "/api/v1/orders"), headers=shopper["headers"], timeout=20).json()
    assert [(o["id"], o["status"]) for o in mine["items"]] == [(placed, "paid")]          # one order, paid
