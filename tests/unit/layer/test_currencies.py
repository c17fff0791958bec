"""Every ISO 4217 currency (meridian.money.CURRENCIES from the iso4217 package), the shop's rounding rules
(money.RoundingRule in THE price rule, shelf_price) and sell currencies carried by the rate snapshot
(rates.RateSnapshot.sold / rounding / sources, fx.require_sold, shopper.currency)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meridian import fx, money, shopper
from meridian.errors import ValidationFailed
from meridian.money import CURRENCIES, NOT_PRICEABLE, InvalidRoundingRule, RoundingRule
from meridian.rates import RateSnapshot, static_snapshot

D = Decimal


# ---------------------------------------------------------------------------- the ISO 4217 table
def test_every_active_iso_4217_currency_with_its_minor_units():
    assert len(CURRENCIES) >= 150                      # the 47 hand-written codes were a fraction of them
    assert {code: money.minor_units(code) for code in ("KWD", "BHD", "OMR", "JPY", "KRW", "USD", "CLF", "VND")} == {
        "KWD": 3, "BHD": 3, "OMR": 3, "JPY": 0, "KRW": 0, "USD": 2, "CLF": 4, "VND": 0}
    assert CURRENCIES["AED"][1] == "UAE Dirham" and CURRENCIES["SAR"][0] == 2


def test_three_decimal_currencies_step_in_whole_ten_fils_written_with_three_decimals():
    assert (money.step("KWD"), money.step("BHD"), money.step("USD"), money.step("JPY")) == (
        D("0.010"), D("0.010"), D("0.01"), D("1"))
    assert {code for code in CURRENCIES if money.step(code) != money.quantum(code)} == {
        code for code, (units, _name) in CURRENCIES.items() if units == 3}
    assert format(money.round_to_minor(D("1.2345"), "KWD"), "f") == "1.230"
    assert format(money.round_to_minor(D("1.235"), "BHD"), "f") == "1.240"           # half up, to the step
    assert format(money.round_to_minor(D("7"), "KWD"), "f") == "7.000"
    assert money.fits_minor_units(D("1.230"), "KWD") and not money.fits_minor_units(D("1.235"), "KWD")
    assert money.precision_problem("KWD") == ("KWD amounts are whole multiples of 0.010 "
                                              "(card gateways charge no finer).")
    assert money.precision_problem("USD") == "Has more decimals than USD allows (2)."


def test_codes_without_minor_units_are_never_priceable():
    assert {"XAU", "XAG", "XDR", "XTS", "XXX"} <= set(NOT_PRICEABLE)
    assert not set(NOT_PRICEABLE) & set(CURRENCIES)
    with pytest.raises(ValueError):
        money.currency_code("XAU")


def test_withdrawn_codes_are_gone():
    assert "BGN" not in CURRENCIES    # Bulgaria joined the euro on 2026-01-01


# ---------------------------------------------------------------------------- rounding rules: examples
@pytest.mark.parametrize("currency, rule, exact, expected", [
    ("JPY", {"increment": "10", "mode": "nearest"}, "1234.4", "1230"),
    ("JPY", {"increment": "10", "mode": "nearest"}, "1235", "1240"),            # half up
    ("JPY", {"increment": "10", "mode": "nearest"}, "3", "10"),                 # never 0 for a positive price
    ("CHF", {"increment": "0.05", "mode": "nearest"}, "12.324", "12.30"),
    ("CHF", {"increment": "0.05", "mode": "nearest"}, "12.325", "12.35"),
    ("CHF", {"increment": "0.05", "mode": "up"}, "12.301", "12.35"),
    ("EUR", {"ending": "0.99"}, "20.85", "20.99"),
    ("EUR", {"ending": "0.99"}, "21.00", "21.99"),
    ("EUR", {"ending": "0.99"}, "20.99", "20.99"),
    ("EUR", {"ending": "0.99"}, "0.10", "0.99"),
    ("JPY", {"ending": "9", "increment": "10"}, "1234", "1239"),
    ("KWD", {"increment": "0.050", "mode": "up"}, "3.001", "3.050"),
    ("USD", {"increment": "1", "mode": "nearest"}, "0", "0.00"),                # 0 stays 0
])
def test_rule_examples(currency, rule, exact, expected):
    assert RoundingRule.parse(rule, currency).apply(D(exact)) == D(expected)


@pytest.mark.parametrize("currency, rule, field", [
    ("USD", {"increment": "0", "mode": "nearest"}, "rounding.increment"),       # ≤ 0
    ("USD", {"increment": "-1", "mode": "nearest"}, "rounding.increment"),
    ("USD", {"increment": "0.001", "mode": "nearest"}, "rounding.increment"),   # finer than the cent
    ("JPY", {"increment": "0.5", "mode": "nearest"}, "rounding.increment"),     # JPY has no decimals
    ("JPY", {"ending": "0.99"}, "rounding.ending"),
    ("EUR", {"ending": "1.50"}, "rounding.ending"),                             # not below the increment
    ("USD", {"increment": "1", "mode": "down"}, "rounding.mode"),               # could round to 0
    ("USD", {"increment": 0.05, "mode": "nearest"}, "rounding.increment"),      # a float, not a decimal string
    ("USD", {"mode": "nearest"}, "rounding.increment"),
    ("USD", {"increment": "1", "colour": "red"}, "rounding.colour"),
    ("USD", "nearest", "rounding"),
])
def test_bad_rules_are_refused_naming_the_field(currency, rule, field):
    with pytest.raises(InvalidRoundingRule) as refused:
        RoundingRule.parse(rule, currency)
    assert refused.value.field == field


def test_rule_round_trips_as_json():
    for raw in ({"increment": "10", "mode": "nearest"}, {"increment": "0.05", "mode": "up"},
                {"ending": "0.99", "increment": "1"}):
        rule = RoundingRule.parse(raw, "EUR" if "ending" in raw else "CHF")
        assert RoundingRule.parse(rule.to_json(), rule.currency) == rule


# ---------------------------------------------------------------------------- rounding rules: properties
SOLD = sorted(code for code in CURRENCIES if code in {"USD", "EUR", "JPY", "KRW", "KWD", "BHD", "CHF", "CLF",
                                                      "GBP", "SAR", "AED", "VND", "OMR", "ISK"})


@st.composite
def rules(draw):
    currency = draw(st.sampled_from(SOLD))
    unit = money.step(currency)           # the smallest amount: 0.010 for KWD, BHD, OMR
    increment = unit * draw(st.sampled_from([1, 2, 5, 10, 25, 50, 100, 1000]))
    kind = draw(st.sampled_from(["nearest", "up", "ending"]))
    if kind == "ending":
        ending = unit * draw(st.integers(0, int(increment / unit) - 1))
        raw = {"ending": format(ending, "f"), "increment": format(increment, "f")}
    else:
        raw = {"increment": format(increment, "f"), "mode": kind}
    return RoundingRule.parse(raw, currency)


exact_prices = st.decimals(min_value=D("0.0001"), max_value=D("10000000"), places=6, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(rule=rules(), exact=exact_prices)
def test_a_rounded_price_fits_is_positive_idempotent_and_within_one_increment(rule, exact):
    rounded = rule.apply(exact)
    assert money.fits_minor_units(rounded, rule.currency)
    assert rounded > 0
    assert rule.apply(rounded) == rounded
    assert abs(rounded - exact) <= rule.increment
    assert rounded % rule.increment == (rule.ending or 0)


@settings(max_examples=200, deadline=None)
@given(rule=rules(), base=st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2),
       rate=st.decimals(min_value=D("0.001"), max_value=D("20000"), places=6),
       tax=st.sampled_from([D(0), D("0.19"), D("0.077"), D("0.1")]))
def test_shelf_price_applies_the_rule_once_after_tax(rule, base, rate, tax):
    exact = base * rate * (1 + tax)
    assert money.shelf_price(base, rate, rule.currency, tax_rate=tax, rounding=rule) == rule.apply(exact)
    plain, one_step = money.round_to_minor(exact, rule.currency), money.step(rule.currency)
    assert money.shelf_price(base, rate, rule.currency, tax_rate=tax) == (plain if plain > 0 else one_step) > 0


# ---------------------------------------------------------------------------- the snapshot carries them
def test_snapshot_carries_sold_currencies_rules_and_sources_over_json():
    snap = RateSnapshot(snapshot_id="s", base="EUR", as_of="2026-11-30T13:15:00.000Z", source="ecb+exchangerate-api",
                        rates={"USD": D("1.15"), "JPY": D("181"), "KWD": D("0.353")},
                        sources={"EUR": "ecb", "USD": "ecb", "JPY": "ecb", "KWD": "exchangerate-api"},
                        sold={"USD": {"minor_units": 2, "rounding": None},
                              "JPY": {"minor_units": 0, "rounding": {"increment": "10", "mode": "nearest"}},
                              "KWD": {"minor_units": 3, "rounding": None}})
    body = snap.to_json("EUR")
    assert body["sources"]["KWD"] == "exchangerate-api" and body["sources"]["USD"] == "ecb"
    again = RateSnapshot.from_json(body)
    assert again.is_sold("JPY") and not again.is_sold("GBP")
    assert again.rounding("JPY") == RoundingRule.parse({"increment": "10", "mode": "nearest"}, "JPY")
    assert again.rounding("USD") is None
    assert again.convert(D("10"), "USD", "KWD").source == "ecb+exchangerate-api"
    assert again.convert(D("10"), "USD", "JPY").source == "ecb"
    assert again.convert(D("10"), "EUR", "KWD").source == "exchangerate-api"


def test_a_snapshot_without_settings_sells_every_quoted_currency():
    snap = static_snapshot({"USD": "1.1", "GBP": "0.85"})
    assert snap.is_sold("GBP") and snap.rounding("GBP") is None


# ---------------------------------------------------------------------------- shopper requests
@pytest.fixture
def shop():
    fx.use_static({"USD": "1.15", "JPY": "181", "GBP": "0.85", "KWD": "0.353"},
                  currencies={"USD": {"rounding": None}, "JPY": {"rounding": {"increment": "10", "mode": "nearest"}},
                              "KWD": {"rounding": None}})
    yield
    fx.reset()
    shopper.forget()


def test_a_sold_currency_passes_and_carries_its_rule(shop):
    assert shopper.currency("jpy", None) == "JPY"
    assert fx.rounding("JPY").increment == 10 and fx.rounding("KWD") is None


@pytest.mark.parametrize("asked, reason", [("GBP", "not sold in this shop"), ("XAU", "not a supported"),
                                           ("XYZ", "not a supported")])
def test_unknown_or_inactive_currency_is_400_naming_currency(shop, asked, reason):
    with pytest.raises(ValidationFailed) as refused:
        shopper.currency(asked, None)
    errors = refused.value.extra["errors"]
    assert list(errors) == ["currency"] and reason in errors["currency"][0]


def test_a_saved_currency_no_longer_sold_is_skipped_and_a_sold_one_is_used(shop, monkeypatch):
    saved = {"currency": "GBP"}
    monkeypatch.setattr(shopper, "preference", lambda name, authorization: saved[name])
    assert shopper.currency(None, "Bearer x") == "USD"          # not sold any more: the base currency, no 400
    saved["currency"] = "JPY"
    assert shopper.currency(None, "Bearer x") == "JPY"
