"""Fixtures of the localization tests: the FX stub on a thread, the service's modules."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from infra.harness.fx_stub import FxStub

CODE = Path(__file__).resolve().parents[3] / "functions" / "localization"


def _forget_service_modules() -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in ("localization", "app", "handlers"):
            del sys.modules[name]


@pytest.fixture
def providers(monkeypatch):
    """localization.providers alone (pure parsers: no AWS, no table)."""
    _forget_service_modules()
    monkeypatch.syspath_prepend(str(CODE))
    yield importlib.import_module("localization.providers")
    _forget_service_modules()


@pytest.fixture(scope="session")
def fx_stub_server():
    stub = FxStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def fx_stub(fx_stub_server):
    fx_stub_server.reset()
    yield fx_stub_server
    fx_stub_server.reset()


@pytest.fixture
def localization(load_function, fx_stub, monkeypatch):
    """The LocalizationFunction's app with FX_PROVIDER_URL pointing at the stub; returns a namespace."""
    app = load_function("LocalizationFunction")
    monkeypatch.setenv("FX_PROVIDER_URL", fx_stub.feed_url)
    monkeypatch.setenv("FX_JSON_PROVIDER_URL", "")     # the ECB alone; test_currencies.py adds the JSON provider
    monkeypatch.setenv("FX_FETCH_TIMEOUT_SECONDS", "0.5")
    from localization import providers, refresh, repository

    class Loaded:
        pass

    loaded = Loaded()
    loaded.app, loaded.refresh, loaded.repository = app, refresh, repository
    loaded.providers, loaded.stub = providers, fx_stub
    return loaded
