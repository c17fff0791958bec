"""Supported locales, their content fallback chains, and which locale a request is served in.

The rule (API.md): `?locale=` wins, then `Accept-Language`, then the user's preferred
locale, then `en`. Content falls back along the locale's chain: pt-BR → pt → en; every
chain ends in `en`. A tag we do not support exactly is served in its language when that
is supported (pt-PT → pt); an explicit `?locale=` whose language we do not support at all
is a 400 that names it (UnsupportedLocale), while unusable Accept-Language entries and
stale preferences are just skipped.

    from meridian import locales
    code = locales.resolve_locale(app.query("locale"), app.header("accept-language"), user_locale)
    text = locales.pick(code, product_texts)   # first of the chain that has content
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from .errors import ValidationFailed

DEFAULT_LOCALE = "en"

T = TypeVar("T")


@dataclass(frozen=True)
class Locale:
    code: str
    name: str          # English name
    native_name: str
    rtl: bool = False
    parent: str | None = None   # next locale in the fallback chain (None only for `en`)

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "native_name": self.native_name, "rtl": self.rtl,
                "direction": "rtl" if self.rtl else "ltr", "fallback": list(fallback_chain(self.code))}


_LOCALES = [
    Locale("en", "English", "English"),
    Locale("en-GB", "English (United Kingdom)", "English (United Kingdom)", parent="en"),
    Locale("en-US", "English (United States)", "English (United States)", parent="en"),
    Locale("de", "German", "Deutsch", parent="en"),
    Locale("de-AT", "German (Austria)", "Deutsch (Österreich)", parent="de"),
    Locale("de-CH", "German (Switzerland)", "Deutsch (Schweiz)", parent="de"),
    Locale("fr", "French", "Français", parent="en"),
    Locale("fr-CA", "French (Canada)", "Français (Canada)", parent="fr"),
    Locale("es", "Spanish", "Español", parent="en"),
    Locale("es-MX", "Spanish (Mexico)", "Español (México)", parent="es"),
    Locale("it", "Italian", "Italiano", parent="en"),
    Locale("pt", "Portuguese", "Português", parent="en"),
    Locale("pt-BR", "Portuguese (Brazil)", "Português (Brasil)", parent="pt"),
    Locale("ja", "Japanese", "日本語", parent="en"),
    Locale("ar", "Arabic", "العربية", rtl=True, parent="en"),
    Locale("he", "Hebrew", "עברית", rtl=True, parent="en"),
]

LOCALES: dict[str, Locale] = {loc.code: loc for loc in _LOCALES}
_BY_LOWER = {code.lower(): code for code in LOCALES}
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


class UnsupportedLocale(ValidationFailed):
    def __init__(self, tag: str, *, field: str = "locale"):
        super().__init__({field: [f"{tag!r} is not a supported locale"]}, detail=f"Locale {tag!r} is not supported.")
        self.tag = tag


def supported() -> list[Locale]:
    return list(LOCALES.values())


def fallback_chain(code: str) -> tuple[str, ...]:
    """`code` and its parents, ending in `en` (pt-BR → ("pt-BR", "pt", "en"))."""
    chain = []
    current: str | None = code
    while current is not None:
        chain.append(current)
        current = LOCALES[current].parent
    return tuple(chain)


def match(tag: str | None) -> str | None:
    """The supported locale for a BCP 47 tag (case-insensitive, `_` allowed), or its language; else None."""
    if not tag:
        return None
    text = tag.strip()
    if not _TAG.match(text):
        return None
    parts = text.replace("_", "-").lower().split("-")
    # longest prefix first: zh-hant-tw → zh-hant → zh
    for size in range(len(parts), 0, -1):
        found = _BY_LOWER.get("-".join(parts[:size]))
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
    """The locale to serve: ?locale= (400 if unsupported), Accept-Language, preference, `en`."""
    if query is not None and query.strip() != "":
        found = match(query)
        if found is None:
            raise UnsupportedLocale(query, field=field)
        return found
    for tag in parse_accept_language(accept_language):
        found = match(tag)
        if found:
            return found
    return match(preferred) or DEFAULT_LOCALE


def validate(tag: str, *, field: str = "locale") -> str:
    """A supported locale code exactly as stored (for profile/localization writes); 400 otherwise."""
    found = _BY_LOWER.get((tag or "").strip().replace("_", "-").lower())
    if found is None:
        raise UnsupportedLocale(tag, field=field)
    return found


def pick(code: str, texts: Mapping[str, T]) -> tuple[str, T] | None:
    """(locale, value) of the first locale along `code`'s chain that `texts` has; None if none."""
    for candidate in fallback_chain(code):
        if candidate in texts:
            return candidate, texts[candidate]
    return None

