"""The FX stub over real HTTP: ECB XML, JSON, and the control endpoint."""
import datetime as dt
from decimal import Decimal

import requests
from meridian.money import CURRENCIES

from infra.harness.fx_stub.server import DEFAULT_RATES_FILE, load_rates_file


def test_serves_the_rates_file_as_ecb_xml_dated_by_latest_publication(fx_stub, providers):
    response = requests.get(fx_stub.feed_url, timeout=5)
    assert response.status_code == 200 and "xml" in response.headers["Content-Type"]
    parsed = providers.parse_ecb_xml(response.content)
    # every rate of the file but those ISO 4217 no longer lists (BGN, withdrawn on 2026-01-01)
    assert parsed.rates == {k: Decimal(v) for k, v in load_rates_file(DEFAULT_RATES_FILE).items() if k in CURRENCIES}
    assert dt.datetime.fromisoformat(parsed.as_of.replace("Z", "+00:00")) <= dt.datetime.now(dt.timezone.utc)


def test_json_endpoint_parses_with_the_json_adapter(fx_stub, providers):
    fx_stub.control(rates={"USD": "1.25", "JPY": "160"}, date="2025-11-21")
    parsed = providers.parse_rates_json(requests.get(fx_stub.json_url, timeout=5).content)
    assert parsed.rates == {"USD": Decimal("1.25"), "JPY": Decimal("160")}


def test_control_endpoint_modes_and_reset(fx_stub):
    control = f"{fx_stub.url}/_control"
    assert requests.post(control, json={"mode": "fail"}, timeout=5).json()["mode"] == "fail"
    assert requests.get(fx_stub.feed_url, timeout=5).status_code == 503
    requests.post(control, json={"mode": "garbage"}, timeout=5)
    garbage = requests.get(fx_stub.feed_url, timeout=5)
    assert garbage.status_code == 200 and b"rate='lots'" in garbage.content
    assert requests.post(control, json={"mode": "explode"}, timeout=5).status_code == 400
    assert requests.post(control, json={"rates": {"USD": "abc"}}, timeout=5).status_code == 400
    requests.post(control, json={"mode": "ok", "rates": {"USD": "2"}, "merge": True, "date": "2025-01-02"}, timeout=5)
    state = requests.get(control, timeout=5).json()
    assert state["rates"]["USD"] == "2" and state["rates"]["JPY"] == "181.12" and state["date"] == "2025-01-02"
    requests.post(f"{control}/reset", timeout=5)
    assert requests.get(control, timeout=5).json()["rates"]["USD"] == "1.1512"


def test_hang_is_released_by_switching_mode(fx_stub):
    import threading

    fx_stub.control(mode="hang", hang_seconds=10)
    result = {}

    def fetch():
        result["status"] = requests.get(fx_stub.feed_url, timeout=5).status_code
    worker = threading.Thread(target=fetch)
    worker.start()
    worker.join(0.3)
    assert worker.is_alive()
    fx_stub.control(mode="ok")
    worker.join(3)
    assert result["status"] == 200
