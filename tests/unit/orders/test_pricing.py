"""The rounding rule (functions/orders/README.md): per line, at the unit; totals are exact sums."""
from __future__ import annotations

from decimal import Decimal

import pytest
from meridian.rates import static_snapshot


@pytest.fixture
def pricing(load_function):
    load_function("OrdersFunction")
    from orders import pricing

    return pricing


def line(price: str, quantity: int, product_id: str = "p") -> dict:
    return {"product_id": product_id, "sku": None, "name": None, "quantity": quantity,
            "unit_price": {"amount": price, "currency": "USD"}}


def test_each_unit_is_rounded_once_and_the_total_is_the_exact_sum(pricing):
    snapshot = static_snapshot({"USD": "1", "JPY": "150.4"}, base="USD")
    # 0.99 USD × 150.4 = 148.896 JPY per unit → 149 JPY (ROUND_HALF_UP, JPY has no minor units)
    priced = pricing.price_lines([line("0.99", 3)], "JPY", snapshot)
    assert priced.lines[0].unit_price.amount == Decimal("149")
    assert priced.lines[0].line_total.amount == Decimal("447")
    assert priced.total.amount == Decimal("447")
    # rounding the total instead would charge 0.99 × 3 × 150.4 = 446.688 → 447; per line can differ:
    priced = pricing.price_lines([line("0.01", 3)], "JPY", snapshot)    # 1.504 → 2 per unit
    assert priced.total.amount == Decimal("6")                          # not round(4.512) = 5


def test_half_up_at_the_minor_unit(pricing):
    snapshot = static_snapshot({"USD": "1", "EUR": "0.5"}, base="USD")
    priced = pricing.price_lines([line("0.01", 1), line("0.03", 1, "q")], "EUR", snapshot)
    assert [pl.unit_price.amount for pl in priced.lines] == [Decimal("0.01"), Decimal("0.02")]   # .005→.01, .015→.02
    assert priced.total.amount == Decimal("0.03")


def test_three_decimal_currency(pricing):
    snapshot = static_snapshot({"USD": "1", "KWD": "0.30712"}, base="USD")
    priced = pricing.price_lines([line("19.99", 2)], "KWD", snapshot)
    assert priced.lines[0].unit_price.amount == Decimal("6.139")          # 6.1393288 → 6.139
    assert priced.total.amount == Decimal("12.278")
    assert priced.total.to_json() == {"amount": "12.278", "currency": "KWD"}


def test_unit_price_matches_the_catalog_conversion(pricing):
    """The unit price charged is exactly what fx.convert (the catalog's conversion) shows for one unit."""
    snapshot = static_snapshot({"USD": "1.0843", "GBP": "0.8573"}, base="EUR")
    for price in ("0.01", "1.99", "19.99", "1234.56"):
        priced = pricing.price_lines([line(price, 7)], "GBP", snapshot)
        shown = snapshot.convert(Decimal(price), "USD", "GBP").amount
        assert priced.lines[0].unit_price == shown
        assert priced.total.amount == shown.amount * 7


def test_usd_totals_are_not_converted(pricing):
    snapshot = static_snapshot({"USD": "1.08"}, base="EUR")
    priced = pricing.price_lines([line("19.99", 3), line("0.01", 1, "q")], "USD", snapshot)
    assert priced.total.amount == Decimal("59.98") and priced.rate == Decimal(1)
    assert priced.base_total.amount == Decimal("59.98")
