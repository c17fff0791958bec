"""The localization HTTP API (API Gateway proxy events into the Chalice app, moto behind)."""
import datetime as dt
from decimal import Decimal

import pytest
from meridian.clock import utcnow

from tests.lambda_testing import ApiClient, TokenFactory

P = "/api/v1/localization"


@pytest.fixture
def api(localization):
    return ApiClient(localization.app)


@pytest.fixture
def loaded(localization, api):
    localization.refresh.refresh()
    return api


def test_locales_list_has_chains_and_rtl(api):
    body = api.get(f"{P}/locales").json
    by_code = {item["code"]: item for item in body["items"]}
    assert by_code["pt-BR"]["fallback"] == ["pt-BR", "pt", "en"]
    assert by_code["ar"]["rtl"] is True and by_code["de-AT"]["rtl"] is False
    assert {"en", "en-GB", "de", "de-AT", "fr", "es", "pt", "pt-BR", "ja", "ar"} <= set(by_code)
    assert body["next_cursor"] is None


def test_currencies_have_minor_units(loaded):
    items = {c["code"]: c for c in loaded.get(f"{P}/currencies").json["items"]}
    assert items["JPY"]["minor_units"] == 0 and items["USD"]["minor_units"] == 2 and items["EUR"]["minor_units"] == 2
    assert "KWD" not in items                                   # ECB does not quote it: not priceable
    every = {c["code"]: c for c in loaded.get(f"{P}/currencies", query={"all": "true"}).json["items"]}
    assert every["KWD"]["minor_units"] == 3 and every["BHD"]["minor_units"] == 3
    assert every["KWD"]["rate_available"] is False and every["USD"]["rate_available"] is True


def test_rates_default_base_usd(loaded):
    response = loaded.get(f"{P}/rates")
    assert response.status == 200
    body = response.json
    assert body["base"] == "USD" and body["source"] == "ecb" and body["stale"] is False
    assert body["rates"]["EUR"] == format((Decimal(1) / Decimal("1.1512")).quantize(Decimal("1e-18")).normalize(), "f")
    assert all(isinstance(v, str) for v in body["rates"].values())
    assert body["as_of"].endswith("Z")


def test_rates_for_eur_base_are_the_providers_own(loaded):
    body = loaded.get(f"{P}/rates", query={"base": "eur"}).json
    assert body["base"] == "EUR" and body["rates"]["USD"] == "1.1512" and body["rates"]["JPY"] == "181.12"


def test_convert_rounds_to_target_minor_units(loaded):
    body = loaded.get(f"{P}/convert", query={"amount": "10", "from": "USD", "to": "JPY"}).json
    expected = (Decimal(10) * Decimal("181.12") / Decimal("1.1512")).quantize(Decimal(1))
    assert body["amount"] == {"amount": str(expected), "currency": "JPY"}
    assert Decimal(body["rate"]) > 150 and body["source"] == "ecb" and body["stale"] is False and body["as_of"]


def test_convert_marks_stale_after_max_age(localization, api, monkeypatch):
    localization.refresh.refresh(now=utcnow() - dt.timedelta(hours=27))
    localization.stub.control(mode="fail")
    localization.refresh.refresh()
    body = api.get(f"{P}/convert", query={"amount": "10", "from": "USD", "to": "EUR"}).json
    assert body["stale"] is True and body["amount"]["currency"] == "EUR"
    assert api.get(f"{P}/rates").json["stale"] is True
    monkeypatch.setenv("FX_MAX_AGE_HOURS", "48")
    assert api.get(f"{P}/rates").json["stale"] is False


def test_no_snapshot_is_503_with_retry_after(api):
    for path, query in (("/rates", {}), ("/convert", {"amount": "1", "from": "USD", "to": "EUR"})):
        response = api.get(P + path, query=query)
        assert response.status == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) > 0


BAD_CONVERT_INPUT = [
    ({"amount": "10", "from": "XXX", "to": "EUR"}, "from", "XXX"),
    ({"amount": "10", "from": "USD", "to": "ABC"}, "to", "ABC"),
    ({"amount": "ten", "from": "USD", "to": "EUR"}, "amount", "number"),
    ({"amount": "-5", "from": "USD", "to": "EUR"}, "amount", "negative"),
    ({"amount": "1" * 40, "from": "USD", "to": "EUR"}, "amount", "too long"),
    ({"amount": "1e400", "from": "USD", "to": "EUR"}, "amount", "number"),
    ({"amount": "NaN", "from": "USD", "to": "EUR"}, "amount", "number"),
    ({"from": "USD", "to": "EUR"}, "amount", "required"),
    ({"amount": "1", "from": "USD", "to": "KWD"}, "to", "KWD"),      # valid ISO 4217, not quoted
]


def test_bad_convert_input_is_400_naming_the_field(loaded):
    for query, field, words in BAD_CONVERT_INPUT:
        response = loaded.get(f"{P}/convert", query=query)
        assert response.status == 400, query
        assert response.headers["content-type"] == "application/problem+json"
        assert words.lower() in " ".join(response.json["errors"][field]).lower(), (query, response.json)


def test_unknown_base_is_400(loaded):
    response = loaded.get(f"{P}/rates", query={"base": "ZZZ"})
    assert response.status == 400 and "ZZZ" in response.json["errors"]["base"][0]


def test_refresh_requires_admin_and_answers_202(localization, api):
    tokens = TokenFactory()
    assert api.post(f"{P}/rates/refresh").status == 401
    assert api.post(f"{P}/rates/refresh", headers=tokens.header(role="customer")).status == 403
    assert localization.repository.latest() is None
    response = api.post(f"{P}/rates/refresh", headers=tokens.header(role="admin"))
    assert response.status == 202 and response.json["status"] == "refreshed"
    assert localization.repository.latest().snapshot_id == response.json["snapshot_id"]


def test_refresh_with_bad_body_is_400_and_changes_nothing(localization, api):
    tokens = TokenFactory()
    response = api.post(f"{P}/rates/refresh", headers=tokens.header(role="admin"),
                        json={"accept_large_moves": "perhaps"})
    assert response.status == 400 and "accept_large_moves" in response.json["errors"]
    assert localization.repository.latest() is None


def test_refresh_reports_a_refused_snapshot(localization, api):
    tokens = TokenFactory()
    localization.refresh.refresh()
    localization.stub.control(mode="garbage")
    response = api.post(f"{P}/rates/refresh", headers=tokens.header(role="admin"))
    assert response.status == 202 and response.json["status"] == "refused"
