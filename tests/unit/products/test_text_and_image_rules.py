"""The plain-text rule and the image URL rule (pure functions)."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from marshmallow import ValidationError

CODE = Path(__file__).resolve().parents[3] / "functions" / "products"


@pytest.fixture
def rules(monkeypatch):
    for name in [n for n in sys.modules if n.split(".")[0] == "products"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(CODE))

    class Rules:
        plain_text = importlib.import_module("products.plain_text")
        image_urls = importlib.import_module("products.image_urls")

    return Rules


@pytest.mark.parametrize("text", ["<b>bold</b>", "</p>", "<!-- x -->", "<?xml?>", "< script>", "Tom &amp; Jerry",
                                  "&#60;b&#62;", "&#x3c;", "a\x00b", "line\nbreak"])
def test_markup_and_control_characters_are_rejected(rules, text):
    with pytest.raises(ValidationError):
        rules.plain_text.clean(text)


@pytest.mark.parametrize("text", ["3 < 5", "I <3 tea", "Salt & pepper", "a > b", "Crème brûlée", "日本語の名前",
                                  "R&D team", "email me: a@b.c"])
def test_plain_text_is_kept_as_typed(rules, text):
    assert rules.plain_text.clean(f"  {text} ") == text


def test_descriptions_may_have_line_breaks(rules):
    assert rules.plain_text.clean("one\r\ntwo\tthree", multiline=True) == "one\ntwo\tthree"
    with pytest.raises(ValidationError):
        rules.plain_text.clean("one\x07two", multiline=True)


@pytest.mark.parametrize("url", [
    "http://cdn.example.com/a.jpg", "ftp://cdn.example.com/a.jpg", "javascript:alert(1)", "https://localhost/a.png",
    "https://127.0.0.1/a.png", "https://10.1.2.3/a.png", "https://192.168.0.1/a.png", "https://169.254.169.254/x",
    "https://[::1]/a.png", "https://[::ffff:127.0.0.1]/a.png", "https://2130706433/a.png", "https://0x7f.1/a.png",
    "https://0177.0.0.1/a.png", "https://100.64.0.1/x", "https://printer.local/x.png", "https://db.internal/x",
    "https://user:pw@cdn.example.com/a.png", "https://intranet/a.png", "https:///a.png", "https://0.0.0.0/x",
    "https://cdn.example.com/a b.png", "https://cdn.example.com/a\tb.png",
])
def test_unsafe_image_urls_are_rejected(rules, url):
    with pytest.raises(ValidationError):
        rules.image_urls.check(url)


@pytest.mark.parametrize("url", ["https://cdn.example.com/a.jpg", "https://images.example.org:8443/p/1.webp?w=200",
                                 "https://8.8.8.8/x.png", "https://[2606:4700::1111]/x.png"])
def test_public_https_image_urls_are_accepted(rules, url):
    assert rules.image_urls.check(url) == url
