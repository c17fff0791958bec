"""What the localization API answers (locales, currencies, rates, conversions → answer dicts)."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from meridian import locales
from meridian.money import CURRENCIES
from meridian.rates import Conversion, RateSnapshot


def locale_list(items: Iterable[locales.Locale]) -> dict:
    return {"items": [loc.to_json() for loc in items], "default": locales.DEFAULT_LOCALE, "next_cursor": None}


def locale_view(locale: locales.Locale) -> dict:
    return locale.to_json()


def _currency(code: str, quoted: bool) -> dict:
    minor, name = CURRENCIES[code]
    return {"code": code, "name": name, "minor_units": minor, "rate_available": quoted}


def currency_list(codes: Iterable[str], quoted: set[str]) -> dict:
    return {"items": [_currency(code, code in quoted) for code in codes], "next_cursor": None}


def rates_view(snapshot: RateSnapshot, base: str) -> dict:
    """GET /rates: every quoted currency per one `base`, with where and when the rates came from."""
    return snapshot.to_json(base)


def conversion_view(conversion: Conversion, amount: Decimal, from_ccy: str) -> dict:
    return {**conversion.to_json(), "from": {"amount": format(amount, "f"), "currency": from_ccy}}
