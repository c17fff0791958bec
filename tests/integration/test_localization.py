"""Localization through the real stack: HTTPS via nginx, the runtime's workers and scheduler,
the FX stub as provider, moto behind. The seed (infra/harness/seeds/20_fx_rates.py) has already run
a first refresh, so rates exist the moment the stack is up.

Provider failures here stay below the refresh breaker's fail_max per worker, and every test
puts the stub back to its rates file.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from meridian import fx, resilience

from infra.localaws.processes import free_ports
from tests.integration.accounts import bearer
from tests.layer_env import layer_reads_stack

L = "/api/v1/localization"


@pytest.fixture
def stub(stack):
    assert stack.fx_stub_url, "the stack runs no FX stub"
    control = f"{stack.fx_stub_url}/_control"
    requests.post(f"{control}/reset", timeout=5).raise_for_status()
    yield control
    requests.post(f"{control}/reset", timeout=5).raise_for_status()


@pytest.fixture(scope="module")
def admin_header(stack):
    password = stack.credentials.get("admin@example.com")
    assert password is not None, "the admin account is not seeded (infra/harness/seeds of the auth service)"
    return bearer(stack, "admin@example.com", password)


def get(stack, path, **params):
    return stack.session().get(f"{stack.base_url}{L}{path}", params=params, timeout=10)


def test_rates_exist_at_start_and_come_from_the_stub(stack):
    response = get(stack, "/rates", base="EUR")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"].split("+")[0] == "ecb" and body["sources"]["USD"] == "ecb" and body["stale"] is False
    assert body["rates"]["USD"] and all(isinstance(v, str) for v in body["rates"].values())


def test_convert_over_https(stack):
    body = get(stack, "/convert", amount="10", **{"from": "USD", "to": "JPY"}).json()
    rates = get(stack, "/rates", base="EUR").json()["rates"]
    expected = (Decimal(10) * Decimal(rates["JPY"]) / Decimal(rates["USD"])).quantize(Decimal(1))
    assert body["amount"] == {"amount": str(expected), "currency": "JPY"}
    assert {"rate", "as_of", "source", "stale"} <= set(body)


def test_bad_input_is_400_problem(stack):
    response = get(stack, "/convert", amount="-1", **{"from": "USD", "to": "QQQ"})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert set(response.json()["errors"]) == {"amount", "to"}


def test_locales_and_currencies(stack):
    locales = {loc["code"]: loc for loc in get(stack, "/locales").json()["items"]}
    assert locales["pt-BR"]["fallback"] == ["pt-BR", "pt", "en"] and locales["ar"]["rtl"] is True
    currencies = {c["code"]: c for c in get(stack, "/currencies", all="true").json()["items"]}
    assert currencies["JPY"]["minor_units"] == 0 and currencies["KWD"]["minor_units"] == 3


def test_the_schedule_fires_through_the_local_runtime(stack, stub):
    sources = [s for s in stack.runtime.scheduler.sources if s.function == "FxRefreshFunction"]
    assert [s.expression for s in sources] == ["rate(1 hour)"]
    before = get(stack, "/rates", base="EUR").json()
    new_usd = str((Decimal(before["rates"]["USD"]) * Decimal("1.01")).quantize(Decimal("0.0001")))
    requests.post(stub, json={"rates": {"USD": new_usd}, "merge": True}, timeout=5).raise_for_status()
    result = stack.runtime.fire_schedule("FxRefreshFunction")
    assert result["status"] == "refreshed", result
    after = get(stack, "/rates", base="EUR").json()
    assert after["rates"]["USD"] == new_usd and after["snapshot_id"] == result["snapshot_id"]


def test_refresh_needs_admin_and_answers_202(stack, stub, admin_header):
    url = f"{stack.base_url}{L}/rates/refresh"
    assert stack.session().post(url, timeout=10).status_code == 401
    response = stack.session().post(url, headers=admin_header, timeout=30)
    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("refreshed", "unchanged")


def test_provider_down_or_garbage_keeps_serving_the_last_snapshot(stack, stub):
    before = get(stack, "/rates", base="EUR").json()
    requests.post(stub, json={"mode": "fail"}, timeout=5).raise_for_status()
    down = stack.runtime.fire_schedule("FxRefreshFunction")
    assert down["status"] in ("failed", "breaker_open"), down
    requests.post(stub, json={"mode": "garbage"}, timeout=5).raise_for_status()
    garbage = stack.runtime.fire_schedule("FxRefreshFunction")
    assert garbage["status"] in ("refused", "breaker_open"), garbage
    still = get(stack, "/rates", base="EUR").json()
    assert still["snapshot_id"] == before["snapshot_id"] and still["rates"] == before["rates"]
    converted = get(stack, "/convert", amount="10", **{"from": "EUR", "to": "USD"})
    assert converted.status_code == 200
    requests.post(f"{stub}/reset", timeout=5).raise_for_status()
    recovered = stack.runtime.fire_schedule("FxRefreshFunction")
    assert recovered["status"] in ("refreshed", "unchanged"), recovered


def test_admin_refresh_with_the_provider_down_answers_202_and_changes_nothing(stack, stub, admin_header):
    url = f"{stack.base_url}{L}/rates/refresh"
    before = get(stack, "/rates", base="EUR").json()
    requests.post(stub, json={"mode": "fail"}, timeout=5).raise_for_status()
    response = stack.session().post(url, headers=admin_header, timeout=30)
    assert response.status_code == 202 and response.json()["status"] in ("failed", "breaker_open")
    assert get(stack, "/rates", base="EUR").json()["snapshot_id"] == before["snapshot_id"]


def test_the_rate_client_reads_the_real_service_and_survives_its_loss(stack, monkeypatch):
    """meridian.fx as products/orders use it: through the gateway's internal port; then with
    localization unreachable (a dead port) it keeps converting with its last copy."""
    monkeypatch.setenv("FX_CACHE_TTL_SECONDS", "0")
    monkeypatch.setattr(fx, "RETRY_AFTER_FAILURE", 0.0)
    fx.reset()
    resilience.reset_breakers()
    try:
        with layer_reads_stack(stack):       # the API's base URL from the stack's SSM parameter
            first = fx.convert(Decimal("19.99"), "USD", "JPY")
        served = get(stack, "/convert", amount="19.99", **{"from": "USD", "to": "JPY"}).json()
        assert first.amount.to_json() == served["amount"] and first.snapshot_id == served["snapshot_id"]
        (dead,) = free_ports(1)
        stack.client("ssm").put_parameter(Name="/integration/dead-api", Value=f"http://127.0.0.1:{dead}/Prod",
                                          Type="String", Overwrite=True)
        with layer_reads_stack(stack, api_base_url_parameter="/integration/dead-api"):
            again = fx.convert(Decimal("19.99"), "USD", "JPY")
        assert again.amount == first.amount and again.snapshot_id == first.snapshot_id
    finally:
        fx.reset()
        resilience.reset_breakers()
