"""The rate client every service uses to convert money.

    from meridian import fx
    conversion = fx.convert(Decimal("19.99"), "USD", "JPY")
    conversion.amount.to_json()  # {"amount": "3002", "currency": "JPY"}
    conversion.fx_json()         # {"rate", "as_of", "source", "stale"}

It reads the latest snapshot from the localization service (GET
/api/v1/localization/rates?base=EUR through ServiceClient, i.e. timeouts, retries and the
`service:localization` breaker), keeps it per execution environment for FX_CACHE_TTL_SECONDS
(default 60 s), and when localization cannot be reached it keeps serving its last copy
(with `stale` computed from that copy's age), so catalog and checkout keep working.
Only with no copy at all does it raise ServiceUnavailable (503 + Retry-After).

Unknown or unquoted currencies raise UnsupportedCurrency, a ValidationFailed (400) that
names the currency under the field the caller chose (`field="currency"` by default).

Tests of other services: `fx.use_static({"USD": "1.08", "JPY": "162"}, base="EUR")`,
and `fx.reset()` afterwards.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from decimal import Decimal

from .config import seconds_env
from .errors import ServiceUnavailable, ValidationFailed
from .money import CURRENCIES, UnknownCurrency
from .observability import logger
from .rates import Conversion, NoRate, RateSnapshot, max_age, static_snapshot

__all__ = ["Conversion", "RateSnapshot", "UnsupportedCurrency", "convert", "rate", "require_sold", "rounding",
           "snapshot", "use_static", "reset"]

ANCHOR = "EUR"              # the base we ask for: the ECB's own, so its rates arrive unchanged
RETRY_AFTER_FAILURE = 5.0   # seconds before trying localization again after it failed


class UnsupportedCurrency(ValidationFailed):
    def __init__(self, currency: str, *, field: str = "currency", reason: str = "is not a supported currency"):
        super().__init__({field: [f"{currency!r} {reason}"]}, detail=f"Currency {currency!r} {reason}.")
        self.currency = currency


class _RateCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: RateSnapshot | None = None
        self.fetched_at = 0.0        # monotonic time of the last successful fetch
        self.retry_at = 0.0          # monotonic time before which we do not call localization again
        self.static = False
        self.ttl_seconds = 60.0      # FX_CACHE_TTL_SECONDS and FX_MAX_AGE_HOURS, read once per fetch
        self.max_age = max_age()
        self._client = None

    def ttl(self) -> float:
        return seconds_env("FX_CACHE_TTL_SECONDS", 60)

    def client(self):
        if self._client is None:
            from .clients import ServiceClient

            self._client = ServiceClient("localization", timeout=(1.0, 2.0), attempts=2)
        return self._client

    def current(self) -> RateSnapshot:
        now, snap = time.monotonic(), self.snapshot
        if snap is not None and (self.static or now - self.fetched_at < self.ttl_seconds or now < self.retry_at):
            return snap
        with self.lock:
            now = time.monotonic()
            self.ttl_seconds, self.max_age = self.ttl(), max_age()
            if self.snapshot is not None and (now - self.fetched_at < self.ttl_seconds or now < self.retry_at):
                return self.snapshot
            try:
                fresh = self._fetch()
            except ServiceUnavailable as error:
                self.retry_at = now + RETRY_AFTER_FAILURE
                if self.snapshot is None:
                    raise ServiceUnavailable("Exchange rates are not available yet.",
                                             retry_after=error.retry_after) from None
                logger.warning("localization unreachable; serving the last rate snapshot",
                               extra={"snapshot_id": self.snapshot.snapshot_id, "as_of": self.snapshot.as_of})
                return self.snapshot
            self.snapshot, self.fetched_at, self.retry_at = fresh, time.monotonic(), 0.0
            return fresh

    def _fetch(self) -> RateSnapshot:
        body = self.client().get("/rates", params={"base": ANCHOR}).result("send exchange rates", shape=dict)
        try:
            return RateSnapshot.from_json(body)
        except (KeyError, ValueError, ArithmeticError) as error:
            raise ServiceUnavailable(f"localization sent an unreadable snapshot ({error})", retry_after=5) from None


_cache = _RateCache()


def snapshot() -> RateSnapshot:
    """The latest snapshot (cached; the last copy when localization is unreachable)."""
    return _cache.current()


def _normalise(code: str, field: str) -> str:
    if code in CURRENCIES:   # the common case, already canonical
        return code
    text = (code or "").strip().upper()
    if len(text) != 3 or not text.isalpha():
        raise UnsupportedCurrency(code, field=field, reason="is not an ISO 4217 currency code")
    return text


def rate(from_ccy: str, to_ccy: str, *, field: str = "currency") -> Decimal:
    """Units of `to_ccy` per one `from_ccy` from the latest snapshot."""
    from_ccy, to_ccy = _normalise(from_ccy, field), _normalise(to_ccy, field)
    try:
        return snapshot().rate(from_ccy, to_ccy)
    except UnknownCurrency as error:
        raise UnsupportedCurrency(str(error), field=field) from None
    except NoRate as error:
        raise UnsupportedCurrency(error.currency, field=field, reason="has no exchange rate") from None


def convert(amount: Decimal, from_ccy: str, to_ccy: str, *, field: str = "currency") -> Conversion:
    """Convert `amount` (Decimal) and round once to the target's minor units."""
    from_ccy, to_ccy = _normalise(from_ccy, field), _normalise(to_ccy, field)
    try:
        return snapshot().convert(amount, from_ccy, to_ccy, max_age_=_cache.max_age)
    except UnknownCurrency as error:
        raise UnsupportedCurrency(str(error), field=field) from None
    except NoRate as error:
        raise UnsupportedCurrency(error.currency, field=field, reason="has no exchange rate") from None


def require_sold(code: str, *, field: str = "currency") -> str:
    """`code` (canonical upper case) when the shop sells in it: an ISO 4217 currency with minor units that
    staff made active (localization's GET /currencies, carried by the cached snapshot). 400 naming `field`
    otherwise ("'XYZ' is not sold in this shop"). When no snapshot can be had at all, only the base
    currency passes (the catalog still answers in it)."""
    code = _normalise(code, field)
    if code not in CURRENCIES:
        raise UnsupportedCurrency(code, field=field, reason="is not sold in this shop")
    try:
        snap = snapshot()
    except ServiceUnavailable:
        from .money import BASE_CURRENCY

        if code == BASE_CURRENCY:
            return code
        raise
    if not snap.is_sold(code):
        raise UnsupportedCurrency(code, field=field, reason="is not sold in this shop")
    return code


def rounding(currency: str):
    """The shop's rounding rule for prices in `currency` (a money.RoundingRule), or None."""
    try:
        return snapshot().rounding(currency)
    except ServiceUnavailable:
        return None


def use_static(rates: Mapping[str, str | Decimal], *, base: str = "EUR", as_of: str | None = None,
               source: str = "static", currencies: Mapping[str, Mapping] | None = None) -> RateSnapshot:
    """Serve these rates instead of calling localization (tests); `currencies` {code: {rounding}} makes
    only those sold, with their rounding rules."""
    snap = static_snapshot(rates, base=base, as_of=as_of, source=source, currencies=currencies)
    with _cache.lock:
        _cache.snapshot, _cache.static, _cache.fetched_at, _cache.retry_at = snap, True, time.monotonic(), 0.0
        _cache.max_age = max_age()
    return snap


def reset() -> None:
    """Forget every cached snapshot (tests)."""
    with _cache.lock:
        _cache.snapshot, _cache.static, _cache.fetched_at, _cache.retry_at = None, False, 0.0, 0.0
        _cache.ttl_seconds, _cache.max_age = 60.0, max_age()
        _cache._client = None
