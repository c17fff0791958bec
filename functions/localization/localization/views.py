"""What the localization API answers (locales, currencies, rates, conversions → answer dicts)."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from meridian import locales
from meridian.money import CURRENCIES, NOT_PRICEABLE
from meridian.rates import Conversion, RateSnapshot


def locale_list(items: Iterable[locales.Locale]) -> dict:
    return {"items": [loc.to_json() for loc in items], "default": locales.DEFAULT_LOCALE, "next_cursor": None}


def locale_view(locale: locales.Locale) -> dict:
    return locale.to_json()


def currency(code: str, setting: dict | None, snapshot: RateSnapshot | None) -> dict:
    """One currency: ISO 4217's minor units (null for those without: XAU…), whether the shop sells in it,
    its rounding rule, and whether (and from which provider) the latest snapshot has a rate for it."""
    minor, name = CURRENCIES[code] if code in CURRENCIES else (None, NOT_PRICEABLE[code])
    quoted = snapshot is not None and code in snapshot.rates
    return {"code": code, "name": name, "minor_units": minor, "active": bool(setting and setting["active"]),
            "rounding": (setting or {}).get("rounding"), "rate_available": quoted,
            "rate_source": snapshot.source_of(code) if quoted else None}


def currency_list(codes: Iterable[str], settings: dict[str, dict], snapshot: RateSnapshot | None) -> dict:
    return {"items": [currency(code, settings.get(code), snapshot) for code in codes], "next_cursor": None}


def rates_view(snapshot: RateSnapshot, base: str) -> dict:
    """GET /rates: every quoted currency per one `base`, with where and when the rates came from."""
    return snapshot.to_json(base)


def conversion_view(conversion: Conversion, amount: Decimal, from_ccy: str) -> dict:
    return {**conversion.to_json(), "from": {"amount": format(amount, "f"), "currency": from_ccy}}
