"""Provider adapters: the ECB XML (real format) and frankfurter JSON parsers."""
from decimal import Decimal
from pathlib import Path

import pytest
from meridian.money import CURRENCIES

from infra.harness.fx_stub import render_ecb_xml
from infra.harness.fx_stub.server import DEFAULT_RATES_FILE, GARBAGE

DATA = Path(__file__).with_name("data")


def test_parses_the_real_format_daily_file(providers):
    parsed = providers.parse_ecb_xml(DEFAULT_RATES_FILE.read_bytes())
    assert parsed.source == "ecb" and parsed.base == "EUR"
    assert parsed.as_of == "2025-11-21T13:15:00.000Z"     # 14:15 CET
    assert parsed.rates["USD"] == Decimal("1.1512")
    assert parsed.rates["JPY"] == Decimal("181.12")
    assert parsed.rates["IDR"] == Decimal("19246.53")
    # 30 in the file; BGN left ISO 4217's active list when Bulgaria joined the euro (2026-01-01): skipped
    assert len(parsed.rates) == 29 and "BGN" not in parsed.rates
    assert set(parsed.rates) <= set(CURRENCIES)
    assert "EUR" not in parsed.rates


def test_summer_time_publication_and_newest_day_of_a_history_file(providers):
    parsed = providers.parse_ecb_xml((DATA / "eurofxref-hist-3d.xml").read_bytes())
    assert parsed.as_of == "2025-07-03T12:15:00.000Z"      # 14:15 CEST
    assert parsed.rates == {"USD": Decimal("1.1782"), "JPY": Decimal("169.61")}


def test_parses_frankfurter_json_without_floats(providers):
    parsed = providers.parse_rates_json((DATA / "frankfurter-latest.json").read_bytes())
    assert parsed.source == "frankfurter" and parsed.base == "EUR"
    assert parsed.rates["GBP"] == Decimal("0.87935")
    assert parsed.rates["IDR"] == Decimal("19246")
    assert all(isinstance(v, Decimal) for v in parsed.rates.values())


@pytest.mark.parametrize("body", [
    GARBAGE,
    b"",
    b"<html>maintenance</html>",
    render_ecb_xml({"USD": "0"}, "2025-11-21"),
    render_ecb_xml({"USD": "-1.1"}, "2025-11-21"),
    render_ecb_xml({"USD": "1.1", "JPY": "NaN"}, "2025-11-21"),
    render_ecb_xml({"USD": "1e5"}, "2025-11-21"),
    render_ecb_xml({"usd": "1.1"}, "2025-11-21"),
    render_ecb_xml({"USD": "1.1"}, "not-a-date"),
    render_ecb_xml({}, "2025-11-21"),
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
])
def test_garbage_is_refused(providers, body):
    with pytest.raises(providers.InvalidRates):
        providers.parse_ecb_xml(body)


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"base":"EUR"}', b'{"base":"XXX","date":"2025-11-21","rates":{"USD":1.1}}',
    b'{"base":"EUR","date":"2025-11-21","rates":{"USD":-1}}', b'{"base":"EUR","date":"2025-11-21","rates":{}}',
    b'{"amount":100,"base":"EUR","date":"2025-11-21","rates":{"USD":110.2}}',
])
def test_json_garbage_is_refused(providers, body):
    with pytest.raises(providers.InvalidRates):
        providers.parse_rates_json(body)


def test_unknown_currency_codes_are_skipped_not_fatal(providers):
    parsed = providers.parse_ecb_xml(render_ecb_xml({"USD": "1.1", "ZZZ": "3.3"}, "2025-11-21"))
    assert parsed.rates == {"USD": Decimal("1.1")}


def test_from_env_chooses_the_adapter(providers, monkeypatch):
    monkeypatch.setenv("FX_PROVIDER", "frankfurter")
    monkeypatch.setenv("FX_PROVIDER_URL", "http://127.0.0.1:1/latest")
    assert isinstance(providers.from_env(), providers.FrankfurterProvider)
    monkeypatch.setenv("FX_PROVIDER", "carrier-pigeon")
    with pytest.raises(ValueError):
        providers.from_env()
