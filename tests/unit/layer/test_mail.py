"""meridian.mail: every e-mail in every language, escaped, right to left where the locale is, money and dates
as the locale writes them, and links to pages the storefront has (its routes read from web/src/store/App.tsx)."""
from __future__ import annotations

import string
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_currency
from markupsafe import escape
from meridian import locales, mail

from tests import storefront

ROOT = Path(__file__).resolve().parents[3]
NBSP = "\xa0"

MONEY = {"quantity": 2, "unit_price": "10", "line_total": "20"}


def values(kind: str, name: str = "Mug") -> dict:
    """What each kind's templates show (the services fill the same keys: auth/emails.py, orders/emails.py)."""
    link = mail.link("/verify-email", token="tok_" + "x" * 40, locale="en")
    order = {"number": "1a2b3c4d", "order_id": "1a2b3c4d-0000-4000-8000-000000000000", "link": link}
    if kind in ("verify_email", "password_reset"):
        return {"link": link}
    if kind == "order_confirmation":
        return {**order, "date": "1 December 2026", "items": [{"quantity": 2, "name": name, "unit_price": "€10.00",
                                                               "line_total": "€20.00"}],
                "subtotal": "€20.00", "discounts": [{"code": "WELCOME10", "amount": "€2.00"}],
                "shipping": {"method": "Standard", "amount": "€4.90"},
                "taxes": [{"name": "VAT", "rate": "19%", "amount": "€3.19", "included": True}],
                "total": "€22.90", "ship_to": f"{name}, Berlin, DE"}
    if kind == "order_shipment":
        return {**order, "carrier": "DHL", "tracking_number": "JJD01", "tracking_url": "https://track.example/JJD01",
                "parcel": [{"quantity": 2, "name": name}], "to_come": [{"quantity": 1, "name": "Cup"}]}
    return {**order, "amount": "€5.00", "reason": name, "refunded": "€5.00", "total": "€22.90"}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


# ---------------------------------------------------------------------------- catalogues
SEEDED_LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "ja", "ar", "he"]


def test_every_seeded_locale_has_a_catalogue_of_its_language():
    assert set(SEEDED_LANGUAGES) <= set(mail.languages())
    for seeded in locales.supported():
        assert seeded.code.split("-")[0] in mail.languages(), seeded.code


def catalogue_problems(language: str) -> list[str]:
    """What is wrong with a language's catalogue next to English's: missing, extra, empty, other placeholders."""
    english, other = mail.catalogue("en"), mail.catalogue(language)
    problems = [f"lacks {key}" for key in sorted(set(english) - set(other))]
    problems += [f"has {key}, which English does not" for key in sorted(set(other) - set(english))]
    for key, text in english.items():
        if key in other and (placeholders(other[key]) != placeholders(text) or not other[key].strip()):
            problems.append(f"{key}: {other[key]!r} does not fill {sorted(placeholders(text))}")
    return problems


@pytest.mark.parametrize("language", SEEDED_LANGUAGES)
def test_each_catalogue_has_every_string_with_the_same_placeholders(language):
    """Fails when a language lacks a string (or has one English does not know, or drops a placeholder)."""
    assert catalogue_problems(language) == []


def test_a_language_that_lacks_a_string_fails_the_check(monkeypatch):
    """The check above can fail: a catalogue without one key is caught (and the e-mail falls back to English)."""
    original = mail.catalogue
    broken = dict(original("de"))
    del broken["order_refund.reason"]
    broken["order_refund.so_far"] = "Bisher erstattet: {refunded}."
    monkeypatch.setattr(mail, "catalogue", lambda language: broken if language == "de" else original(language))
    assert catalogue_problems("de") == [
        "lacks order_refund.reason",
        "order_refund.so_far: 'Bisher erstattet: {refunded}.' does not fill ['refunded', 'total']"]
    assert mail.message("order_refund.reason", "de") == "Reason: {reason}"


@pytest.mark.parametrize("kind", mail.KINDS)
@pytest.mark.parametrize("language", SEEDED_LANGUAGES)
def test_each_email_renders_in_each_language_with_no_missing_string(kind, language):
    email = mail.render(kind, to="ada@example.com", locale=language, values=values(kind))
    assert email.locale == language and email.subject and email.text.strip() and email.html.strip()
    assert f'lang="{language}"' in email.html
    for key, text in mail.catalogue(language).items():        # every string of the kind is in the HTML part
        if key.startswith(f"{kind}.") and not placeholders(text) and key != f"{kind}.subject":
            assert str(escape(text)) in email.html, (language, key)
    assert mail.message(f"{kind}.heading", language) in email.text
    if language != "en":                                       # translated, the subject too
        assert email.subject != mail.render(kind, to="a@b.c", locale="en", values=values(kind)).subject
    assert "{" not in email.subject and "{" not in email.text  # no placeholder left unfilled


@pytest.mark.parametrize("code", [loc.code for loc in locales.supported()])
def test_every_seeded_locale_renders_along_its_fallback_chain(code):
    email = mail.render("order_confirmation", to="a@b.c", locale=code, values=values("order_confirmation"))
    language = next(c for c in locales.fallback_chain(code) if c in mail.languages())
    assert email.locale == code
    assert email.subject == mail.text("order_confirmation.subject", language, number="1a2b3c4d")


def test_regional_locales_fall_back_along_their_chain_then_english():
    assert mail.message("verify_email.subject", "pt-BR") == mail.catalogue("pt")["verify_email.subject"]
    assert mail.message("verify_email.subject", "de-CH") == mail.catalogue("de")["verify_email.subject"]
    # a locale the registry does not know (yet): its language if there is one, else English
    assert mail.resolve("ko") == "en" and mail.resolve(None) == "en"
    assert mail.message("verify_email.subject", "xx") == mail.catalogue("en")["verify_email.subject"]


# ---------------------------------------------------------------------------- escaping
def test_every_value_put_into_html_is_escaped_and_text_stays_plain():
    evil = '<script>alert("x")</script> & <a href="https://evil.example">'
    for kind in ("order_confirmation", "order_shipment", "order_refund"):
        email = mail.render(kind, to="a@b.c", locale="en", values=values(kind, name=evil))
        assert "<script>" not in email.html and "<a href=\"https://evil" not in email.html, kind
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;a href=" in email.html, kind
        assert evil in email.text, kind


def test_a_link_in_html_is_an_escaped_attribute():
    link = mail.link("/orders/1", token="a&b", locale="ja")
    assert link.endswith("/orders/1?token=a%26b&locale=ja")
    email = mail.render("order_refund", to="a@b.c", locale="en", values={**values("order_refund"), "link": link})
    assert 'href="https://localhost:8443/orders/1?token=a%26b&amp;locale=ja"' in email.html


# ---------------------------------------------------------------------------- direction
@pytest.mark.parametrize("code", ["ar", "he"])
def test_right_to_left_locales(code):
    email = mail.render("order_confirmation", to="a@b.c", locale=code, values=values("order_confirmation"))
    assert email.direction == "rtl"
    assert f'<html lang="{code}" dir="rtl">' in email.html
    assert "text-align:right" in email.html and "text-align:left" in email.html   # amounts on the far side
    assert 'body dir="rtl"' in email.html


def test_left_to_right_locales():
    for code in ("en", "ja", "de", "pt-BR"):
        email = mail.render("verify_email", to="a@b.c", locale=code, values=values("verify_email"))
        assert email.direction == "ltr" and f'<html lang="{code}" dir="ltr">' in email.html
        assert "text-align:right" not in email.html


def test_direction_of_a_locale_the_registry_does_not_know_comes_from_cldr():
    assert mail.direction("fa") == "rtl" and mail.direction("ko") == "ltr"


# ---------------------------------------------------------------------------- money and dates
def test_money_as_each_locale_writes_it():
    assert mail.money(Decimal("2500"), "JPY", "ja") == "￥2,500"
    assert mail.money(Decimal("21.90"), "EUR", "de") == f"21,90{NBSP}€"
    assert mail.money(Decimal("21.9"), "EUR", "fr") == f"21,90{NBSP}€"
    assert mail.money(Decimal("1234.5"), "USD", "en") == "$1,234.50"
    assert mail.money(Decimal("10"), "BRL", "pt-BR") == f"R${NBSP}10,00"
    # Arabic and Hebrew exactly as Babel (CLDR) writes them, right-to-left marks included
    assert mail.money(Decimal("21.90"), "USD", "ar") == format_currency(Decimal("21.90"), "USD", locale="ar")
    assert mail.money(Decimal("89.90"), "ILS", "he") == format_currency(Decimal("89.90"), "ILS", locale="he")


def test_money_has_the_currencys_iso_minor_units():
    assert mail.money("1.234", "KWD", "en").endswith("1.234")      # three decimals
    assert mail.money("2500", "JPY", "en") == "¥2,500"              # none
    assert mail.money("1.5", "IQD", "en").endswith("1.500")         # ISO 4217 says 3 where CLDR says 0


def test_dates_and_rates_as_each_locale_writes_them():
    assert mail.date("2026-12-01T10:00:00Z", "de") == "1. Dezember 2026"
    assert mail.date("2026-12-01T10:00:00Z", "ja") == "2026年12月1日"
    assert mail.date("2026-12-01T10:00:00+00:00", "en") == "December 1, 2026"
    assert mail.percent("0.19", "de") == f"19{NBSP}%"
    assert mail.percent("0.08875", "en") == "8.875%"


def test_jinja2_and_babel_load_only_when_an_email_is_written():
    probe = ("import sys; from meridian import mail; "
             "print(any(m.split('.')[0] in ('jinja2', 'babel') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": str(ROOT / "layers" / "common"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------------------- links to the storefront
@pytest.mark.parametrize(("page", "path"), [("verify_email", "/verify-email"), ("password_reset", "/reset-password"),
                                            ("order", "/orders/1a2b3c4d-0000-4000-8000-000000000000")])
def test_each_link_opens_a_storefront_page_that_reads_its_token(page, path):
    filled = mail.PAGES[page].format(order_id="1a2b3c4d-0000-4000-8000-000000000000")
    assert filled == path
    pattern = storefront.route_of(filled)
    assert pattern is not None, f"{filled} is no route of the storefront (App.tsx): the link would be its 404 page"
    assert storefront.reads_query(pattern, "token"), f"the page of {pattern} does not read ?token="


def test_a_renamed_page_fails_the_link_check():
    assert storefront.route_of("/verify-mail") is None and storefront.route_of("/orders") is None
    assert storefront.route_of("/verify-email") == "/verify-email"


def test_the_storefront_reads_the_links_locale():
    assert 'url.get("locale")' in (storefront.STORE / "main.tsx").read_text(encoding="utf-8")


def test_links_are_on_the_public_base_url(monkeypatch):
    monkeypatch.setenv("EMAIL_LINK_BASE_URL", "https://shop.example.com/")
    assert mail.link("/verify-email", token="abc", locale="ja") == \
        "https://shop.example.com/verify-email?token=abc&locale=ja"
    assert mail.link("/orders/1", token=None, locale="de") == "https://shop.example.com/orders/1?locale=de"
