"""E-mails to shoppers: one renderer for every service, HTML and plain text, in the shopper's language.

    from meridian import mail
    email = mail.render("verify_email", to="ada@example.com", locale="ja",
                        values={"link": mail.link(mail.PAGES["verify_email"], token=raw, locale="ja")})
    mail.send(email)                       # SES: Subject, Body.Html and Body.Text, UTF-8

* **Templates** (`mail_templates/<kind>.html` and `.txt`, Jinja2) lay a message out; the HTML ones are
  autoescaped, so every value put into them is escaped (a customer's name cannot open a tag).
* **Strings** are data: `mail_messages/<language>.json`, one catalogue per language, the same keys as
  `en.json` (tests/unit/layer/test_mail.py fails when a language lacks one). A key is looked up along the
  locale's fallback chain (`meridian.locales.fallback_chain`: pt-BR → pt → en), then the locale's
  language, then English, so a locale staff add later is served at once in its nearest language.
* **Money and dates** are formatted for the locale by Babel (CLDR): ja "￥2,500", de "21,90 €", with the
  currency's ISO 4217 minor units (`meridian.money`), not CLDR's own.
* **Direction**: right to left where the locale is (the locale registry's `rtl`, else CLDR's), written as
  `<html dir="rtl" lang="ar">` and right-aligned text.
* **Links** go to the storefront's pages (`PAGES`, routes of web/src/store/App.tsx) on `EMAIL_LINK_BASE_URL`
  (the template's PublicBaseUrl), with `?locale=` so the page opens in the e-mail's language.

Jinja2 and Babel are imported on first use: only the e-mail senders load them, never a catalog cold start.
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from . import aws, locales
from .config import require_env
from .money import UnknownCurrency, minor_units

DEFAULT_LOCALE = "en"
KINDS = ("verify_email", "password_reset", "order_confirmation", "order_shipment", "order_refund")
# the storefront page each link opens (web/src/store/App.tsx routes) and the query parameters it reads
PAGES = {"verify_email": "/verify-email", "password_reset": "/reset-password", "order": "/orders/{order_id}"}

_HERE = Path(__file__).resolve().parent
MESSAGES_DIR = _HERE / "mail_messages"
TEMPLATES_DIR = _HERE / "mail_templates"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    locale: str
    direction: str = "ltr"


# ---------------------------------------------------------------------------- locale
def resolve(locale: str | None) -> str:
    """A locale the registry knows (its exact code), else `en`: an e-mail is always sent."""
    try:
        return locales.match(locale) or DEFAULT_LOCALE
    except Exception:  # noqa: BLE001 - a registry that cannot answer: English, not a lost e-mail
        return DEFAULT_LOCALE


def _chain(locale: str) -> tuple[str, ...]:
    """Where a string is looked up: the locale's fallback chain, its language, English."""
    try:
        chain = list(locales.fallback_chain(locale))
    except Exception:  # noqa: BLE001 - unknown to the registry now (removed, or it cannot answer)
        chain = [locale]
    language = locale.split("-")[0]
    for code in (language, DEFAULT_LOCALE):
        if code not in chain:
            chain.append(code)
    return tuple(chain)


def direction(locale: str) -> str:
    """rtl or ltr: the registry's word for the locale, else CLDR's for its language."""
    try:
        registered = {known.code: known.rtl for known in locales.supported()}
    except Exception:  # noqa: BLE001 - a registry that cannot answer: CLDR decides
        registered = {}
    if locale in registered:
        return "rtl" if registered[locale] else "ltr"
    try:
        return "rtl" if _babel_locale(locale).text_direction == "rtl" else "ltr"
    except Exception:  # noqa: BLE001
        return "ltr"


# ---------------------------------------------------------------------------- strings
@functools.cache
def catalogue(language: str) -> Mapping[str, str]:
    """The strings of one catalogue (`mail_messages/<language>.json`); empty when there is none."""
    path = MESSAGES_DIR / f"{language}.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def languages() -> list[str]:
    """The catalogues there are."""
    return sorted(p.stem for p in MESSAGES_DIR.glob("*.json"))


def message(key: str, locale: str) -> str:
    """The string `key` in the first catalogue along the locale's chain that has it (KeyError if none)."""
    for code in _chain(locale):
        found = catalogue(code).get(key)
        if found is not None:
            return found
    raise KeyError(key)


def text(key: str, locale: str, **values: Any) -> str:
    """A string with its placeholders filled, as plain text (subjects, the text part)."""
    return message(key, locale).format(**values)


# ---------------------------------------------------------------------------- money and dates
@functools.cache
def _babel_locale(locale: str):
    from babel import Locale, UnknownLocaleError

    for candidate in (locale, locale.split("-")[0], DEFAULT_LOCALE):
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(DEFAULT_LOCALE)


def money(amount: Decimal | str | int, currency: str, locale: str) -> str:
    """`amount` in `currency` as the locale writes it, with the currency's ISO 4217 minor units."""
    import copy

    from babel.numbers import format_currency

    where = _babel_locale(locale)
    value = Decimal(str(amount))
    try:
        digits = minor_units(currency)
    except UnknownCurrency:
        return format_currency(value, currency, locale=where)
    pattern = copy.copy(where.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, where, currency=currency, currency_digits=False)


def percent(rate: Decimal | str, locale: str) -> str:
    """A rate (0.19) as the locale writes a percentage ("19 %" in de), every decimal kept (8.875 %)."""
    from babel.numbers import format_percent

    return format_percent(Decimal(str(rate)), locale=_babel_locale(locale), decimal_quantization=False)


def date(when: str | _dt.datetime | None, locale: str) -> str:
    """A date as the locale writes it in full (1 December 2026, 2026年12月1日)."""
    from babel.dates import format_date

    if when is None:
        return ""
    moment = when if isinstance(when, _dt.datetime) else _dt.datetime.fromisoformat(str(when))
    return format_date(moment, format="long", locale=_babel_locale(locale))


# ---------------------------------------------------------------------------- links
def base_url() -> str:
    return (os.environ.get("EMAIL_LINK_BASE_URL") or "https://localhost:8443").rstrip("/")


def link(path: str, **query: str | None) -> str:
    """`path` on the storefront (PublicBaseUrl), with the query parameters given (None ones left out)."""
    pairs = [(name, value) for name, value in query.items() if value is not None]
    return f"{base_url()}{quote(path)}" + (f"?{urlencode(pairs)}" if pairs else "")


# ---------------------------------------------------------------------------- rendering
@functools.cache
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _html_text(locale: str):
    from markupsafe import escape

    def t(key: str, **values: Any):
        # the catalogue's string escaped, and each value escaped as it goes in (Markup.format)
        return escape(message(key, locale)).format(**values)
    return t


def _plain_text(locale: str):
    def t(key: str, **values: Any) -> str:
        return message(key, locale).format(**values)
    return t


def render(kind: str, *, to: str, locale: str | None, values: Mapping[str, Any]) -> Email:
    """The e-mail `kind` for `to` in `locale` (or the nearest language there is), HTML and text.

    `values` are what the kind's templates show (see mail_templates/); strings among them are escaped in
    the HTML part."""
    if kind not in KINDS:
        raise ValueError(f"unknown e-mail kind {kind!r}")
    code = resolve(locale)
    written = direction(code)
    env = _environment()
    subject = text(f"{kind}.subject", code, **values)
    common = {"lang": code, "dir": written, "align": "right" if written == "rtl" else "left",
              "subject": subject, **values}
    html = env.get_template(f"{kind}.html").render(t=_html_text(code), **common)
    plain = env.get_template(f"{kind}.txt").render(t=_plain_text(code), **common)
    return Email(to=to, subject=subject, text=plain, html=html, locale=code, direction=written)


def send(email: Email) -> str:
    """Send through SES (the function's EMAIL_SENDER identity): both parts, UTF-8; SES's message id."""
    response = aws.client("ses").send_email(
        Source=require_env("EMAIL_SENDER"),
        Destination={"ToAddresses": [email.to]},
        Message={"Subject": {"Data": email.subject, "Charset": "UTF-8"},
                 "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"},
                          "Html": {"Data": email.html, "Charset": "UTF-8"}}})
    return response["MessageId"]
