"""The conversion rule: Decimal cross rates, one rounding at the end, minor units."""
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from meridian.clock import iso, utcnow
from meridian.money import fits_minor_units, minor_units, quantum, step
from meridian.rates import RATE_DIGITS, NoRate, RateSnapshot, static_snapshot

# real ECB reference rates (base EUR) of one day
ECB = {"USD": "1.0823", "JPY": "162.37", "GBP": "0.85480", "CHF": "0.9412", "KRW": "1448.53",
       "ISK": "150.10", "IDR": "17532.64", "HUF": "395.33", "BRL": "5.9876", "ZAR": "20.4312",
       "INR": "90.1234", "CZK": "25.231", "SEK": "11.4680"}
SNAP = static_snapshot(ECB, base="EUR", snapshot_id="s1")
# a second snapshot with three-decimal currencies quoted too (KWD, BHD)
WIDE = static_snapshot({**ECB, "KWD": "0.3325", "BHD": "0.4079"}, base="EUR", snapshot_id="s2")
CODES = sorted(WIDE.rates)


def test_cross_rate_is_exact_to_rate_digits():
    rate = SNAP.rate("USD", "JPY")
    assert rate == (Decimal("162.37") / Decimal("1.0823")).quantize(Decimal(1).scaleb(-15))
    assert len(rate.as_tuple().digits) <= RATE_DIGITS
    assert len(rate.as_tuple().digits) >= 12


def test_conversion_rounds_once_at_the_end():
    # 3 × 0.3333… → rounding the rate first or per step would lose a minor unit
    snap = static_snapshot({"USD": "3"}, base="EUR")
    back = snap.convert(Decimal("0.01"), "USD", "EUR")  # 0.00333… → 0.00
    assert back.amount.amount == Decimal("0.00")
    assert snap.convert(Decimal("100.00"), "USD", "EUR").amount.amount == Decimal("33.33")
    assert snap.convert(Decimal("0.05"), "EUR", "USD").amount.amount == Decimal("0.15")


def test_half_up_at_the_end():
    snap = static_snapshot({"USD": "1.5"}, base="EUR")
    assert snap.convert(Decimal("0.01"), "EUR", "USD").amount.amount == Decimal("0.02")  # 0.015 → 0.02
    jpy = static_snapshot({"JPY": "100.5"}, base="EUR")
    assert jpy.convert(Decimal("1"), "EUR", "JPY").amount.amount == Decimal("101")       # 100.5 → 101


def test_zero_and_three_decimal_targets():
    assert str(WIDE.convert(Decimal("10"), "USD", "JPY").amount.to_json()["amount"]) == "1500"
    kwd = WIDE.convert(Decimal("10"), "USD", "KWD").amount
    assert kwd.amount.as_tuple().exponent == -3


def test_unquoted_and_unknown_currencies():
    with pytest.raises(NoRate):
        SNAP.rate("USD", "KWD")        # valid ISO 4217, not quoted by this snapshot
    with pytest.raises(ValueError):
        SNAP.rate("USD", "XXX")


def test_rejects_float_and_bad_rates():
    with pytest.raises(TypeError):
        SNAP.convert(1.5, "USD", "EUR")
    with pytest.raises(ValueError):
        static_snapshot({"USD": "0"})
    with pytest.raises(ValueError):
        static_snapshot({"USD": "-1.2"})


def test_json_round_trip_and_rebasing():
    body = SNAP.to_json("USD")
    assert body["base"] == "USD" and "USD" not in body["rates"] and body["rates"]["EUR"]
    assert all(isinstance(v, str) and "E" not in v for v in body["rates"].values())
    again = RateSnapshot.from_json(SNAP.to_json())
    assert again.rates == SNAP.rates and again.as_of == SNAP.as_of


def test_stale_after_max_age(monkeypatch):
    old = static_snapshot(ECB, as_of=iso(utcnow() - dt.timedelta(hours=27)))
    fresh = static_snapshot(ECB, as_of=iso(utcnow() - dt.timedelta(hours=25)))
    assert old.is_stale() and not fresh.is_stale()
    monkeypatch.setenv("FX_MAX_AGE_HOURS", "1")
    assert fresh.is_stale()
    confirmed = RateSnapshot("x", "EUR", old.as_of, "ecb", ECB, confirmed_at=iso())
    monkeypatch.delenv("FX_MAX_AGE_HOURS")
    assert not confirmed.is_stale()


# ---------------------------------------------------------------- properties
def amounts(currency):
    """Amounts the shop deals in: whole steps (money.step: 0.010 for KWD), written with the minor units."""
    return st.integers(min_value=0, max_value=10**12).map(lambda n: (n * step(currency)).quantize(quantum(currency)))


codes = st.sampled_from(CODES)


@settings(max_examples=300, deadline=None)
@given(st.data(), codes)
def test_identity_conversion(data, code):
    amount = data.draw(amounts(code))
    result = WIDE.convert(amount, code, code)
    assert result.amount.amount == amount
    assert result.rate == 1


@settings(max_examples=300, deadline=None)
@given(st.data(), codes, codes)
def test_result_always_has_target_minor_units(data, a, b):
    amount = data.draw(st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False, places=6))
    result = WIDE.convert(amount, a, b).amount
    assert result.currency == b
    assert result.amount.as_tuple().exponent == -minor_units(b)
    assert result.amount == result.amount.quantize(quantum(b)) and fits_minor_units(result.amount, b)


@settings(max_examples=500, deadline=None)
@given(st.data(), codes, codes)
def test_round_trip_stays_within_one_minor_unit(data, a, b):
    """A→B→A loses at most one step of A (its minor unit; 0.010 for KWD) — or, when B's step is worth more
    than A's (e.g. KWD→JPY), at most what one step of B is worth in A: the rounding
    to B destroys that much information, no rule can get it back."""
    amount = data.draw(amounts(a))
    there = WIDE.convert(amount, a, b).amount.amount
    back = WIDE.convert(there, b, a).amount.amount
    b_unit_in_a = step(b) * WIDE.rate(b, a)
    assert abs(back - amount) <= max(step(a), b_unit_in_a)


@settings(max_examples=300, deadline=None)
@given(st.data(), codes, codes)
def test_round_trip_within_one_minor_unit_when_target_is_as_fine(data, a, b):
    """The plain statement of the issue, for every pair where one step of B is worth
    no more than one of A (USD→JPY→USD, EUR→KWD→EUR, GBP→USD→GBP, ...)."""
    assume(step(b) * WIDE.rate(b, a) <= step(a))
    amount = data.draw(amounts(a))
    back = WIDE.convert(WIDE.convert(amount, a, b).amount.amount, b, a).amount.amount
    assert abs(back - amount) <= step(a)
