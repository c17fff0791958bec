import pytest
from meridian import locales
from meridian.errors import ValidationFailed


@pytest.fixture(autouse=True)
def seed_locales():
    locales.use_static(locales.SEED)
    yield
    locales.reset()


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
    assert locales.resolve_locale(None, header, None) == "de"
    assert locales.resolve_locale(None, header, "tlh") == "de"       # a preference we do not serve is skipped
    assert locales.resolve_locale("", "zz, ja;q=0.9, *;q=0.1", None) == "ja"


def test_accept_language_ignores_zero_quality_and_garbage():
    assert locales.resolve_locale(None, "fr;q=0, ;;;, es;q=abc", None) == "en"


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


# ---------------------------------------------------------------------------- precedence (issue 16)
@pytest.mark.parametrize("query,accept_language,saved,served", [
    ("de", "fr", "ja", "de"),              # ?locale wins over everything
    (None, "en-US,en;q=0.9", "ja", "ja"),  # the saved locale wins over the browser's Accept-Language
    ("", "en-US", "ja", "ja"),             # an empty ?locale= is no choice
    (None, "fr-CA", None, "fr-CA"),        # Accept-Language when nothing was saved
    (None, "fr-CA", "tlh", "fr-CA"),       # a saved locale we no longer serve is skipped
    (None, None, "pt-br", "pt-BR"),
    (None, None, None, "en"),
    (None, "zz", "", "en"),
])
def test_precedence_query_then_saved_then_accept_language_then_en(query, accept_language, saved, served):
    assert locales.resolve_locale(query, accept_language, saved) == served


def test_shopper_asks_for_the_saved_locale_whenever_there_is_no_query(monkeypatch):
    from meridian import shopper

    asked = []

    def preference(name, authorization):
        asked.append((name, authorization))
        return "ja"

    monkeypatch.setattr(shopper, "preference", preference)
    assert shopper.locale(None, "en-US,en;q=0.9", "Bearer t") == "ja"
    assert shopper.locale("de", "en-US", "Bearer t") == "de"
    assert asked == [("locale", "Bearer t")]          # not asked when ?locale names one


# ---------------------------------------------------------------------------- the registry reads localization
class FakeAnswer:
    def __init__(self, body):
        self.body = body

    def result(self, what, shape=None):
        return self.body


class FakeLocalization:
    """Stands in for ServiceClient("localization"): GET /locales answers `body`, or raises `error`."""

    def __init__(self, body=None, error=None):
        self.body, self.error, self.calls = body, error, 0

    def get(self, path, **kw):
        assert path == "/locales"
        self.calls += 1
        if self.error is not None:
            raise self.error
        return FakeAnswer(self.body)


def listing(*extra):
    return {"items": [loc.to_json() for loc in locales.SEED] + list(extra), "default": "en", "next_cursor": None}


KO = {"code": "ko", "name": "Korean", "native_name": "한국어", "direction": "ltr", "fallback": ["ko", "en"],
      "rtl": False, "active": True}
FR_BE = {"code": "fr-BE", "name": "French (Belgium)", "native_name": "Français (Belgique)", "direction": "ltr",
         "fallback": ["fr-BE", "fr", "en"], "rtl": False, "active": True}


@pytest.fixture
def localization(monkeypatch):
    from meridian.errors import ServiceUnavailable

    locales.reset()
    fake = FakeLocalization(body=listing(KO, FR_BE))
    locales._registry._client = fake
    monkeypatch.setenv("LOCALES_CACHE_TTL_SECONDS", "60")
    fake.unavailable = ServiceUnavailable("down")
    return fake


def test_registry_serves_the_locales_localization_lists(localization):
    assert locales.validate("KO") == "ko" and locales.match("fr-be") == "fr-BE"
    assert locales.fallback_chain("fr-BE") == ("fr-BE", "fr", "en")
    assert locales.pick("fr-BE", {"fr": "Tasse", "en": "Mug"}) == ("fr", "Tasse")
    assert locales.resolve_locale(None, "ko-KR,ko;q=0.9", None) == "ko"
    assert {loc.code for loc in locales.supported()} >= {"ko", "fr-BE", "en", "ja"}
    assert localization.calls == 1                      # cached for LOCALES_CACHE_TTL_SECONDS


def test_registry_reads_again_after_its_ttl(localization, monkeypatch):
    monkeypatch.setenv("LOCALES_CACHE_TTL_SECONDS", "0")
    assert locales.match("ko") == "ko"
    localization.body = listing()                       # an admin deactivated ko
    assert locales.match("ko") is None
    with pytest.raises(ValidationFailed) as caught:
        locales.resolve_locale("ko", None, None)
    assert caught.value.extra["errors"] == {"locale": ["'ko' is not a supported locale"]}
    with pytest.raises(ValidationFailed):
        locales.validate("ko", field="code")
    assert localization.calls >= 2


def test_registry_keeps_its_last_copy_when_localization_fails(localization, monkeypatch):
    monkeypatch.setenv("LOCALES_CACHE_TTL_SECONDS", "0")
    assert locales.validate("ko") == "ko"
    localization.error = localization.unavailable
    assert locales.validate("ko") == "ko"               # the last copy, not the seed
    calls = localization.calls
    assert locales.validate("ko") == "ko" and localization.calls == calls   # no new call before the pause ends


def test_registry_serves_the_seed_when_localization_was_never_reached(localization):
    localization.error = localization.unavailable
    assert {loc.code for loc in locales.supported()} == set(locales.LOCALES)
    assert locales.fallback_chain("pt-BR") == ("pt-BR", "pt", "en")
    with pytest.raises(ValidationFailed):
        locales.validate("ko")
    localization.error, locales._registry.retry_at = None, 0.0     # the pause is over and localization answers
    assert locales.validate("ko") == "ko"


def test_registry_skips_locales_whose_chain_it_cannot_follow(localization):
    broken = {**KO, "code": "ko-KP", "fallback": ["ko-KP", "xx", "en"]}
    localization.body = listing(KO, broken)
    assert locales.match("ko-KP") == "ko"              # the language, since ko-KP itself is unusable
    assert locales.get("ko-KP") is None


def test_a_list_without_en_is_refused_and_the_seed_serves(localization):
    localization.body = {"items": [KO]}
    assert locales.match("ko") is None and locales.match("en") == "en"


def test_canonical_tags():
    assert locales.canonical_tag("fr-be") == "fr-BE"
    assert locales.canonical_tag("zh_hant_tw") == "zh-Hant-TW"
    assert locales.canonical_tag("es-419") == "es-419"
    for bad in ("", "e", "english!", "fr--BE", "x" * 40, "fr-BE-"):
        assert locales.canonical_tag(bad) is None


@pytest.mark.parametrize("padded", [" ", "de ", " de", "de\n"])
def test_a_blank_or_padded_query_locale_is_400(padded):
    with pytest.raises(ValidationFailed):
        locales.resolve_locale(padded, "fr", None)
