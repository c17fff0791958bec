"""Fixed prices in carts and orders: a line whose product has a fixed price in the cart's currency costs exactly
that (never converted, never rounded), its tax contained where the market shows prices with tax; discounts, taxes
and totals as for any other line; the payment is for the order's total; shipping stays converted."""
from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import money
from .test_carts import admin, guest_cart, order_cart, ready_to_order, shop  # noqa: F401 - fixtures and helpers
from .test_pricing import pricing, rates, taxes  # noqa: F401 - fixtures and helpers


def fixed_line(pricing, base: str, fixed: str | None, quantity: int = 1, product_id: str = "p",  # noqa: F811
               tax_class: str = "standard"):
    return pricing.LineInput(line_id=product_id, product_id=product_id, sku=None, name=None, quantity=quantity,
                             base_unit_price=Decimal(base), tax_class=tax_class,
                             fixed_unit_price=Decimal(fixed) if fixed is not None else None)


# ------------------------------------------------------------------------------------------- pricing (no I/O)
def test_a_fixed_line_costs_its_fixed_price_and_a_converted_line_its_conversion(pricing, taxes):  # noqa: F811
    quote = pricing.price([fixed_line(pricing, "24.00", "2500", 3, "a"), fixed_line(pricing, "24.00", None, 1, "b")],
                          currency="JPY", rate=Decimal("157.33"), tax=taxes.NO_TAX)
    fixed, converted = quote.lines
    assert (fixed.unit_price, fixed.line_total, fixed.fixed) == (Decimal("2500"), Decimal("7500"), True)
    assert (converted.unit_price, converted.fixed) == (Decimal("3776"), False)      # 24 × 157.33 = 3775.92
    assert quote.total == Decimal("7500") + Decimal("3776")
    assert quote.base_total == Decimal("96.00")                                        # reporting stays in USD


def test_a_fixed_price_contains_the_tax_of_a_market_that_shows_prices_with_tax(pricing, taxes):  # noqa: F811
    vat = rates(taxes, standard="0.19", reduced="0.07", included=True)
    quote = pricing.price([fixed_line(pricing, "20.00", "21.90", 2)], currency="EUR", rate=Decimal("0.9"), tax=vat,
                          shipping_base=Decimal("4.00"))
    assert quote.lines[0].unit_price == Decimal("21.90")          # not 20 × 0.9 × 1.19, and no VAT on top
    shipping = Decimal("4.28")                                    # shipping stays converted: 4 × 0.9 × 1.19
    assert quote.shipping_total == shipping
    assert quote.total == Decimal("43.80") + shipping
    assert [t.amount for t in quote.taxes] == [((Decimal("43.80") + shipping) * Decimal("0.19") / Decimal("1.19"))
                                               .quantize(Decimal("0.01"))]


def test_where_tax_is_added_on_top_it_is_added_to_the_fixed_price_too(pricing, taxes):  # noqa: F811
    sales_tax = rates(taxes, standard="0.04", included=False)
    quote = pricing.price([fixed_line(pricing, "20.00", "19.00", 1)], currency="USD", rate=Decimal(1), tax=sales_tax)
    assert quote.lines[0].unit_price == Decimal("19.00")
    assert quote.tax_total == Decimal("0.76") and quote.total == Decimal("19.76")


def test_discounts_apply_to_fixed_lines_as_to_any_other(pricing, taxes):  # noqa: F811
    ten = pricing.DiscountTerms(code="TEN", kind="percentage", percent=Decimal(10))
    quote = pricing.price([fixed_line(pricing, "24.00", "2500", 2)], currency="JPY", rate=Decimal("157.33"),
                          tax=taxes.NO_TAX, discounts=[ten])
    assert quote.discount_total == Decimal("500") and quote.total == Decimal("4500")


def test_a_line_input_takes_the_fixed_price_of_the_carts_currency_only(pricing):  # noqa: F811
    answer = {"product_id": "p", "name": "Mug", "unit_price": {"amount": "24.00", "currency": "USD"},
              "tax_class": "reduced", "weight_grams": 300, "fixed_prices": {"JPY": "2500", "EUR": "21.90"}}
    assert pricing.line_input("l", "p", None, 2, answer, "JPY").fixed_unit_price == Decimal("2500")
    assert pricing.line_input("l", "p", None, 2, answer, "EUR").fixed_unit_price == Decimal("21.90")
    assert pricing.line_input("l", "p", None, 2, answer, "GBP").fixed_unit_price is None
    assert pricing.line_input("l", "p", None, 2, {**answer, "fixed_prices": None}, "JPY").fixed_unit_price is None


# ------------------------------------------------------------------------------------------- carts and orders
def test_a_cart_and_its_order_charge_the_fixed_price_and_the_payment_is_the_total(api, services, shop):  # noqa: F811
    mug = services.products.add("10.00", name="Tasse", prices={"EUR": "21.90", "JPY": "2500"})
    plain = services.products.add("10.00", name="Teller")
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": mug, "quantity": 3}, headers=guest)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": plain, "quantity": 1}, headers=guest)
    cart = ready_to_order(api, services, cart_id, guest)
    lines = {line["product_id"]: line for line in cart["items"]}
    assert lines[mug]["unit_price"] == {"amount": "21.90", "currency": "EUR"}
    assert lines[mug]["line_total"] == {"amount": "65.70", "currency": "EUR"}
    converted = money(lines[plain]["unit_price"])
    assert converted == (Decimal("10.00") / Decimal("1.08") * Decimal("1.19")).quantize(Decimal("0.01"))
    assert money(cart["total"]) == Decimal("65.70") + converted + money(cart["shipping_total"])   # VAT inside
    placed = order_cart(api, cart_id, guest)
    assert placed.status == 201, placed.json
    order = placed.json
    ordered = {line["product_id"]: line for line in order["items"]}
    assert ordered[mug]["unit_price"] == {"amount": "21.90", "currency": "EUR"}
    assert ordered[mug]["base_unit_price"] == {"amount": "10.00", "currency": "USD"}
    for figure in ("subtotal", "shipping_total", "tax_total", "total"):
        assert order[figure] == cart[figure], figure
    assert services.payments.by_order[order["id"]]["amount"] == order["total"]


def test_a_cart_in_a_currency_without_a_fixed_price_converts(api, services, shop):  # noqa: F811
    mug = services.products.add("10.00", name="Tasse", prices={"JPY": "2500"})
    cart_id, guest = guest_cart(api)
    cart = api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": mug, "quantity": 1}, headers=guest).json
    assert money(cart["items"][0]["unit_price"]) == (Decimal("10.00") / Decimal("1.08") * Decimal("1.19")).quantize(
        Decimal("0.01"))


def test_the_items_body_checkout_prices_reserved_lines_at_their_fixed_price(checkout, services):
    mug = services.products.add("10.00", name="Mug", prices={"EUR": "21.90"})
    response = checkout("user-fixed", [{"product_id": mug, "quantity": 2}], currency="EUR")
    assert response.status == 201, response.json
    order = response.json
    assert order["items"][0]["unit_price"] == {"amount": "21.90", "currency": "EUR"}
    assert order["total"] == {"amount": "43.80", "currency": "EUR"}     # no shipping, no market tax on this body
    assert services.payments.by_order[order["id"]]["amount"] == order["total"]


@pytest.mark.parametrize("currency", ["JPY", "KWD"])
def test_fixed_prices_in_zero_and_three_decimal_currencies_are_charged_as_they_are(checkout, services, currency):
    price = {"JPY": "2500", "KWD": "7.120"}[currency]
    mug = services.products.add("10.00", name="Mug", prices={currency: price})
    response = checkout("user-fixed", [{"product_id": mug, "quantity": 3}], currency=currency)
    assert response.status == 201, response.json
    assert money(response.json["items"][0]["unit_price"]) == Decimal(price)
    assert money(response.json["total"]) == Decimal(price) * 3
    assert services.payments.by_order[response.json["id"]]["amount"] == response.json["total"]
