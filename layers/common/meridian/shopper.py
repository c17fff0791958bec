"""The signed-in shopper's profile (email, saved locale and currency), from the users service.

The order for locale is ?locale → the user's saved locale → Accept-Language → en (the saved
one is asked for whenever the caller is signed in and names no ?locale: every browser sends
Accept-Language, and it must not hide what the shopper chose), and for currency ?currency → the
user's preference → USD. Reads that need a preference call
GET /api/v1/users/me with the caller's own token, cached per token for a minute per
execution environment. Anonymous callers, and a users service that is down, mean "no
preference" (the documented fallback): a catalog read or a checkout never fails for it.
"""
from __future__ import annotations

import time
from typing import Any

from .clients import ServiceClient
from .errors import DomainError, ValidationFailed
from .locales import resolve_locale
from .money import BASE_CURRENCY, CURRENCIES, UnknownCurrency, currency_code
from .observability import logger

TTL_SECONDS = 60.0
_MAX_ENTRIES = 1024
_cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
_client: ServiceClient | None = None


def profile(authorization: str | None) -> dict[str, Any] | None:
    """The caller's profile, or None when there is no caller or it cannot be had now."""
    global _client
    if not authorization:
        return None
    cached = _cache.get(authorization)
    if cached and time.monotonic() - cached[0] < TTL_SECONDS:
        return cached[1]
    if _client is None:
        _client = ServiceClient("users", timeout=(0.5, 1.0), attempts=1)
    try:
        response = _client.get("/me", authorization=authorization)
    except Exception as exc:  # noqa: BLE001 - preferences are optional by contract
        logger.warning("shopper profile unavailable", extra={"error": type(exc).__name__})
        return None
    try:
        found = response.result("read the profile", shape=dict)
    except DomainError:   # an answer, but no profile (e.g. 401 for an expired token): no preference
        found = None
    if len(_cache) >= _MAX_ENTRIES:
        _cache.clear()
    _cache[authorization] = (time.monotonic(), found)
    return found


def preference(name: str, authorization: str | None) -> str | None:
    """The caller's saved `locale` or `currency`, if any."""
    value = (profile(authorization) or {}).get(name)
    return value if isinstance(value, str) and value else None


def currency(requested: str | None, authorization: str | None) -> str:
    """The shopper's currency: the one asked for, else their saved one, else the base currency. The one
    asked for must be sold in this shop (fx.require_sold: ISO 4217 with minor units and active in
    localization's settings, cached with the rates): 400 naming `currency` otherwise. A saved one the shop
    no longer sells is skipped (base currency), as a stale saved locale is: the shopper did not ask for it now."""
    from . import fx

    if requested is not None and requested.strip():
        try:
            code = currency_code(requested)
        except UnknownCurrency as error:
            raise ValidationFailed({"currency": [str(error)]}) from None
        return fx.require_sold(code)
    saved = preference("currency", authorization)
    if saved in CURRENCIES:
        try:
            return fx.require_sold(saved)
        except fx.UnsupportedCurrency:
            pass
    return BASE_CURRENCY


def locale(requested: str | None, accept_language: str | None, authorization: str | None) -> str:
    """The shopper's locale: ?locale, then their saved one, then Accept-Language, then en. The saved
    one is asked for whenever there is no ?locale (and a caller)."""
    saved = None if requested else preference("locale", authorization)
    return resolve_locale(requested, accept_language, saved)


def forget() -> None:
    _cache.clear()
