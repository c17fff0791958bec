"""The price shown is the price charged, with the shop's per-currency rounding rules: the catalog's price
(products/pricing.py), the cart's unit price and the order's line (orders/pricing.py, the same quote) are
one number for any sold currency, rule, base price and tax — both call money.shelf_price with the rule the
rate snapshot carries (RateSnapshot.rounding)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meridian import fx, money
from meridian.money import RoundingRule

D = Decimal
RATES = {"USD": "1.1512", "JPY": "181.12", "KRW": "1699.4", "CHF": "0.9314", "GBP": "0.87935", "KWD": "0.3534",
         "BHD": "0.4329", "SAR": "4.317", "AED": "4.2278", "CLF": "0.0276"}
RULES = [None, {"increment": "10", "mode": "nearest"}, {"increment": "0.05", "mode": "nearest"},
         {"increment": "1", "mode": "up"}, {"ending": "0.99"}, {"ending": "9", "increment": "10"},
         {"increment": "0.050", "mode": "up"}]


def fitting(currency):
    """The rules of RULES that this currency's minor units allow."""
    usable = []
    for raw in RULES:
        try:
            usable.append(raw if raw is None else RoundingRule.parse(raw, currency).to_json())
        except money.InvalidRoundingRule:
            pass
    return usable


@pytest.fixture
def both(load_function):
    """(products' pricing, orders' pricing, orders' taxes): the catalog's rule and the cart's / order's."""
    load_function("ProductsFunction")
    from products import pricing as catalog

    load_function("OrdersFunction")
    from orders import pricing as checkout
    from orders import taxes

    yield catalog, checkout, taxes
    fx.reset()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), currency=st.sampled_from(sorted(RATES)),
       base=st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2),
       tax=st.sampled_from([D(0), D("0.19"), D("0.077"), D("0.10")]), quantity=st.integers(1, 5))
def test_catalog_price_is_cart_unit_price_is_order_line(both, data, currency, base, tax, quantity):
    catalog, checkout, taxes = both
    rule = data.draw(st.sampled_from(fitting(currency)))
    snapshot = fx.use_static(RATES, currencies={code: {"rounding": rule if code == currency else None}
                                                for code in RATES})
    shelf = catalog.Shelf(currency, {"included": True, "standard": str(tax), "reduced": "0", "name": "VAT",
                                     "country": "XX"} if tax else None)
    shown, fx_block = catalog.price(base, shelf, "standard")
    rates = taxes.TaxRates(country="XX", region=None, name="VAT", standard=tax, reduced=D(0), included=bool(tax))
    line = checkout.LineInput(line_id="l", product_id="p", sku=None, name=None, quantity=quantity,
                              base_unit_price=base)
    quote = checkout.price([line], currency=currency, rate=snapshot.rate("USD", currency), tax=rates,
                           rounding=snapshot.rounding(currency))
    assert shown == {"amount": format(quote.lines[0].unit_price, "f"), "currency": currency}
    assert quote.lines[0].line_total == quote.lines[0].unit_price * quantity
    assert quote.total == quote.lines[0].line_total               # no shipping, no discount: charged as shown
    assert money.fits_minor_units(quote.total, currency) and quote.lines[0].unit_price > 0
    if rule:
        parsed = RoundingRule.parse(rule, currency)
        assert quote.lines[0].unit_price % parsed.increment == (parsed.ending or 0)
    assert fx_block["source"] == "static"
