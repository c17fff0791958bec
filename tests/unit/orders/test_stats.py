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


def test_counts_every_status_and_sums_what_was_paid_per_currency(api, place):
    place("EUR")                                                     # pending: no revenue
    paid_eur = place("EUR", "paid", quantity=2)
    fulfilled_eur = place("EUR", "paid", "fulfilled", quantity=3)
    paid_jpy = place("JPY", "paid")
    refunded_eur = place("EUR", "paid", "refunded", quantity=5)      # paid, then all given back (older order:
    place("GBP", "cancelled")                                        # no refunded_total) · cancelled: no GBP key

    response = api.get(STATS, headers=signed("admin"))

    assert response.status == 200, response.json
    assert response.json["orders_by_status"] == {"pending_payment": 1, "paid": 2, "partially_fulfilled": 0,
                                                 "fulfilled": 1, "partially_refunded": 0, "refunded": 1,
                                                 "cancelled": 1}
    kept = money(paid_eur["total"]) + money(fulfilled_eur["total"])
    gross = kept + money(refunded_eur["total"])
    assert response.json["revenue_breakdown"] == {
        "EUR": {"gross": str(gross), "refunded": refunded_eur["total"]["amount"], "net": str(kept)},
        "JPY": {"gross": paid_jpy["total"]["amount"], "refunded": "0", "net": paid_jpy["total"]["amount"]}}
    assert response.json["revenue"] == {"EUR": str(kept), "JPY": paid_jpy["total"]["amount"]}
    assert all(isinstance(amount, str) for amount in response.json["revenue"].values())
    assert Decimal(response.json["revenue"]["EUR"]) > 0


def test_no_orders_gives_zero_counts_and_no_revenue(api):
    response = api.get(STATS, headers=signed("admin"))
    assert response.status == 200, response.json
    assert response.json == {"orders_by_status": {"pending_payment": 0, "paid": 0, "partially_fulfilled": 0,
                                                  "fulfilled": 0, "partially_refunded": 0, "refunded": 0,
                                                  "cancelled": 0},
                             "revenue": {}, "revenue_breakdown": {}}


def test_a_customer_or_admin_token_is_refused(api, tokens):
    for role in ("customer", "admin"):
        response = api.get(STATS, headers=tokens.header(role=role))
        assert response.status == 401, (role, response.json)


def test_only_the_admin_service_may_call(api):
    assert api.get(STATS, headers=signed("products")).status == 403
    forged = {"X-Service-Authorization": "svc=admin,t=1700000000,v1=" + "0" * 64}
    assert api.get(STATS, headers=forged).status == 401
