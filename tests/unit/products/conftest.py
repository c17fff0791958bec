"""Fixtures of the products tests: the ProductsFunction app on moto, tokens, signed service calls."""
from __future__ import annotations

import pytest
from meridian import fx

from tests.lambda_testing import ApiClient, TokenFactory

# EUR-based like the ECB: 1 USD = 150 JPY, 1 USD = 0.925925… EUR
RATES = {"USD": "1.08", "JPY": "162", "GBP": "0.85", "KWD": "0.332"}


@pytest.fixture
def products(load_function):
    """A namespace: the app, an ApiClient, the service's modules, token helpers."""
    fx.use_static(RATES, base="EUR", as_of="2025-01-02T15:00:00.000Z", source="ecb")
    app = load_function("ProductsFunction")
    from products import errors, market_taxes, models, pim, repository, reservations, stock, sweep, views

    market_taxes.use_static({})            # no market shows tax unless a test says so (orders' table)

    tokens = TokenFactory()

    class Loaded:
        pass

    loaded = Loaded()
    loaded.app, loaded.client, loaded.tokens = app, ApiClient(app), tokens
    loaded.models, loaded.pim, loaded.repository, loaded.errors = models, pim, repository, errors
    loaded.reservations, loaded.stock, loaded.sweep, loaded.views = reservations, stock, sweep, views
    loaded.admin = tokens.header(role="admin")
    loaded.customer = tokens.header(role="customer")
    loaded.market_taxes = market_taxes
    yield loaded
    market_taxes.reset()
    fx.reset()
