"""What the catalog (products' market_taxes.py, signing as products) reads of orders' tax table, against
orders' REAL internal API (its route, service-auth check and table on moto)."""
from __future__ import annotations

from pathlib import Path

import pytest
import responses

from tests.lambda_testing import ApiClient, TokenFactory, serve_in_process

from ..conftest import API_BASE_URL

PRODUCTS_CODE = Path(__file__).resolve().parents[3] / "functions" / "products"
DE = {"country": "DE", "name": "VAT", "standard": "0.19", "reduced": "0.07", "included": True}


@pytest.fixture
def products_side(load_function, monkeypatch):
    from meridian.clients import ServiceClient

    orders = load_function("OrdersFunction")
    admin = TokenFactory().header(role="admin")
    assert ApiClient(orders).put("/api/v1/taxes/rates", json=DE, headers=admin).status == 200
    monkeypatch.syspath_prepend(str(PRODUCTS_CODE))
    from products import market_taxes

    market_taxes.reset()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_in_process(mock, API_BASE_URL, orders)
        monkeypatch.setattr(market_taxes, "_client", ServiceClient("orders", caller="products"))
        yield market_taxes, mock
    market_taxes.reset()


def test_the_catalog_reads_a_countrys_rates_as_orders_prices_carts(products_side):
    market_taxes, mock = products_side
    assert market_taxes.for_country("DE") == {"country": "DE", "region": None, "name": "VAT", "standard": "0.19",
                                              "reduced": "0.07", "included": True}
    assert market_taxes.for_country("ZZ") == {"country": None, "region": None, "name": "Tax", "standard": "0",
                                              "reduced": "0", "included": False}
    calls = len(mock.calls)
    market_taxes.for_country("DE")
    assert len(mock.calls) == calls                   # kept for a while: one call per country per minute


def test_only_products_may_ask(products_side, monkeypatch):
    market_taxes, _ = products_side
    from meridian.clients import ServiceClient

    stranger = ServiceClient("orders", caller="payments")
    assert stranger.get("/internal/tax-rates/DE", internal=True).status == 403
