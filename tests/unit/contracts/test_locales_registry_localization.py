"""What every service's locale registry (meridian.locales) expects of localization's GET /locales, against
localization's REAL API: the layer's own client reads it (through ServiceClient, answered in process by the
LocalizationFunction app on moto), so a locale an admin adds there is one the registry serves, chain and
direction included, and a retired one is gone."""
from __future__ import annotations

import pytest
import responses
from meridian import locales

from tests.lambda_testing import ApiClient, TokenFactory, serve_in_process

from ..conftest import API_BASE_URL

P = "/api/v1/localization/locales"


@pytest.fixture
def localization(load_function, monkeypatch):
    app = load_function("LocalizationFunction")
    monkeypatch.setenv("LOCALES_CACHE_TTL_SECONDS", "0")      # read again on every use
    locales.reset()                                         # the aws fixture's static list: off
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_in_process(mock, API_BASE_URL, app)
        yield ApiClient(app)
    locales.reset()


def test_registry_reads_the_seeded_locales_then_an_added_one_then_its_retirement(localization):
    assert {loc.code for loc in locales.supported()} == set(locales.LOCALES)
    assert locales.fallback_chain("pt-BR") == ("pt-BR", "pt", "en") and locales.is_rtl("he")
    admin = TokenFactory().header(role="admin")
    added = localization.put(f"{P}/fa-AF", headers=admin,
                             json={"name": "Dari", "native_name": "دری", "direction": "rtl", "fallback": ["en"]})
    assert added.status == 201, added.json
    assert locales.validate("fa-af") == "fa-AF" and locales.is_rtl("fa-AF")
    assert locales.resolve_locale(None, "fa-AF,fa;q=0.9", None) == "fa-AF"
    assert locales.fallback_chain("fa-AF") == ("fa-AF", "en")
    assert localization.put(f"{P}/fa-AF", headers=admin, json={"active": False}).status == 200
    assert locales.match("fa-AF") is None
