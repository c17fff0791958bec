"""Sell currencies (PUT /currencies/{code}, GET /currencies), the second provider (ExchangeRate-API v6),
the combining rule with the ECB and each rate's source, and the FX stub serving both formats."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests
from meridian import audit, events

from tests.lambda_testing import ApiClient, TokenFactory

P = "/api/v1/localization"
DATA = Path(__file__).with_name("data")
KEY = "test-fx-key"


@pytest.fixture
def api(localization):
    return ApiClient(localization.app)


@pytest.fixture
def admin():
    return TokenFactory().header(role="admin")


@pytest.fixture
def two_providers(localization, monkeypatch, aws):
    """Both providers configured as on the stack: the JSON one at the stub, its key in Secrets Manager."""
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="test/fx-json-api-key", SecretString=KEY)["ARN"]
    monkeypatch.setenv("FX_JSON_PROVIDER_URL", localization.stub.exchangerate_api_url)
    monkeypatch.setenv("FX_JSON_API_KEY_SECRET_ARN", arn)
    localization.stub.server.RequestHandlerClass.api_key = KEY
    yield localization
    localization.stub.server.RequestHandlerClass.api_key = None


# ---------------------------------------------------------------------------- the JSON adapter
def test_parses_the_exchangerate_api_v6_format(providers):
    parsed = providers.parse_exchangerate_api((DATA / "exchangerate-api-latest.json").read_bytes())
    assert parsed.source == "exchangerate-api" and parsed.base == "EUR"
    assert parsed.as_of == "2025-11-21T00:00:01.000Z"
    assert parsed.rates["KWD"] == Decimal("0.3534") and parsed.rates["BHD"] == Decimal("0.4329")
    assert "EUR" not in parsed.rates and "XYZ" not in parsed.rates        # the base; an unknown code skipped
    assert "XAU" not in parsed.rates                                        # no minor units: never priced


@pytest.mark.parametrize("body, error", [
    (b'{"result":"error","error-type":"invalid-key"}', "ProviderError"),
    (b'{"result":"success","base_code":"EUR","time_last_update_unix":1,"conversion_rates":{"KWD":"-1"}}',
     "InvalidRates"),
    (b'{"result":"success","base_code":"EUR","conversion_rates":{"KWD":0.35}}', "InvalidRates"),
    (b'{"result":"success","base_code":"ZZZ","time_last_update_unix":1,"conversion_rates":{"KWD":0.35}}',
     "InvalidRates"),
    (b"<html>", "InvalidRates"),
])
def test_bad_json_answers_are_refused(providers, body, error):
    with pytest.raises(getattr(providers, error)):
        providers.parse_exchangerate_api(body)


# ---------------------------------------------------------------------------- the stub, both formats
def test_stub_serves_both_formats_and_checks_the_key(fx_stub):
    fx_stub.server.RequestHandlerClass.api_key = KEY
    try:
        ecb = requests.get(fx_stub.feed_url, timeout=5)
        assert ecb.status_code == 200 and b"<Cube currency='USD'" in ecb.content
        wrong = requests.get(fx_stub.exchangerate_api_url.replace("{key}", "nope"), timeout=5)
        assert wrong.status_code == 403 and wrong.json() == {"result": "error", "error-type": "invalid-key"}
        body = requests.get(fx_stub.exchangerate_api_url.replace("{key}", KEY), timeout=5).json()
        assert body["result"] == "success" and body["base_code"] == "EUR"
        assert {"KWD", "BHD", "SAR", "AED", "OMR", "EGP"} <= set(body["conversion_rates"])
        usd = requests.get(f"{fx_stub.url}/v6/{KEY}/latest/USD", timeout=5).json()
        assert usd["base_code"] == "USD" and usd["conversion_rates"]["USD"] == 1.0
        fx_stub.control(mode="fail", feed="json")
        assert requests.get(fx_stub.exchangerate_api_url.replace("{key}", KEY), timeout=5).status_code == 503
        assert requests.get(fx_stub.feed_url, timeout=5).status_code == 200       # the ECB feed still answers
    finally:
        fx_stub.server.RequestHandlerClass.api_key = None


# ---------------------------------------------------------------------------- combining
def test_ecb_first_the_json_provider_for_the_rest_each_with_its_source(two_providers, api):
    outcome = two_providers.refresh.refresh()
    assert outcome.status == "refreshed", outcome
    assert outcome.providers == {"ecb": "ok", "exchangerate-api": "ok"}
    latest = two_providers.repository.latest()
    assert latest.source == "ecb+exchangerate-api" and latest.base == "EUR"
    assert latest.rates["USD"] == Decimal("1.1512") and latest.source_of("USD") == "ecb"   # not the JSON's 1.1535
    assert latest.source_of("KWD") == "exchangerate-api" and latest.rates["KWD"] == Decimal("0.3534")
    body = api.get(f"{P}/rates", query={"base": "EUR"}).json
    assert body["sources"]["KWD"] == "exchangerate-api" and body["sources"]["JPY"] == "ecb"
    converted = api.get(f"{P}/convert", query={"amount": "10", "from": "USD", "to": "KWD"}).json
    assert converted["source"] == "ecb+exchangerate-api"
    assert converted["amount"]["amount"] == str((10 * Decimal("0.3534") / Decimal("1.1512")).quantize(Decimal("0.001")))


def test_one_provider_failing_keeps_its_rates_and_the_other_refreshes(two_providers):
    two_providers.refresh.refresh()
    first = two_providers.repository.latest()
    two_providers.stub.control(mode="fail", feed="json", json_rates={"KWD": "0.36"}, merge=True)
    two_providers.stub.control(rates={"USD": "1.2"}, merge=True)
    outcome = two_providers.refresh.refresh(attempts=1)
    assert outcome.status == "refreshed" and outcome.providers == {"ecb": "ok", "exchangerate-api": "failed"}
    latest = two_providers.repository.latest()
    assert latest.rates["USD"] == Decimal("1.2")                                    # the ECB refreshed
    assert latest.rates["KWD"] == first.rates["KWD"] and latest.source_of("KWD") == "exchangerate-api"   # kept
    two_providers.stub.control(mode="ok", feed="json")
    two_providers.stub.control(mode="fail", feed="ecb", rates={"USD": "1.3"}, merge=True)
    outcome = two_providers.refresh.refresh(attempts=1)
    assert outcome.providers == {"ecb": "failed", "exchangerate-api": "ok"}
    latest = two_providers.repository.latest()
    assert latest.rates["KWD"] == Decimal("0.36") and latest.rates["USD"] == Decimal("1.2")


def test_a_large_move_refuses_only_that_providers_rates(two_providers):
    two_providers.refresh.refresh()
    two_providers.stub.control(json_rates={"KWD": "0.9"}, merge=True)                 # +150 %: refused
    outcome = two_providers.refresh.refresh()
    assert outcome.providers["exchangerate-api"] == "refused" and "KWD" in outcome.problems
    assert two_providers.repository.latest().rates["KWD"] == Decimal("0.3534")


def test_both_failing_is_a_failed_refresh(two_providers):
    two_providers.refresh.refresh()
    before = two_providers.repository.latest()
    two_providers.stub.control(mode="fail")
    outcome = two_providers.refresh.refresh(attempts=1)
    assert outcome.status == "failed"
    assert two_providers.repository.latest().snapshot_id == before.snapshot_id


def test_a_wrong_api_key_fails_that_provider_without_showing_the_key(two_providers, caplog):
    two_providers.stub.server.RequestHandlerClass.api_key = "another-key"
    outcome = two_providers.refresh.refresh(attempts=1)
    assert outcome.providers == {"ecb": "ok", "exchangerate-api": "failed"}
    assert KEY not in str(outcome.to_json()) and KEY not in caplog.text


# ---------------------------------------------------------------------------- sell currencies
def test_staff_set_sell_currencies_and_rounding(localization, api, admin, monkeypatch):
    localization.refresh.refresh()
    said = []
    monkeypatch.setattr(audit, "describe", lambda **kw: said.append(kw))
    for code, rounding in (("USD", None), ("JPY", {"increment": "10", "mode": "nearest"}), ("chf", None)):
        answer = api.put(f"{P}/currencies/{code}", json={"active": True, "rounding": rounding}, headers=admin)
        assert answer.status == 200, answer.json
    assert answer.json["code"] == "CHF" and answer.json["active"] is True and answer.json["minor_units"] == 2
    assert said[1] == {"action": "localization.currency.set", "target": "JPY", "before": None,
                       "after": {"active": True, "rounding": {"increment": "10", "mode": "nearest"}}}
    items = {c["code"]: c for c in api.get(f"{P}/currencies").json["items"]}
    assert set(items) == {"USD", "JPY", "CHF"}                                       # only the sold ones
    assert items["JPY"]["rounding"] == {"increment": "10", "mode": "nearest"} and items["JPY"]["minor_units"] == 0
    assert items["JPY"]["rate_available"] is True and items["JPY"]["rate_source"] == "ecb"
    every = {c["code"]: c for c in api.get(f"{P}/currencies", query={"all": "true"}).json["items"]}
    assert every["KWD"]["active"] is False and every["XAU"]["minor_units"] is None and len(every) >= 170
    rates = api.get(f"{P}/rates", query={"base": "EUR"}).json
    assert rates["currencies"] == {"CHF": {"minor_units": 2, "rounding": None},
                                   "JPY": {"minor_units": 0, "rounding": {"increment": "10", "mode": "nearest"}},
                                   "USD": {"minor_units": 2, "rounding": None}}
    api.put(f"{P}/currencies/JPY", json={"active": False}, headers=admin)
    assert "JPY" not in api.get(f"{P}/rates", query={"base": "EUR"}).json["currencies"]


@pytest.mark.parametrize("code, body, field", [
    ("XYZ", {"active": True}, "code"),
    ("EURO", {"active": True}, "code"),
    ("XAU", {"active": True}, "code"),                                              # no minor units
    ("USD", {"active": False}, "active"),                                           # the base currency
    ("JPY", {"active": "yes"}, "active"),
    ("JPY", {}, "active"),
    ("JPY", {"active": True, "rounding": {"increment": "0.5", "mode": "nearest"}}, "rounding.increment"),
    ("USD", {"active": True, "rounding": {"increment": "0", "mode": "nearest"}}, "rounding.increment"),
    ("USD", {"active": True, "rounding": {"increment": "1", "mode": "down"}}, "rounding.mode"),
    ("JPY", {"active": True, "rounding": {"ending": "0.99"}}, "rounding.ending"),
])
def test_bad_settings_are_400_naming_the_field_and_change_nothing(localization, api, admin, code, body, field):
    response = api.put(f"{P}/currencies/{code}", json=body, headers=admin)
    assert response.status == 400, response.json
    assert field in response.json["errors"]
    assert localization.repository.currency_settings() == {}


def test_sell_currencies_need_an_admin(localization, api):
    tokens = TokenFactory()
    assert api.put(f"{P}/currencies/JPY", json={"active": True}).status == 401
    assert api.put(f"{P}/currencies/JPY", json={"active": True}, headers=tokens.header(role="customer")).status == 403


def test_an_admins_currency_change_is_an_audited_admin_action(localization, api, admin, monkeypatch):
    sent = []
    monkeypatch.setattr(events, "publish", lambda *event, **kw: sent.append(event))
    assert api.put(f"{P}/currencies/KWD", json={"active": True}, headers=admin).status == 200
    actions = [detail for _source, kind, detail in sent if kind == "admin.action"]
    assert actions and actions[0]["action"] == "localization.currency.set" and actions[0]["target"] == "KWD"
