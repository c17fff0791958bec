"""The locales the shop serves, their content fallback chains, and which locale a request is served in.

Locales are data: the localization service keeps them in its table (staff add or change one with
`PUT /api/v1/localization/locales/{code}`; `GET /api/v1/localization/locales` lists the active ones).
This module is every service's registry of them: it reads that list through ServiceClient and keeps
it per execution environment for LOCALES_CACHE_TTL_SECONDS (template.yaml: 60 s on AWS, a few seconds
locally). When localization cannot be reached it keeps serving its last copy; when localization was
never reached (a cold start during an outage, or a function that may not call it) it serves SEED, the
16 locales the shop started with (the same list localization writes into its table on first use), and
asks again after RETRY_AFTER_FAILURE seconds. Unknown and inactive locales are the same thing here:
not in the list.

The rule (README "Where we departed"): `?locale=` wins, then the signed-in shopper's saved locale,
then `Accept-Language`, then `en`. Content falls back along the locale's chain: pt-BR → pt → en;
every chain ends in `en`. A tag we do not serve exactly is served in its language when that is
served (pt-PT → pt); an explicit `?locale=` whose language we do not serve at all is a 400 that
names it (UnsupportedLocale), while unusable Accept-Language entries and stale preferences are just
skipped.

    from meridian import locales
    code = locales.resolve_locale(app.query("locale"), app.header("accept-language"), user_locale)
    text = locales.pick(code, product_texts)   # first of the chain that has content

Tests: `locales.use_static([...])` (Locale objects or codes) and `locales.reset()`.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .config import seconds_env
from .errors import ValidationFailed
from .observability import logger

DEFAULT_LOCALE = "en"
RETRY_AFTER_FAILURE = 5.0   # seconds before asking localization again after it failed

T = TypeVar("T")


@dataclass(frozen=True)
class Locale:
    code: str
    name: str          # English name
    native_name: str
    rtl: bool = False
    fallback: tuple[str, ...] = ()   # the chain after `code`, ending in `en` (empty only for `en`)
    active: bool = True

    @property
    def parent(self) -> str | None:
        """The next locale in the fallback chain (None only for `en`)."""
        return self.fallback[0] if self.fallback else None

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    @property
    def chain(self) -> tuple[str, ...]:
        return (self.code, *self.fallback)

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "native_name": self.native_name, "rtl": self.rtl,
                "direction": self.direction, "fallback": list(self.chain), "active": self.active}

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Locale:
        """A locale as GET /locales answers it (`fallback` starts with the code itself there)."""
        code = str(item["code"])
        chain = [str(c) for c in item.get("fallback") or []]
        if chain and chain[0] == code:
            chain = chain[1:]
        if not chain and code != DEFAULT_LOCALE:   # a list that gives no chain: straight to en
            chain = [DEFAULT_LOCALE]
        rtl = item.get("direction") == "rtl" if "direction" in item else bool(item.get("rtl"))
        return cls(code, str(item.get("name") or code), str(item.get("native_name") or item.get("name") or code),
                   rtl=rtl, fallback=tuple(chain), active=bool(item.get("active", True)))


def _seed() -> list[Locale]:
    rows = [  # code, English name, native name, parent, rtl
        ("en", "English", "English", None, False),
        ("en-GB", "English (United Kingdom)", "English (United Kingdom)", "en", False),
        ("en-US", "English (United States)", "English (United States)", "en", False),
        ("de", "German", "Deutsch", "en", False),
        ("de-AT", "German (Austria)", "Deutsch (Österreich)", "de", False),
        ("de-CH", "German (Switzerland)", "Deutsch (Schweiz)", "de", False),
        ("fr", "French", "Français", "en", False),
        ("fr-CA", "French (Canada)", "Français (Canada)", "fr", False),
        ("es", "Spanish", "Español", "en", False),
        ("es-MX", "Spanish (Mexico)", "Español (México)", "es", False),
        ("it", "Italian", "Italiano", "en", False),
        ("pt", "Portuguese", "Português", "en", False),
        ("pt-BR", "Portuguese (Brazil)", "Português (Brasil)", "pt", False),
        ("ja", "Japanese", "日本語", "en", False),
        ("ar", "Arabic", "العربية", "en", True),
        ("he", "Hebrew", "עברית", "en", True),
    ]
    made: dict[str, Locale] = {}
    for code, name, native, parent, rtl in rows:
        made[code] = Locale(code, name, native, rtl=rtl, fallback=made[parent].chain if parent else ())
    return list(made.values())


SEED: tuple[Locale, ...] = tuple(_seed())
# the built-in seed by code (what localization starts with; the registry's answer before it ever reached it)
LOCALES: dict[str, Locale] = {loc.code: loc for loc in SEED}

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
# BCP 47 langtag without extensions/private use: language[-script][-region](-variant)*
_WELL_FORMED = re.compile(r"^(?P<language>[a-z]{2,3}|[a-z]{5,8})(?:-(?P<script>[a-z]{4}))?"
                          r"(?:-(?P<region>[a-z]{2}|\d{3}))?(?P<variants>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*)$")

# how the OpenAPI documents describe a locale parameter (the list is data: no enum)
OPENAPI_SCHEMA = {"type": "string", "pattern": _TAG.pattern, "example": "pt-BR",
                  "description": "An active locale of GET /api/v1/localization/locales (any case)."}


class UnsupportedLocale(ValidationFailed):
    def __init__(self, tag: str, *, field: str = "locale"):
        super().__init__({field: [f"{tag!r} is not a supported locale"]}, detail=f"Locale {tag!r} is not supported.")
        self.tag = tag


def canonical_tag(tag: str) -> str | None:
    """A well-formed BCP 47 tag in its canonical case (fr-be → fr-BE, zh-hant-tw → zh-Hant-TW), or None."""
    text = (tag or "").strip().replace("_", "-").lower()
    if len(text) > 35:
        return None
    found = _WELL_FORMED.match(text)
    if found is None:
        return None
    parts = [found["language"]]
    if found["script"]:
        parts.append(found["script"].title())
    if found["region"]:
        parts.append(found["region"].upper())
    parts += [v for v in found["variants"].split("-") if v]
    return "-".join(parts)


# ---------------------------------------------------------------------------- the registry
class _View:
    """One copy of the list: by code, and by lower-case code."""

    def __init__(self, items: Iterable[Locale]) -> None:
        self.by_code = {loc.code: loc for loc in items if loc.active}
        self.by_lower = {code.lower(): code for code in self.by_code}


def _usable(found: list[Locale]) -> list[Locale]:
    """The locales whose whole chain is in the list and ends in en (anything else is dropped, logged)."""
    codes = {loc.code for loc in found}
    if DEFAULT_LOCALE not in codes:
        raise ValueError("the list has no 'en'")
    usable = [loc for loc in found
              if (loc.code == DEFAULT_LOCALE and not loc.fallback)
              or (loc.fallback and loc.fallback[-1] == DEFAULT_LOCALE and set(loc.fallback) <= codes
                  and loc.code not in loc.fallback)]
    if len(usable) != len(found):
        logger.warning("locales with unusable fallback chains skipped",
                       extra={"skipped": sorted(codes - {loc.code for loc in usable})})
    return usable


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.view: _View | None = None
        self.fetched_at = float("-inf")   # monotonic time of the last successful read
        self.retry_at = 0.0               # no new read before this after a failure
        self.static = False
        self._client = None

    def ttl(self) -> float:
        return seconds_env("LOCALES_CACHE_TTL_SECONDS", 60)

    def client(self):
        if self._client is None:
            from .clients import ServiceClient

            self._client = ServiceClient("localization", timeout=(0.5, 1.5), attempts=1)
        return self._client

    def _fetch(self) -> list[Locale]:
        body = self.client().get("/locales").result("list locales", shape=dict)
        return _usable([Locale.from_json(item) for item in body["items"]])

    def current(self) -> _View:
        view, now = self.view, time.monotonic()
        if view is not None and (self.static or now - self.fetched_at < self.ttl() or now < self.retry_at):
            return view
        with self.lock:
            now = time.monotonic()
            if self.view is not None and (self.static or now - self.fetched_at < self.ttl() or now < self.retry_at):
                return self.view
            try:
                fresh = _View(self._fetch())
            except Exception as error:  # noqa: BLE001 - the documented fallback: last copy, else the seed
                self.retry_at = now + RETRY_AFTER_FAILURE
                if self.view is None:
                    logger.warning("localization unreachable; serving the built-in locales",
                                   extra={"error": type(error).__name__})
                    self.view = _View(SEED)
                else:
                    logger.warning("localization unreachable; serving the last list of locales",
                                   extra={"error": type(error).__name__})
                return self.view
            self.view, self.fetched_at, self.retry_at = fresh, time.monotonic(), 0.0
            return fresh

    def use(self, items: Iterable[Locale] | None) -> None:
        with self.lock:
            self.view = _View(items) if items is not None else None
            self.static = items is not None
            self.fetched_at, self.retry_at = float("-inf"), 0.0
            if items is None:
                self._client = None


_registry = _Registry()


def _table() -> dict[str, Locale]:
    return _registry.current().by_code


def supported() -> list[Locale]:
    """The active locales (from localization; see the module's documentation)."""
    return list(_table().values())


def get(code: str) -> Locale | None:
    """The active locale `code` (exact code), or None."""
    return _table().get(code)


def is_rtl(code: str) -> bool:
    found = get(code) or LOCALES.get(code)
    return bool(found and found.rtl)


def fallback_chain(code: str) -> tuple[str, ...]:
    """`code` and its fallbacks, ending in `en` (pt-BR → ("pt-BR", "pt", "en")). A code that is not (or no
    longer) active falls back as the seed says, else straight to `en`."""
    found = _table().get(code) or LOCALES.get(code)
    if found is not None:
        return found.chain
    return (code,) if code == DEFAULT_LOCALE else (code, DEFAULT_LOCALE)


def match(tag: str | None) -> str | None:
    """The served locale for a BCP 47 tag (case-insensitive, `_` allowed), or its language; else None."""
    if not tag:
        return None
    text = tag.strip()
    if not _TAG.match(text):
        return None
    by_lower = _registry.current().by_lower
    parts = text.replace("_", "-").lower().split("-")
    # longest prefix first: zh-hant-tw → zh-hant → zh
    for size in range(len(parts), 0, -1):
        found = by_lower.get("-".join(parts[:size]))
        if found:
            return found
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an Accept-Language header, best first (q=0 and `*` dropped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        pieces = [p.strip() for p in item.split(";")]
        tag = pieces[0]
        quality = 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def resolve_locale(query: str | None, accept_language: str | None = None, preferred: str | None = None,
                   *, field: str = "locale") -> str:
    """The locale to serve: ?locale= (400 if not served), the saved preference, Accept-Language, `en`."""
    if query:   # only an empty ?locale= is no choice; blanks or padding are a 400 like any unknown tag
        found = match(query) if query == query.strip() else None
        if found is None:
            raise UnsupportedLocale(query, field=field)
        return found
    saved = match(preferred)
    if saved:
        return saved
    for tag in parse_accept_language(accept_language):
        found = match(tag)
        if found:
            return found
    return DEFAULT_LOCALE


def validate(tag: str, *, field: str = "locale") -> str:
    """An active locale's code exactly as stored (for profile/localization writes); 400 otherwise."""
    found = _registry.current().by_lower.get((tag or "").strip().replace("_", "-").lower())
    if found is None:
        raise UnsupportedLocale(tag, field=field)
    return found


def pick(code: str, texts: Mapping[str, T]) -> tuple[str, T] | None:
    """(locale, value) of the first locale along `code`'s chain that `texts` has; None if none."""
    for candidate in fallback_chain(code):
        if candidate in texts:
            return candidate, texts[candidate]
    return None


# ---------------------------------------------------------------------------- cache control
def use_static(items: Iterable[Locale | str] | None) -> None:
    """Serve these locales instead of asking localization (tests). A bare code is the seed's locale of
    that code, or a locale falling back to `en`."""
    if items is None:
        _registry.use(None)
        return
    made = [item if isinstance(item, Locale) else LOCALES.get(item) or Locale(item, item, item, fallback=("en",))
            for item in items]
    codes = {loc.code for loc in made}
    # a chain through a locale not in the list goes straight on to what is (the seed's pt-BR without pt → en)
    made = [Locale(loc.code, loc.name, loc.native_name, rtl=loc.rtl, active=loc.active,
                   fallback=tuple(c for c in loc.fallback if c in codes or c == DEFAULT_LOCALE))
            if loc.code != DEFAULT_LOCALE else loc for loc in made]
    _registry.use(made)


def forget() -> None:
    """Read the list again on next use (after a write to it; static lists stay)."""
    with _registry.lock:
        _registry.fetched_at, _registry.retry_at = float("-inf"), 0.0


def reset() -> None:
    """Forget every cached copy and any static list (tests)."""
    _registry.use(None)


