"""What the localization API decides: which currencies are quoted, which snapshot answers, conversions.
The answers' shapes: localization/views.py."""
from __future__ import annotations

from decimal import Decimal

from meridian.errors import ServiceUnavailable, ValidationFailed
from meridian.money import CURRENCIES
from meridian.rates import Conversion, RateSnapshot

from . import repository

NO_SNAPSHOT_RETRY_AFTER = 60


def currencies(*, every: bool = False) -> tuple[list[str], set[str]]:
    """Currencies we can price in (quoted by the latest snapshot), or with every=True all we know; and the
    quoted ones."""
    latest = repository.latest()
    quoted = set(latest.rates) if latest else set()
    codes = sorted(CURRENCIES) if every or not latest else sorted(quoted & set(CURRENCIES))
    return codes, quoted


def current_snapshot() -> RateSnapshot:
    """The latest snapshot; 503 + Retry-After when there has never been one."""
    latest = repository.latest()
    if latest is None:
        raise ServiceUnavailable("No exchange rates have been loaded yet.", retry_after=NO_SNAPSHOT_RETRY_AFTER)
    return latest


def _no_rate(field: str, code: str) -> ValidationFailed:
    return ValidationFailed({field: [f"{code!r} has no exchange rate in the latest snapshot."]})


def snapshot_quoting(base: str) -> RateSnapshot:
    """The latest snapshot, which must quote `base` (400 naming the field otherwise)."""
    snapshot = current_snapshot()
    if base not in snapshot.rates:
        raise _no_rate("base", base)
    return snapshot


def convert(amount: Decimal, from_ccy: str, to_ccy: str) -> Conversion:
    """`amount` in `to_ccy` by the latest snapshot, rounded once to its minor units."""
    snapshot = current_snapshot()
    for field, code in (("from", from_ccy), ("to", to_ccy)):
        if code not in snapshot.rates:
            raise _no_rate(field, code)
    return snapshot.convert(amount, from_ccy, to_ccy)
