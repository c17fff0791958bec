"""Which locales the shop serves, and which changes staff may make to them (PUT /locales/{code}).

The table is the authority (models.py: pk LOCALES). The built-in locales (`meridian.locales.SEED`, the 16
the shop started with) are stored on first use: the first read or write that finds no `#seeded` marker
stores each of them that is not there yet (a conditional put: never over a change staff made) and then
the marker, so a fresh stack and a fresh AWS deployment serve them with no manual step.

A locale is {code (BCP 47, canonical case), name, native_name, direction ltr|rtl, fallback (the chain
after the code, ending in "en"; empty for en), active}. A change is refused (400 naming the field) when
the code is not a well-formed tag, a fallback code is unknown or inactive, the chain loops back to the
code, repeats a code or does not end in en, or when it deactivates en or a locale an active locale
falls back through. Every service reads the active ones through GET /locales (meridian.locales).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meridian import audit
from meridian import locales as registry
from meridian.clock import iso, utcnow
from meridian.errors import ValidationFailed
from meridian.locales import DEFAULT_LOCALE, SEED, Locale, canonical_tag

from . import repository

MAX_CHAIN = 8


def every_locale() -> list[Locale]:
    """Every stored locale, active or not (en first, then by code); the seed is stored on first use."""
    found, seeded = repository.locale_records()
    if not seeded:
        repository.store_seed(SEED, iso(utcnow()))
        found, _ = repository.locale_records()
    return sorted(found, key=lambda loc: (loc.code != DEFAULT_LOCALE, loc.code.lower()))


def active_locales() -> list[Locale]:
    return [loc for loc in every_locale() if loc.active]


def code_of(tag: str) -> str:
    """The path's tag in canonical case (fr-be → fr-BE); 400 naming `code` when it is not well-formed."""
    code = canonical_tag(tag)
    if code is None:
        raise ValidationFailed({"code": [f"{tag!r} is not a well-formed BCP 47 language tag (e.g. fr-BE)."]})
    return code


def _chain(code: str, given: list[str], known: Mapping[str, Locale], *, activating: bool,
           errors: dict[str, list[str]]) -> tuple[str, ...]:
    chain = []
    for tag in given:
        canonical = canonical_tag(tag)
        if canonical is None:
            errors.setdefault("fallback", []).append(f"{tag!r} is not a well-formed BCP 47 language tag.")
            return ()
        chain.append(canonical)
    if chain and chain[0] == code:      # the chain as GET /locales shows it starts with the code itself
        chain = chain[1:]
    problems = []
    if code == DEFAULT_LOCALE:
        if chain:
            problems.append("'en' ends every chain: its fallback is empty.")
    elif not chain:
        problems.append("A fallback chain ending in 'en' is required (e.g. [\"fr\", \"en\"]).")
    else:
        if code in chain:
            problems.append(f"The chain comes back to {code!r} (a cycle).")
        if len(set(chain)) != len(chain):
            problems.append("The chain names a locale twice (a cycle).")
        if chain[-1] != DEFAULT_LOCALE:
            problems.append("The chain must end in 'en'.")
        if len(chain) > MAX_CHAIN:
            problems.append(f"The chain is longer than {MAX_CHAIN}.")
        for step in chain:
            found = known.get(step)
            if step != code and (found is None or (activating and not found.active)):
                problems.append(f"{step!r} is not a known active locale.")
    if problems:
        errors.setdefault("fallback", []).extend(problems)
    return tuple(chain)


def put(tag: str, changes: Mapping[str, Any]) -> tuple[Locale, bool]:
    """Create or change one locale (LocaleBody's fields; omitted ones keep their value). (locale, created)."""
    code = code_of(tag)
    known = {loc.code: loc for loc in every_locale()}
    before = known.get(code)
    errors: dict[str, list[str]] = {}
    if before is None:
        for name in ("name",) if code == DEFAULT_LOCALE else ("name", "fallback"):
            if name not in changes:
                errors[name] = ["Missing data for required field (a new locale)."]
    name = changes.get("name", before.name if before else None) or code
    native = changes.get("native_name", before.native_name if before else None) or name
    rtl = changes["direction"] == "rtl" if "direction" in changes else bool(before and before.rtl)
    active = changes.get("active", before.active if before else True)
    given = changes["fallback"] if "fallback" in changes else list(before.fallback if before else ())
    chain = _chain(code, list(given), known, activating=active, errors=errors) if "fallback" not in errors else ()
    if not active:
        if code == DEFAULT_LOCALE:
            errors.setdefault("active", []).append("'en' ends every fallback chain: it cannot be deactivated.")
        users = sorted(loc.code for loc in known.values() if loc.active and loc.code != code and code in loc.fallback)
        if users:
            errors.setdefault("active", []).append(
                f"{', '.join(users)} fall(s) back through {code!r}: change or deactivate them first.")
    if errors:
        raise ValidationFailed(errors)
    locale = Locale(code, name, native, rtl=rtl, fallback=chain, active=active)
    repository.save_locale(locale, iso(utcnow()))
    action = "locale.created" if before is None else ("locale.deactivated" if before.active and not active
                                                      else "locale.updated")
    audit.describe(action=action, target=f"locale:{code}", before=before.to_json() if before else None,
                   after=locale.to_json())
    registry.forget()
    return locale, before is None
