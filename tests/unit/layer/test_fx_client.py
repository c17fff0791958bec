"""meridian.fx: the rate client other services use (localization mocked over HTTP)."""
import datetime as dt
from decimal import Decimal

import pytest
import requests
import responses
from meridian import fx, resilience
from meridian.clock import iso, utcnow
from meridian.errors import ServiceUnavailable, ValidationFailed

from ..conftest import API_BASE_URL

BASE = API_BASE_URL
RATES_URL = f"{BASE}/api/v1/localization/rates"


def body(as_of=None, confirmed_at=None, usd="1.0823", snapshot_id="snap-1"):
    as_of = as_of or iso()
    return {"base": "EUR", "rates": {"USD": usd, "JPY": "162.37", "KWD": "0.3325", "GBP": "0.8548"},
            "as_of": as_of, "confirmed_at": confirmed_at or as_of, "source": "ecb", "stale": False,
            "snapshot_id": snapshot_id}


@pytest.fixture(autouse=True)
def clean(aws, monkeypatch):
    """The base URL from the SSM parameter (moto), as every function reads it."""
    monkeypatch.setattr(fx, "RETRY_AFTER_FAILURE", 0.0)
    fx.reset()
    resilience.reset_breakers()
    yield
    fx.reset()
    resilience.reset_breakers()


@responses.activate
def test_converts_with_the_latest_snapshot_and_asks_for_eur_base():
    responses.get(RATES_URL, json=body())
    result = fx.convert(Decimal("10.00"), "USD", "JPY")
    assert result.amount.to_json() == {"amount": "1500", "currency": "JPY"}
    assert result.source == "ecb" and result.snapshot_id == "snap-1" and result.stale is False
    assert responses.calls[0].request.params == {"base": "EUR"}
    assert fx.rate("EUR", "USD") == Decimal("1.0823")
    assert result.fx_json()["rate"] == format(fx.rate("USD", "JPY"), "f")


@responses.activate
def test_caches_per_environment_within_ttl(monkeypatch):
    monkeypatch.setenv("FX_CACHE_TTL_SECONDS", "60")
    responses.get(RATES_URL, json=body())
    for _ in range(50):
        fx.convert(Decimal("1"), "USD", "GBP")
    assert len(responses.calls) == 1


@responses.activate
def test_refetches_after_ttl(monkeypatch):
    monkeypatch.setenv("FX_CACHE_TTL_SECONDS", "0")
    responses.get(RATES_URL, json=body(usd="1.0823", snapshot_id="a"))
    assert fx.convert(Decimal("1"), "EUR", "USD").snapshot_id == "a"
    responses.replace(responses.GET, RATES_URL, json=body(usd="1.2", snapshot_id="b"))
    second = fx.convert(Decimal("1"), "EUR", "USD")
    assert second.snapshot_id == "b" and second.amount.amount == Decimal("1.20")


@responses.activate
def test_falls_back_to_last_copy_when_localization_is_down_and_breaker_opens(monkeypatch):
    monkeypatch.setenv("FX_CACHE_TTL_SECONDS", "0")
    old = iso(utcnow() - dt.timedelta(hours=30))
    responses.get(RATES_URL, json=body(as_of=old))
    first = fx.convert(Decimal("10"), "USD", "EUR")
    assert first.stale is True  # computed from the copy's age, not trusted from the wire
    responses.replace(responses.GET, RATES_URL, body=requests.ConnectionError("down"))
    for _ in range(8):
        again = fx.convert(Decimal("10"), "USD", "EUR")
        assert again.amount == first.amount and again.stale is True
    attempts_while_down = len(responses.calls)
    assert resilience.breaker("service:localization").current_state == "open"
    fx.convert(Decimal("10"), "USD", "EUR")
    assert len(responses.calls) == attempts_while_down  # breaker open: not even tried


@responses.activate
def test_no_copy_and_localization_down_is_503_with_retry_after():
    responses.get(RATES_URL, status=503, json={"status": 503}, headers={"Retry-After": "30"})
    with pytest.raises(ServiceUnavailable) as caught:
        fx.convert(Decimal("1"), "USD", "EUR")
    assert caught.value.status == 503 and int(caught.value.headers["Retry-After"]) >= 1


@responses.activate
def test_unknown_and_unquoted_currencies_are_400_naming_them():
    responses.get(RATES_URL, json=body())
    with pytest.raises(ValidationFailed) as caught:
        fx.convert(Decimal("1"), "USD", "XYZ", field="to")
    assert "XYZ" in caught.value.extra["errors"]["to"][0]
    with pytest.raises(ValidationFailed) as caught:
        fx.convert(Decimal("1"), "USD", "SAR")  # ISO 4217, not quoted
    assert "SAR" in caught.value.extra["errors"]["currency"][0]
    with pytest.raises(ValidationFailed):
        fx.rate("US", "EUR")


def test_use_static_needs_no_http():
    fx.use_static({"USD": "1.25"}, base="EUR")
    assert fx.convert(Decimal("12.50"), "usd", "EUR").amount.to_json() == {"amount": "10.00", "currency": "EUR"}
