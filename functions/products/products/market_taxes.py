"""The tax rates the catalog prices with: a market country's row of orders' tax table, as orders' carts use it.

Read from orders' internal API (GET /api/v1/orders/internal/tax-rates/{country}), kept per execution
environment for MARKET_TAX_TTL_SECONDS (default 60 s). When orders cannot be reached, the last copy is
served; with no copy at all the catalog shows prices without tax (`tax.included: false`) and logs it: a
catalog read never fails for it, and the cart (orders) is what prices and charges.
"""
from __future__ import annotations

import threading
import time

from meridian.clients import ServiceClient
from meridian.config import seconds_env
from meridian.errors import DomainError
from meridian.observability import logger

RETRY_AFTER_FAILURE = 5.0     # seconds before asking orders again after it failed

_client: ServiceClient | None = None
_cache: dict[str, tuple[float, dict | None]] = {}     # country → (monotonic time it is good until, rates)
_lock = threading.Lock()
_static: dict[str, dict] | None = None


def _orders() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient("orders", timeout=(0.5, 1.5), attempts=2)
    return _client


def for_country(country: str) -> dict | None:
    """{country, region, name, standard, reduced, included} of `country`, or None when unknown."""
    if _static is not None:
        return _static.get(country)
    cached = _cache.get(country)
    if cached and time.monotonic() < cached[0]:
        return cached[1]
    with _lock:
        try:
            rates = _orders().get(f"/internal/tax-rates/{country}", internal=True).result("send tax rates", shape=dict)
        except DomainError as error:
            logger.warning("tax rates unavailable; serving the last copy", extra={"country": country,
                                                                                  "error": error.detail})
            last = cached[1] if cached else None
            _cache[country] = (time.monotonic() + RETRY_AFTER_FAILURE, last)
            return last
        _cache[country] = (time.monotonic() + seconds_env("MARKET_TAX_TTL_SECONDS", 60), rates)
        return rates


def use_static(table: dict[str, dict]) -> None:
    """Tests: answer from `table` (country → rates) instead of asking orders; reset() afterwards."""
    global _static
    _static = dict(table)


def reset() -> None:
    global _static
    _static = None
    _cache.clear()
