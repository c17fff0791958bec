"""GET /internal/stats: orders by status and revenue per currency, for the admin service only."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from .conftest import money

STATS = "/api/v1/orders/internal/stats"


def signed(caller: str, method: str = "GET", path: str = STATS) -> dict:
    from tests.lambda_testing import service_headers

    return service_headers(caller, method, path)


@pytest.fixture
def product(services):
    return services.products.add("4.10", stock=50)


@pytest.fixture
def place(checkout, product):
    """Place an order in `currency` and move it along `moves`: the order as placed (its total)."""
    from orders import repository
    from orders.state_machine import move

    def placed(currency: str, *moves: str, quantity: int = 1) -> dict:
        response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": quantity}], currency=currency)
        assert response.status == 201, response.json
        for target in moves:
            move(repository.get(response.json["id"]), target, reason="test", actor="test")
        return response.json

    return placed


def test_counts_every_status_and_sums_paid_and_fulfilled_per_currency(api, place):
    place("EUR")                                                     # pending: no revenue
    paid_eur = place("EUR", "paid", quantity=2)
    fulfilled_eur = place("EUR", "paid", "fulfilled", quantity=3)
    paid_jpy = place("JPY", "paid")
    place("EUR", "paid", "refunded", quantity=5)                     # refunded: excluded
    place("GBP", "cancelled")                                        # cancelled: excluded, no GBP key

    response = api.get(STATS, headers=signed("admin"))

    assert response.status == 200, response.json
    assert response.json["orders_by_status"] == {"pending_payment": 1, "paid": 2, "fulfilled": 1,
                                                 "cancelled": 1, "refunded": 1}
    assert response.json["revenue"] == {"EUR": str(money(paid_eur["total"]) + money(fulfilled_eur["total"])),
                                        "JPY": paid_jpy["total"]["amount"]}
    assert all(isinstance(amount, str) for amount in response.json["revenue"].values())
    assert Decimal(response.json["revenue"]["EUR"]) > 0


def test_no_orders_gives_zero_counts_and_no_revenue(api):
    response = api.get(STATS, headers=signed("admin"))
    assert response.status == 200, response.json
    assert response.json == {"orders_by_status": {"pending_payment": 0, "paid": 0, "fulfilled": 0,
                                                  "cancelled": 0, "refunded": 0},
                             "revenue": {}}


def test_a_customer_or_admin_token_is_refused(api, tokens):
    for role in ("customer", "admin"):
        response = api.get(STATS, headers=tokens.header(role=role))
        assert response.status == 401, (role, response.json)


def test_only_the_admin_service_may_call(api):
    assert api.get(STATS, headers=signed("products")).status == 403
    forged = {"X-Service-Authorization": "svc=admin,t=1700000000,v1=" + "0" * 64}
    assert api.get(STATS, headers=forged).status == 401
