import pytest
from meridian import locales
from meridian.errors import ValidationFailed


@pytest.mark.parametrize("code", ["en", "en-GB", "de", "de-AT", "fr", "es", "pt", "pt-BR", "ja", "ar"])
def test_required_locales_are_supported_and_chains_end_in_en(code):
    chain = locales.fallback_chain(code)
    assert chain[0] == code
    assert chain[-1] == "en"
    assert len(set(chain)) == len(chain)


def test_every_chain_ends_in_en_and_only_parents_are_supported():
    for loc in locales.supported():
        chain = locales.fallback_chain(loc.code)
        assert chain[-1] == "en"
        assert all(c in locales.LOCALES for c in chain)


def test_pt_br_chain_and_rtl_flags():
    assert locales.fallback_chain("pt-BR") == ("pt-BR", "pt", "en")
    assert locales.fallback_chain("de-AT") == ("de-AT", "de", "en")
    assert locales.LOCALES["ar"].rtl and locales.LOCALES["he"].rtl
    assert not locales.LOCALES["pt-BR"].rtl
    assert locales.LOCALES["ar"].to_json()["direction"] == "rtl"


def test_query_wins_over_header_and_preference():
    assert locales.resolve_locale("de-AT", "fr;q=1", "ja") == "de-AT"


def test_query_is_case_insensitive_and_accepts_underscore():
    assert locales.resolve_locale("pt_br", None, None) == "pt-BR"
    assert locales.resolve_locale("PT-br", None, None) == "pt-BR"


def test_unsupported_region_falls_back_to_language():
    assert locales.resolve_locale("pt-PT", None, None) == "pt"
    assert locales.resolve_locale("de-DE", None, None) == "de"


@pytest.mark.parametrize("bad", ["xx", "klingon", "12", "en-", "x" * 200])
def test_unknown_query_locale_is_400_naming_it(bad):
    with pytest.raises(ValidationFailed) as caught:
        locales.resolve_locale(bad, "fr", "ja")
    assert caught.value.status == 400
    assert bad in caught.value.extra["errors"]["locale"][0]


def test_accept_language_by_quality_then_position():
    header = "xx-YY;q=1, fr;q=0.5, ja;q=0.8, de"
    assert locales.parse_accept_language(header) == ["xx-YY", "de", "ja", "fr"]
    assert locales.resolve_locale(None, header, "es") == "de"
    assert locales.resolve_locale("", "zz, ja;q=0.9, *;q=0.1", None) == "ja"


def test_accept_language_ignores_zero_quality_and_garbage():
    assert locales.resolve_locale(None, "fr;q=0, ;;;, es;q=abc", "pt-BR") == "pt-BR"


def test_preference_then_default():
    assert locales.resolve_locale(None, None, "ja") == "ja"
    assert locales.resolve_locale(None, None, "tlh") == "en"
    assert locales.resolve_locale(None, None, None) == "en"


def test_pick_walks_the_chain():
    texts = {"en": "Shoe", "pt": "Sapato"}
    assert locales.pick("pt-BR", texts) == ("pt", "Sapato")
    assert locales.pick("de-AT", texts) == ("en", "Shoe")
    assert locales.pick("pt-BR", {}) is None


def test_validate_returns_canonical_code_or_400():
    assert locales.validate("en-gb") == "en-GB"
    with pytest.raises(ValidationFailed):
        locales.validate("pt-PT")
