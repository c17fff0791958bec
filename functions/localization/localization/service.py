"""What the localization API answers: locales, currencies, rates, conversions."""
from __future__ import annotations

from decimal import Decimal

from meridian import locales
from meridian.errors import ServiceUnavailable, ValidationFailed
from meridian.money import CURRENCIES
from meridian.rates import NoRate, RateSnapshot

from . import store

NO_SNAPSHOT_RETRY_AFTER = 60


def locale_list() -> dict:
    return {"items": [loc.to_json() for loc in locales.supported()], "default": locales.DEFAULT_LOCALE,
            "next_cursor": None}


def _currency(code: str, quoted: bool | None) -> dict:
    minor, name = CURRENCIES[code]
    entry = {"code": code, "name": name, "minor_units": minor}
    if quoted is not None:
        entry["rate_available"] = quoted
    return entry


def currency_list(*, every: bool = False) -> dict:
    """Currencies we can price in (quoted by the latest snapshot), or with every=True all we know."""
    latest = store.latest()
    quoted = set(latest.rates) if latest else set()
    codes = sorted(CURRENCIES) if every or not latest else sorted(quoted & set(CURRENCIES))
    return {"items": [_currency(code, code in quoted) for code in codes], "next_cursor": None}


def current_snapshot() -> RateSnapshot:
    """The latest snapshot; 503 + Retry-After when there has never been one."""
    latest = store.latest()
    if latest is None:
        raise ServiceUnavailable("No exchange rates have been loaded yet.", retry_after=NO_SNAPSHOT_RETRY_AFTER)
    return latest


def _no_rate(field: str, code: str) -> ValidationFailed:
    return ValidationFailed({field: [f"{code!r} has no exchange rate in the latest snapshot."]})


def rates_view(base: str) -> dict:
    snapshot = current_snapshot()
    try:
        return snapshot.to_json(base)
    except NoRate:
        raise _no_rate("base", base) from None


def convert_view(amount: Decimal, from_ccy: str, to_ccy: str) -> dict:
    snapshot = current_snapshot()
    for field, code in (("from", from_ccy), ("to", to_ccy)):
        if code not in snapshot.rates:
            raise _no_rate(field, code)
    conversion = snapshot.convert(amount, from_ccy, to_ccy)
    return {**conversion.to_json(), "from": {"amount": format(amount, "f"), "currency": from_ccy}}
