"""Exchange-rate snapshots and the one conversion rule (pure: no I/O).

A snapshot holds, for one base currency, how many units of each currency one unit of
the base buys (the base itself is 1). Cross rates for any pair are computed with Decimal
at WORK_PRECISION digits and kept at RATE_DIGITS significant digits (≥ 12, as required);
a conversion multiplies the exact amount by that rate and rounds ONCE, at the end, to the
target currency's minor units (money.round_to_minor, ROUND_HALF_UP).

`stale` is true once the snapshot was last confirmed by the provider longer ago than the
configured maximum age (FX_MAX_AGE_HOURS, default 26 h: the ECB publishes once a day).
"""
from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal

from .clock import iso, parse_iso, utcnow
from .config import seconds_env
from .money import CURRENCIES, Money, RoundingRule, UnknownCurrency, round_to_minor

RATE_DIGITS = 18        # significant digits kept in a cross rate
WORK_PRECISION = 34     # digits used while computing
DEFAULT_MAX_AGE_HOURS = 26.0


class NoRate(LookupError):
    """The snapshot has no rate for this currency (it is valid ISO 4217, just not quoted)."""

    def __init__(self, currency: str):
        super().__init__(currency)
        self.currency = currency


_WORK = Context(prec=WORK_PRECISION, rounding=ROUND_HALF_UP)
_RATE = Context(prec=RATE_DIGITS, rounding=ROUND_HALF_UP)
_max_age_cache: dict[str, _dt.timedelta] = {}


def max_age() -> _dt.timedelta:
    """The configured maximum age of a snapshot before it is served as stale (FX_MAX_AGE_HOURS)."""
    raw = os.environ.get("FX_MAX_AGE_HOURS") or ""
    cached = _max_age_cache.get(raw)
    if cached is None:
        hours = seconds_env("FX_MAX_AGE_HOURS", DEFAULT_MAX_AGE_HOURS)
        cached = _max_age_cache[raw] = _dt.timedelta(hours=hours)
    return cached


def rate_text(rate: Decimal) -> str:
    """A rate as a plain decimal string without trailing zeros ("0.92", "150", never "1E+2")."""
    text = format(rate.normalize(), "f")
    return text


def _decimal(amount: Decimal | int) -> Decimal:
    if isinstance(amount, Decimal):
        return amount
    if isinstance(amount, float) or not isinstance(amount, int):
        raise TypeError("amounts must be Decimal (or int), never float")
    return Decimal(amount)


@dataclass(frozen=True, slots=True)
class Conversion:
    """The result of converting an amount: rounded money plus where the rate came from."""
    amount: Money
    rate: Decimal
    as_of: str
    source: str
    stale: bool
    snapshot_id: str

    def to_json(self) -> dict:
        return {"amount": self.amount.to_json(), "rate": rate_text(self.rate), "as_of": self.as_of,
                "source": self.source, "stale": self.stale, "snapshot_id": self.snapshot_id}

    def fx_json(self) -> dict:
        """The `fx` block products and orders put beside a converted price."""
        return {"rate": rate_text(self.rate), "as_of": self.as_of, "source": self.source, "stale": self.stale}


@dataclass(frozen=True)
class RateSnapshot:
    snapshot_id: str
    base: str
    as_of: str                       # when the provider set these rates (UTC ISO 8601)
    source: str                      # "ecb", "frankfurter", "static", ...
    rates: Mapping[str, Decimal]     # units of currency per one unit of `base`
    confirmed_at: str | None = None  # last time the provider confirmed them (defaults to as_of)
    sources: Mapping[str, str] | None = None     # code → the provider its rate came from (default: `source`)
    sold: Mapping[str, Mapping] | None = None  # the shop's sold currencies {code: {minor_units, rounding}};
    #                                                  None: not known (every quoted currency may be used)
    _cache: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        rates = {code: Decimal(value) for code, value in self.rates.items()}
        rates[self.base] = Decimal(1)
        for code, value in rates.items():
            if not value.is_finite() or value <= 0:
                raise ValueError(f"rate for {code} must be a positive number")
        object.__setattr__(self, "rates", rates)
        confirmed = parse_iso(self.confirmed_at or self.as_of)
        self._cache["confirmed"] = confirmed
        self._cache["confirmed_epoch"] = confirmed.timestamp()

    # ---------------------------------------------------------------- lookups
    def currencies(self) -> list[str]:
        return sorted(self.rates)

    def require(self, currency: str) -> Decimal:
        if currency not in CURRENCIES:
            raise UnknownCurrency(currency)
        try:
            return self.rates[currency]
        except KeyError:
            raise NoRate(currency) from None

    def rate(self, from_ccy: str, to_ccy: str) -> Decimal:
        """Units of `to_ccy` per one `from_ccy`, at RATE_DIGITS significant digits."""
        key = (from_ccy, to_ccy)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        source, target = self.require(from_ccy), self.require(to_ccy)
        if from_ccy == to_ccy:
            value = Decimal(1)
        else:
            value = _RATE.plus(_WORK.divide(target, source)).normalize(_RATE)
        self._cache[key] = value
        return value

    def rates_for(self, base: str) -> dict[str, Decimal]:
        """Every quoted currency (except `base`) in units per one `base`."""
        self.require(base)
        return {code: self.rate(base, code) for code in self.currencies() if code != base}

    def source_of(self, currency: str) -> str:
        """The provider the rate of `currency` came from."""
        return (self.sources or {}).get(currency) or self.source

    def pair_source(self, from_ccy: str, to_ccy: str) -> str:
        """Where a cross rate comes from: the provider of each leg that is not the snapshot's base
        ("ecb", "exchangerate-api", or "ecb+exchangerate-api" when the legs come from both)."""
        legs = {self.source_of(code) for code in (from_ccy, to_ccy) if code != self.base}
        return "+".join(sorted(legs)) if legs else self.source_of(self.base)

    # ---------------------------------------------------------------- the shop's sell currencies
    def is_sold(self, currency: str) -> bool:
        """Whether the shop sells in `currency` (always, when the snapshot does not say)."""
        return self.sold is None or currency in self.sold

    def rounding(self, currency: str) -> RoundingRule | None:
        """The shop's rounding rule for prices in `currency` (None: plain rounding to minor units)."""
        key = ("rounding", currency)
        if key not in self._cache:
            raw = ((self.sold or {}).get(currency) or {}).get("rounding")
            self._cache[key] = RoundingRule.parse(raw, currency) if raw else None
        return self._cache[key]

    # ---------------------------------------------------------------- conversion
    def convert(self, amount: Decimal, from_ccy: str, to_ccy: str, *, now: _dt.datetime | None = None,
                max_age_: _dt.timedelta | None = None) -> Conversion:
        """Convert exactly, rounding once at the end to the target's minor units."""
        rate = self._cache.get((from_ccy, to_ccy)) or self.rate(from_ccy, to_ccy)
        money = Money(round_to_minor(_WORK.multiply(_decimal(amount), rate), to_ccy), to_ccy)
        return Conversion(money, rate, self.as_of, self.pair_source(from_ccy, to_ccy), self.is_stale(now, max_age_),
                          self.snapshot_id)

    # ---------------------------------------------------------------- freshness
    def age(self, now: _dt.datetime | None = None) -> _dt.timedelta:
        return (now or utcnow()) - self._cache["confirmed"]

    def is_stale(self, now: _dt.datetime | None = None, max_age_: _dt.timedelta | None = None) -> bool:
        limit = (max_age_ if max_age_ is not None else max_age()).total_seconds()
        if now is None:
            return time.time() - self._cache["confirmed_epoch"] > limit
        return self.age(now).total_seconds() > limit

    # ---------------------------------------------------------------- wire format
    def to_json(self, base: str | None = None, *, now: _dt.datetime | None = None) -> dict:
        """The GET /rates body: rates for `base` (default: the snapshot's own base)."""
        base = base or self.base
        rates = {code: rate_text(value) for code, value in self.rates_for(base).items()}
        body = {"base": base, "rates": rates,
                "sources": {code: self.source_of(code) for code in [*rates, base]},
                "as_of": self.as_of, "source": self.source, "stale": self.is_stale(now),
                "snapshot_id": self.snapshot_id, "confirmed_at": self.confirmed_at or self.as_of}
        if self.sold is not None:
            body["currencies"] = {code: dict(value) for code, value in self.sold.items()}
        return body

    @classmethod
    def from_json(cls, body: Mapping) -> RateSnapshot:
        return cls(snapshot_id=str(body.get("snapshot_id") or ""), base=body["base"], as_of=body["as_of"],
                   source=body.get("source") or "unknown",
                   rates={code: Decimal(str(value)) for code, value in body["rates"].items()},
                   confirmed_at=body.get("confirmed_at"), sources=body.get("sources"),
                   sold=body.get("currencies"))


def static_snapshot(rates: Mapping[str, str | Decimal], *, base: str = "EUR", source: str = "static",
                    as_of: str | None = None, snapshot_id: str = "static",
                    currencies: Mapping[str, Mapping] | None = None) -> RateSnapshot:
    """A snapshot from literal rates (tests, seeds)."""
    return RateSnapshot(snapshot_id=snapshot_id, base=base, as_of=as_of or iso(), source=source,
                        rates={code: Decimal(str(value)) for code, value in rates.items()}, sold=currencies)
