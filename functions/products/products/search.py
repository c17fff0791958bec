"""Catalog search (`?q=`): which products a query finds. The one place of the rule; listing.py pages with it.

What is searched: a product's name AND description as the shopper is served them — in the served locale,
or the first locale of its fallback chain that has the product's text (pt-BR → pt → en).

Normalisation (query and text alike, `normalise`): Unicode NFKD, combining marks dropped (é → e, ü → u,
Arabic short vowels dropped; the kana voicing marks ゛゜ are kept, so バ stays バ, not ハ), NFC again, casefold
(Straße → strasse). Full-width forms become their usual ones (ＡＢＣ → abc) through NFKD.

Matching (`Query.matches`): ALL terms must match (AND); no ranking beyond the catalog's own order
(newest first). A term is a word of the query (split on anything not a letter or digit).
* Languages with a stemmer (snowballstemmer: en, de, fr, es, it, pt, nl, sv, da, no, fi, ru, ar, tr, …,
  chosen by the language of the text's locale): a term matches a word of the text when the word starts
  with the term (prefix: "kett" finds "kettle", "wasser" finds "Wasserkocher") or when both have the same
  stem ("bags" finds "bag", "Taschen" finds "Tasche", "cafés" finds "Cafe"). The query is stemmed in the
  language of the text it is matched against.
* Languages written without spaces or without a stemmer here (ja, zh, ko, he, …): a term matches when it
  is a substring of the normalised text ("キャンバス" finds "キャンバス地のトートバッグ").

Limits (README "Listing and search"): it is a filter over one catalog Query, read newest first, of at most
CATALOG_SEARCH_BUDGET entries per request (listing.py), so a request costs the same whatever it finds and a
page may be short; no relevance order, typo tolerance, synonyms, compound splitting (German "kocher" does
not find "Wasserkocher"), or word segmentation for Japanese (substrings only, so short terms find more).
It suits catalogs of a few thousand products; beyond that, a search engine (OpenSearch or Algolia fed from
the table's DynamoDB stream) is the path: products README.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

KEPT_MARKS = frozenset({"\u3099", "\u309a"})      # kana voiced / semi-voiced sound marks
WORD = re.compile(r"\w+")
# stemmers that also strip prefixes (Arabic's definite article ال, Indonesian's me-/ber-, …): a stem need not
# start as its word does
PREFIX_STEMMERS = frozenset({"ar", "fa", "id"})

# language subtag → snowballstemmer algorithm; languages not listed match substrings (ja, zh, ko, he, …)
STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "et": "estonian", "eu": "basque", "fi": "finnish", "fr": "french",
    "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian", "no": "norwegian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish", "fa": "persian",
}


def normalise(text: str) -> str:
    """NFKD, combining marks dropped (kana voicing marks kept), NFC, casefold."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if ch in KEPT_MARKS or not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept).casefold()


def words(text: str) -> list[str]:
    """The normalised words of `text`."""
    return WORD.findall(normalise(text))


def language_of(locale: str) -> str:
    return locale.split("-", 1)[0].lower()


def stems_words(locale: str) -> bool:
    """Whether text in `locale` is matched word by word with stemming (else by substring)."""
    return language_of(locale) in STEMMERS


@functools.cache
def _stemmer(algorithm: str):
    import snowballstemmer  # pure Python, loaded with the first search, not on a cold start

    return snowballstemmer.stemmer(algorithm)


@functools.lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """`word` (normalised) stemmed by `language`'s stemmer; unchanged for a language without one. Cached: a
    catalog's vocabulary is small, and a warm function stems each word once."""
    algorithm = STEMMERS.get(language)
    return _stemmer(algorithm).stemWord(word) if algorithm else word


@dataclass(frozen=True)
class Query:
    """A shopper's `q`, ready to match texts of any locale."""
    raw: str
    terms: tuple[str, ...]

    @classmethod
    def parse(cls, q: str) -> Query:
        return cls(q, tuple(dict.fromkeys(words(q))))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, locale: str, texts: Iterable[str]) -> bool:
        """Whether every term matches `texts` (a product's name, description…) written in `locale`."""
        text = normalise(" ".join(texts))
        if not stems_words(locale):
            return all(term in text for term in self.terms)
        language = language_of(locale)
        vocabulary = set(WORD.findall(text))
        return all(_matches_word(term, language, vocabulary) for term in self.terms)


def _matches_word(term: str, language: str, vocabulary: set[str]) -> bool:
    if any(word.startswith(term) for word in vocabulary):
        return True
    root = stem(term, language)
    # a word's stem starts as the word does (only suffixes go): only words sharing the root's start are stemmed
    head = "" if language in PREFIX_STEMMERS else root[:2]
    return any(word.startswith(head) and stem(word, language) == root for word in vocabulary)
