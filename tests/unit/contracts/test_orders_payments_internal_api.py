"""What orders expects of payments' internal intents API, against payments' REAL API.

orders' own code (functions/orders/orders/payments_api.py, with its ServiceClient signing as `orders`)
sends its requests; the PaymentsFunction app answers them in process (its routes, service-auth check,
schemas, table on moto) with the in-process sandbox gateway. The price breakdown orders sends (the figures
of its pricing.breakdown: amounts as strings in the order's currency) is what the payment shows.
"""
from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from meridian.errors import Unprocessable

from tests.lambda_testing import serve_in_process

from ..conftest import API_BASE_URL
from ..payments.conftest import fresh_gateway_breaker, payments, sandbox, template  # noqa: F401 (fixtures)

ORDERS_CODE = Path(__file__).resolve().parents[3] / "functions" / "orders"
BREAKDOWN = {"subtotal": "49.98", "discount_total": "5.00", "shipping_total": "4.90", "tax_total": "7.96",
             "tax_included": True, "taxes": [{"name": "VAT", "rate": "0.19", "amount": "7.96"}],
             "lines": [{"product_id": str(uuid.UUID(int=7)), "sku": None, "name": "Mug", "quantity": 2,
                        "unit_price": "24.99", "line_total": "49.98"}]}


@pytest.fixture
def orders_side(payments, sandbox, monkeypatch):  # noqa: F811 (the fixtures imported above)
    """orders' payments_api module, its client signing as orders, its calls answered by payments' real app
    (whose own calls reach the in-process sandbox gateway)."""
    from meridian.clients import ServiceClient

    monkeypatch.syspath_prepend(str(ORDERS_CODE))
    from orders import payments_api

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(sandbox.url)
        serve_in_process(mock, API_BASE_URL, payments)
        monkeypatch.setattr(payments_api, "_client", ServiceClient("payments", caller="orders"))
        yield payments_api


def test_the_breakdown_orders_sends_is_the_payments(orders_side, sandbox):  # noqa: F811
    order_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
    payment = orders_side.create_intent(order_id=order_id, user_id=user_id, amount=Decimal("49.88"),
                                        currency="EUR", breakdown=BREAKDOWN)
    assert payment["status"] == "pending" and payment["client_secret"] and payment["intent_id"].startswith("pi_")
    shown = payment["breakdown"]
    assert shown["tax_total"] == {"amount": "7.96", "currency": "EUR"} and shown["tax_included"] is True
    assert shown["taxes"] == [{"name": "VAT", "rate": "0.19", "amount": {"amount": "7.96", "currency": "EUR"}}]
    assert [line["line_total"]["amount"] for line in shown["lines"]] == ["49.98"]
    again = orders_side.create_intent(order_id=order_id, user_id=user_id, amount=Decimal("49.88"),
                                      currency="EUR", breakdown=BREAKDOWN)
    assert again["id"] == payment["id"] and len(sandbox.ledger.intents) == 1
    with pytest.raises(orders_side.PaymentRefused):                 # another breakdown for the same order: 409
        orders_side.create_intent(order_id=order_id, user_id=user_id, amount=Decimal("49.88"), currency="EUR",
                                  breakdown={**BREAKDOWN, "discount_total": "0.00", "shipping_total": "0.00",
                                             "subtotal": "49.88"})


def test_a_breakdown_that_does_not_add_up_is_refused_and_older_calls_still_work(orders_side):
    with pytest.raises(Unprocessable) as refused:
        orders_side.create_intent(order_id=str(uuid.uuid4()), user_id="u", amount=Decimal("50.00"), currency="EUR",
                                  breakdown=BREAKDOWN)
    assert refused.value.status == 422
    plain = orders_side.create_intent(order_id=str(uuid.uuid4()), user_id="u", amount=Decimal("50.00"),
                                      currency="EUR")
    assert plain["breakdown"] is None and plain["amount"] == {"amount": "50.00", "currency": "EUR"}


def test_abandon_and_the_open_listing_are_what_orders_reads(orders_side, sandbox):  # noqa: F811
    """reconciliation.abandon_orphans reads `order_id` of each listed item and calls abandon by order id."""
    from meridian.clock import iso

    order_id = str(uuid.uuid4())
    payment = orders_side.create_intent(order_id=order_id, user_id="u", amount=Decimal("50.00"), currency="EUR",
                                        breakdown=None)
    listed = orders_side.open_before("pending", iso())
    assert [(p["order_id"], p["id"]) for p in listed] == [(order_id, payment["id"])]
    assert orders_side.open_before("claimed", iso()) == []
    answer = orders_side.abandon(order_id)
    assert answer["payment"]["id"] == payment["id"] and answer["payment"]["status"] == "canceled"
    assert orders_side.abandon(str(uuid.uuid4()))["payment"] is None
    assert orders_side.open_before("pending", iso()) == []
