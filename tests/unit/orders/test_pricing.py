"""The rounding rule (orders/pricing.py): each figure rounded once; every figure adds up to the total."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meridian.money import round_to_minor
from meridian.rates import static_snapshot


@pytest.fixture
def pricing(load_function):
    load_function("OrdersFunction")
    from orders import pricing

    return pricing


@pytest.fixture
def taxes(pricing):
    from orders import taxes

    return taxes


def rates(taxes, standard="0", reduced="0", included=False, name="VAT"):
    return taxes.TaxRates(country="XX", region=None, name=name, standard=Decimal(standard), reduced=Decimal(reduced),
                          included=included)


def line(pricing, price: str, quantity: int, product_id: str = "p", tax_class: str = "standard"):
    return pricing.LineInput(line_id=product_id, product_id=product_id, sku=None, name=None, quantity=quantity,
                             base_unit_price=Decimal(price), tax_class=tax_class)


def rate_of(snapshot, currency):
    return snapshot.rate("USD", currency)


def test_each_unit_is_rounded_once_and_the_total_is_the_exact_sum(pricing, taxes):
    snapshot = static_snapshot({"USD": "1", "JPY": "150.4"}, base="USD")
    # 0.99 USD × 150.4 = 148.896 JPY per unit → 149 JPY (ROUND_HALF_UP, JPY has no minor units)
    quote = pricing.price([line(pricing, "0.99", 3)], currency="JPY", rate=rate_of(snapshot, "JPY"), tax=taxes.NO_TAX)
    assert quote.lines[0].unit_price == Decimal("149") and quote.lines[0].line_total == Decimal("447")
    assert quote.total == Decimal("447")
    quote = pricing.price([line(pricing, "0.01", 3)], currency="JPY", rate=rate_of(snapshot, "JPY"), tax=taxes.NO_TAX)
    assert quote.total == Decimal("6")                                  # 1.504 → 2 per unit, not round(4.512) = 5


def test_half_up_at_the_minor_unit(pricing, taxes):
    quote = pricing.price([line(pricing, "0.01", 1), line(pricing, "0.03", 1, "q")], currency="EUR",
                          rate=Decimal("0.5"), tax=taxes.NO_TAX)
    assert [pl.unit_price for pl in quote.lines] == [Decimal("0.01"), Decimal("0.02")]   # .005→.01, .015→.02
    assert quote.total == Decimal("0.03")


def test_three_decimal_currency(pricing, taxes):
    quote = pricing.price([line(pricing, "19.99", 2)], currency="KWD", rate=Decimal("0.30712"), tax=taxes.NO_TAX)
    # 19.99 × 0.30712 = 6.1393…: to the step of three-decimal currencies, whole 10 fils (money.step)
    assert quote.lines[0].unit_price == Decimal("6.140") and quote.total == Decimal("12.280")
    assert format(quote.total, "f") == "12.280"


def test_unit_price_without_tax_matches_the_catalog_conversion(pricing, taxes):
    snapshot = static_snapshot({"USD": "1.0843", "GBP": "0.8573"}, base="EUR")
    for price in ("0.01", "1.99", "19.99", "1234.56"):
        quote = pricing.price([line(pricing, price, 7)], currency="GBP", rate=rate_of(snapshot, "GBP"),
                              tax=rates(taxes, "0.2"))
        shown = snapshot.convert(Decimal(price), "USD", "GBP").amount
        assert quote.lines[0].unit_price == shown.amount and quote.subtotal == shown.amount * 7


def test_tax_included_market_shows_gross_prices_and_the_tax_they_contain(pricing, taxes):
    """DE: 19 % standard, 7 % reduced, prices include VAT; shipping at the standard rate."""
    de = rates(taxes, "0.19", "0.07", included=True)
    quote = pricing.price([line(pricing, "10.00", 2), line(pricing, "20.00", 1, "book", "reduced")], currency="EUR",
                          rate=Decimal("0.9"), tax=de, shipping_base=Decimal("5.00"))
    assert quote.lines[0].unit_price == Decimal("10.71")               # 10 × 0.9 × 1.19 = 10.71
    assert quote.lines[1].unit_price == Decimal("19.26")               # 20 × 0.9 × 1.07 = 19.26
    assert quote.subtotal == Decimal("40.68") and quote.shipping_total == Decimal("5.36")   # 5 × 0.9 × 1.19 = 5.355
    # 19 %: (21.42 + 5.36) × 19/119 = 4.2758… → 4.28; 7 %: 19.26 × 7/107 = 1.26
    assert [(t.rate, t.amount) for t in quote.taxes] == [(Decimal("0.19"), Decimal("4.28")),
                                                         (Decimal("0.07"), Decimal("1.26"))]
    assert quote.total == Decimal("46.04") and quote.tax_included      # tax is inside, not added


def test_tax_exclusive_market_adds_tax_on_top(pricing, taxes):
    us_ny = rates(taxes, "0.04", "0.04", name="Sales tax")
    quote = pricing.price([line(pricing, "19.99", 3)], currency="USD", rate=Decimal(1), tax=us_ny,
                          shipping_base=Decimal("7.00"))
    assert quote.lines[0].unit_price == Decimal("19.99") and quote.subtotal == Decimal("59.97")
    assert quote.tax_total == Decimal("2.68")                          # (59.97 + 7) × 0.04 = 2.6788
    assert quote.total == Decimal("69.65") and not quote.tax_included


def test_percentage_code_is_spread_over_the_tax_rates(pricing, taxes):
    de = rates(taxes, "0.19", "0.07", included=True)
    code = pricing.DiscountTerms("TEN", "percentage", percent=Decimal(10))
    quote = pricing.price([line(pricing, "10.00", 1), line(pricing, "10.00", 1, "b", "reduced")], currency="EUR",
                          rate=Decimal(1), tax=de, discounts=[code])
    assert quote.subtotal == Decimal("22.60")                          # 11.90 + 10.70
    assert quote.discount_total == Decimal("2.26")
    # shares in proportion: 2.26 × 11.90/22.60 = 1.19 at 19 %, 1.07 at 7 %
    assert [t.amount for t in quote.taxes] == [round_to_minor(Decimal("10.71") * Decimal("0.19") / Decimal("1.19"),
                                                              "EUR"),
                                               round_to_minor(Decimal("9.63") * Decimal("0.07") / Decimal("1.07"),
                                                              "EUR")]
    assert quote.total == Decimal("20.34")


def test_fixed_code_never_takes_more_than_the_subtotal_and_free_shipping_zeroes_shipping(pricing, taxes):
    codes = [pricing.DiscountTerms("BIG", "fixed", amount=Decimal("50.00")),
             pricing.DiscountTerms("SHIP", "free_shipping")]
    quote = pricing.price([line(pricing, "10.00", 1)], currency="USD", rate=Decimal(1), tax=taxes.NO_TAX,
                          shipping_base=Decimal("4.00"), discounts=codes)
    assert quote.discount_total == Decimal("10.00") and quote.shipping_total == 0 and quote.total == 0
    assert [(d.code, d.amount) for d in quote.discounts] == [("BIG", Decimal("10.00")), ("SHIP", Decimal("4.00"))]


def test_the_digest_changes_with_any_figure_of_the_total(pricing, taxes):
    lines = [line(pricing, "10.00", 1)]
    first = pricing.price(lines, currency="EUR", rate=Decimal("0.9"), tax=taxes.NO_TAX)
    assert first.digest() == pricing.price(lines, currency="EUR", rate=Decimal("0.9"), tax=taxes.NO_TAX).digest()
    assert first.digest() != pricing.price(lines, currency="EUR", rate=Decimal("0.91"), tax=taxes.NO_TAX).digest()
    assert first.digest() != pricing.price([line(pricing, "10.01", 1)], currency="EUR", rate=Decimal("0.9"),
                                           tax=taxes.NO_TAX).digest()


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(prices, st.integers(1, 9), st.sampled_from(["standard", "reduced", "zero"])),
                      min_size=1, max_size=6),
       currency=st.sampled_from(["EUR", "JPY", "KWD", "USD"]), included=st.booleans(),
       percent=st.one_of(st.none(), st.decimals(min_value=1, max_value=100, places=0)),
       shipping=st.one_of(st.none(), prices))
def test_every_figure_adds_up_to_the_total(pricing, taxes, items, currency, included, percent, shipping):
    tax = rates(taxes, "0.19", "0.07", included=included)
    codes = [pricing.DiscountTerms("P", "percentage", percent=percent)] if percent else []
    quote = pricing.price([line(pricing, str(p), q, f"p{n}", c) for n, (p, q, c) in enumerate(items)],
                          currency=currency, rate=Decimal("1.37"), tax=tax, shipping_base=shipping, discounts=codes)
    assert quote.subtotal == sum(pl.line_total for pl in quote.lines)
    assert quote.tax_total == sum(t.amount for t in quote.taxes)
    assert quote.total == quote.subtotal - quote.discount_total + quote.shipping_total + (
        0 if included else quote.tax_total)
    assert 0 <= quote.discount_total <= quote.subtotal and quote.total >= 0
    for figure in (quote.subtotal, quote.discount_total, quote.shipping_total, quote.tax_total, quote.total):
        assert round_to_minor(figure, currency) == figure
