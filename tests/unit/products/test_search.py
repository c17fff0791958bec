"""Search normalisation and matching (products/search.py): accents, case, stems, prefixes, Japanese substrings;
and through the catalog: name AND description, in the served locale with its fallback chain."""
from __future__ import annotations

import pytest

from .helpers import make_product

LIST = "/api/v1/products"


@pytest.fixture
def search(products):
    from products import search

    return search


@pytest.mark.parametrize(("text", "normalised"), [
    ("Café", "cafe"),
    ("CAFÉ CRÈME", "cafe creme"),
    ("Straße", "strasse"),
    ("Über", "uber"),
    ("ＡＢＣ１２", "abc12"),            # full-width forms
    ("バッグ", "バッグ"),                # kana voicing marks kept (not ハック)
    ("ｷｬﾝﾊﾞｽ", "キャンバス"),           # half-width katakana → the usual ones
    ("قَهْوَة", "قهوة"),                  # Arabic short vowels dropped
])
def test_normalise_folds_accents_case_and_width(search, text, normalised):
    assert search.normalise(text) == normalised


@pytest.mark.parametrize(("query", "locale", "text", "found"), [
    ("Cafe", "fr", "Café moulu", True),              # accent-insensitive
    ("café", "en", "Cafe latte glass", True),
    ("CAFE", "en", "café", True),                    # case-insensitive
    ("bags", "en", "Canvas tote bag", True),         # stem: bags ~ bag
    ("bag", "en", "Two canvas bags", True),
    ("Taschen", "de", "Leinen-Tasche", True),        # German stem
    ("tasche", "de", "Drei Taschen", True),
    ("kett", "en", "Steel kettle", True),            # prefix of a word
    ("wasser", "de", "Wasserkocher aus Stahl", True),
    ("kocher", "de", "Wasserkocher aus Stahl", False),  # no compound splitting (documented limit)
    ("steel kettle", "en", "Steel kettle", True),    # every term must match
    ("steel teapot", "en", "Steel kettle", False),
    ("cafeteras", "es", "Cafetera de acero", True),  # Spanish stem
    ("bolsas", "pt-BR", "Bolsa de lona", True),      # pt-BR stems as pt
    ("キャンバス", "ja", "キャンバス地のトートバッグ", True),   # ja: substring of the normalised text
    ("トート", "ja", "キャンバス地のトートバッグ", True),
    ("ﾄｰﾄ", "ja", "キャンバス地のトートバッグ", True),        # half-width query
    ("ハック", "ja", "キャンバス地のトートバッグ", False),      # voicing marks are kept: ハック is not バッグ
    ("革", "ja", "キャンバス地のトートバッグ", False),
    ("قهوة", "ar", "قَهْوَة عربية", True),          # Arabic without short vowels finds the vowelled text
])
def test_matching_table(search, query, locale, text, found):
    assert search.Query.parse(query).matches(locale, [text]) is found


def test_a_query_of_punctuation_only_is_no_query(search):
    assert not search.Query.parse(" !? ")


def test_catalog_search_covers_descriptions_accents_and_stems(products):
    from tests.unit.products.test_catalog import localize

    tote = make_product(products, name="Canvas tote", description="A roomy bag for the market.", category="bags")
    cafe = make_product(products, name="Café glass", description="Double-walled.", category="kitchen")
    make_product(products, name="Steel kettle", description="Boils fast.", category="kitchen")
    localize(products, tote, "de", "Canvas-Tasche", "Eine geräumige Tasche für den Markt.")
    localize(products, tote, "ja", "キャンバストート", "市場に便利な大きなバッグ。")

    def found(query):
        body = products.client.get(LIST, query=query)
        assert body.status == 200, body.json
        return {item["id"] for item in body.json["items"]}

    assert found({"q": "bags"}) == {tote}                 # a description word, by its stem
    assert found({"q": "cafe"}) == {cafe}                 # unaccented finds accented
    assert found({"q": "CAFÉ"}) == {cafe}
    assert found({"q": "Taschen", "locale": "de"}) == {tote}
    assert found({"q": "geraumige", "locale": "de"}) == {tote}   # umlaut folded
    assert found({"q": "バッグ", "locale": "ja"}) == {tote}      # ja description substring
    # the served locale's fallback chain: de-AT has no text of its own, de's is searched
    assert found({"q": "markt", "locale": "de-AT"}) == {tote}
    # the café glass has no German text: its English text (the chain's end) is searched in de
    assert found({"q": "cafe", "locale": "de"}) == {cafe}
    assert found({"q": "bag", "locale": "de"}) == set()    # de text of the tote does not say bag
