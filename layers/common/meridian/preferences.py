"""Which locales and currencies a user may choose as preferences.

The localization service is the authority. Locales are checked by meridian.locales' registry
(its short cache and fallbacks are described there). Its GET /api/v1/localization/currencies is
read through ServiceClient and kept per execution environment for PREFERENCES_CACHE_TTL_SECONDS
(default 600). When localization cannot be reached (or answers something unreadable), the
built-in list is used instead, meridian.money.CURRENCIES, and localization is asked again after a
short pause.

    from meridian import preferences
    code = preferences.validate_locale("pt-br")     # "pt-BR", or ValidationFailed 400 {"locale": [...]}
    ccy = preferences.validate_currency("eur")      # "EUR"

Tests: `preferences.use_static(locales=[...], currencies=[...])` and `preferences.reset()`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from .config import seconds_env
from .errors import ServiceUnavailable, ValidationFailed
from .observability import logger

RETRY_AFTER_FAILURE = 30.0  # seconds before asking localization again after it failed


def _builtin_locales() -> list[str]:
    from .locales import LOCALES

    return list(LOCALES)


def _builtin_currencies() -> list[str]:
    from .money import CURRENCIES

    return list(CURRENCIES)


def _codes(body: Any, keys: tuple[str, ...]) -> list[str]:
    """Codes out of a list answer: ["en", …], [{"code": "en"}, …], or such a list under items/locales/…."""
    if isinstance(body, dict):
        for name in ("items", *keys, "data"):
            if isinstance(body.get(name), list):
                body = body[name]
                break
        else:
            # a map {"EUR": {...}, …}
            if body and all(isinstance(k, str) for k in body):
                return [k for k in body if k]
            return []
    if not isinstance(body, list):
        return []
    codes = []
    for entry in body:
        if isinstance(entry, str):
            codes.append(entry)
        elif isinstance(entry, dict):
            code = entry.get("code") or entry.get("tag") or entry.get("locale") or entry.get("currency")
            if isinstance(code, str) and code:
                codes.append(code)
    return codes


class _SupportedList:
    def __init__(self, path: str, keys: tuple[str, ...], builtin) -> None:
        self.path, self.keys, self.builtin = path, keys, builtin
        self.lock = threading.Lock()
        self.codes: dict[str, str] | None = None   # lower-case → canonical
        self.expires = 0.0
        self.static = False

    def ttl(self) -> float:
        return seconds_env("PREFERENCES_CACHE_TTL_SECONDS", 600)

    def _fetch(self) -> list[str]:
        from .clients import ServiceClient

        answer = ServiceClient("localization", timeout=(1.0, 2.0), attempts=1).get(self.path)
        codes = _codes(answer.result(f"list {self.keys[0]}"), self.keys)
        if not codes:
            raise ServiceUnavailable(f"localization sent no usable list of {self.keys[0]}")
        return codes

    def current(self) -> dict[str, str]:
        now = time.monotonic()
        if self.codes is not None and (self.static or now < self.expires):
            return self.codes
        with self.lock:
            if self.codes is not None and (self.static or time.monotonic() < self.expires):
                return self.codes
            try:
                codes, ttl = self._fetch(), self.ttl()
            except ServiceUnavailable as error:
                logger.warning("localization unreachable; using the built-in list",
                               extra={"list": self.path, "reason": error.detail})
                codes, ttl = self.builtin(), RETRY_AFTER_FAILURE
            self.codes = {code.lower(): code for code in codes}
            self.expires = time.monotonic() + ttl
            return self.codes

    def use(self, codes: Iterable[str] | None) -> None:
        with self.lock:
            self.codes = {c.lower(): c for c in codes} if codes is not None else None
            self.static = codes is not None
            self.expires = 0.0


_locales = _SupportedList("/locales", ("locales",), _builtin_locales)
_currencies = _SupportedList("/currencies", ("currencies",), _builtin_currencies)


def validate_locale(tag: str, *, field: str = "locale") -> str:
    """The supported locale code as localization spells it; ValidationFailed (400) otherwise. Locales are
    checked against the layer's locale registry (meridian.locales: localization's active locales, kept for
    LOCALES_CACHE_TTL_SECONDS), unless a test gave a static list."""
    if not _locales.static:
        from . import locales

        return locales.validate(tag, field=field)
    found = _locales.current().get(str(tag or "").strip().replace("_", "-").lower())
    if found is None:
        raise ValidationFailed({field: [f"{tag!r} is not a supported locale."]})
    return found


def validate_currency(code: str, *, field: str = "currency") -> str:
    """The supported ISO 4217 code (upper case); ValidationFailed (400) otherwise."""
    found = _currencies.current().get(str(code or "").strip().lower())
    if found is None:
        raise ValidationFailed({field: [f"{code!r} is not a supported currency."]})
    return found


def use_static(*, locales: Iterable[str] | None = None, currencies: Iterable[str] | None = None) -> None:
    """Use these lists instead of asking localization (tests)."""
    _locales.use(locales)
    _currencies.use(currencies)


def reset() -> None:
    from . import locales

    _locales.use(None)
    _currencies.use(None)
    locales.reset()
