"""What the localization API decides: which currencies are quoted, which snapshot answers, conversions.
The answers' shapes: localization/views.py."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from meridian.clock import iso
from meridian.errors import ServiceUnavailable, ValidationFailed
from meridian.money import BASE_CURRENCY, CURRENCIES, NOT_PRICEABLE, InvalidRoundingRule, RoundingRule, minor_units
from meridian.rates import Conversion, RateSnapshot

from . import repository

NO_SNAPSHOT_RETRY_AFTER = 60


def sold_settings() -> dict[str, dict] | None:
    """The currencies the shop sells in, as the rate snapshot carries them to every service:
    {code: {"minor_units", "rounding"}} of the active ones; None while staff have set none (then every quoted
    currency may be used, as before sell currencies existed)."""
    settings = repository.currency_settings()
    if not settings:
        return None
    return {code: {"minor_units": minor_units(code), "rounding": setting["rounding"]}
            for code, setting in sorted(settings.items()) if setting["active"] and code in CURRENCIES}


def currencies(*, every: bool = False) -> tuple[list[str], dict[str, dict], set[str], RateSnapshot | None]:
    """(codes to list, staff's settings, quoted codes, latest snapshot): the sold currencies (active; while
    none are set, those the latest snapshot quotes), or with every=True every ISO 4217 currency."""
    latest = repository.latest()
    quoted = set(latest.rates) if latest else set()
    settings = repository.currency_settings()
    if every:
        codes = sorted({*CURRENCIES, *NOT_PRICEABLE})
    elif settings:
        codes = sorted(code for code, setting in settings.items() if setting["active"] and code in CURRENCIES)
    else:
        codes = sorted(quoted & set(CURRENCIES))
    if not settings:   # nothing set: what is quoted is what is sold
        settings = {code: {"active": True, "rounding": None} for code in quoted & set(CURRENCIES)}
    return codes, settings, quoted, latest


def set_currency(raw_code: str, *, active: bool, rounding: object, actor: str | None) -> dict:
    """Staff's PUT /currencies/{code}: sell (or stop selling) in `code` with an optional rounding rule.
    400 naming the field for a code that is not ISO 4217 or has no minor units, the base currency made
    inactive, or a rule that does not fit the currency (money.RoundingRule.parse).
    Returns {code, before, after}."""
    code = (raw_code or "").strip().upper()
    if code in NOT_PRICEABLE:
        raise ValidationFailed({"code": [f"{code!r} has no minor units in ISO 4217; it cannot be sold."]})
    if code not in CURRENCIES:
        raise ValidationFailed({"code": [f"{code!r} is not an active ISO 4217 currency."]})
    if not active and code == BASE_CURRENCY:
        raise ValidationFailed({"active": [f"{BASE_CURRENCY} is the base currency; it is always sold."]})
    try:
        rule = RoundingRule.parse(rounding, code)
    except InvalidRoundingRule as error:
        raise ValidationFailed({error.field: [str(error)]}) from None
    before = repository.currency_setting(code)
    after = {"active": active, "rounding": rule.to_json() if rule else None}
    repository.put_currency_setting(code, active=active, rounding=after["rounding"], updated_at=iso(),
                                    updated_by=actor)
    return {"code": code, "before": before, "after": after}


def rates_snapshot(base: str) -> RateSnapshot:
    """GET /rates: the latest snapshot quoting `base`, carrying the shop's sold currencies and their rules."""
    snapshot = snapshot_quoting(base)
    return dataclasses.replace(snapshot, sold=sold_settings(), _cache={})


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


def latest_or_none() -> RateSnapshot | None:
    return repository.latest()
