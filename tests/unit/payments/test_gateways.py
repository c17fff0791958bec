"""The gateway adapters: sandbox (JSON) and Stripe (stripe SDK against a Stripe-format stub), and the breaker."""
from __future__ import annotations

import importlib
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from .stripe_stub import StripeStub

CODE = Path(__file__).resolve().parents[3] / "functions" / "payments"


@pytest.fixture
def gateways(monkeypatch):
    for name in [n for n in sys.modules if n.split(".")[0] == "payments"]:
        del sys.modules[name]
    monkeypatch.syspath_prepend(str(CODE))
    from meridian import resilience

    resilience.reset_breakers()
    yield importlib.import_module("payments.gateways")
    for name in [n for n in sys.modules if n.split(".")[0] == "payments"]:
        del sys.modules[name]


@pytest.fixture
def stripe_stub():
    stub = StripeStub()
    yield stub
    stub.stop()


@pytest.fixture
def stripe(gateways, stripe_stub):
    return gateways.build_adapter("stripe", stripe_stub.url, api_key="sk_test_123", timeout=1.0)


def test_minor_units_conversion(gateways):
    assert gateways.to_minor(Decimal("19.99"), "EUR") == 1999
    assert gateways.to_minor(Decimal("1500"), "JPY") == 1500
    assert gateways.to_minor(Decimal("1.234"), "KWD") == 1234
    assert gateways.from_minor(1234, "KWD") == Decimal("1.234")
    with pytest.raises(ValueError):
        gateways.to_minor(Decimal("1.999"), "EUR")


def test_stripe_create_sends_minor_units_metadata_and_the_idempotency_key(stripe, stripe_stub):
    intent = stripe.create_intent(amount=Decimal("19.99"), currency="EUR", idempotency_key="order-1",
                                  metadata={"order_id": "o1"})
    assert intent.id.startswith("pi_") and intent.client_secret.startswith(intent.id)
    assert (intent.amount, intent.currency, intent.status) == (Decimal("19.99"), "EUR", "requires_payment_method")
    [sent] = stripe_stub.requests
    assert sent["path"] == "/v1/payment_intents"
    assert sent["form"]["amount"] == "1999" and sent["form"]["currency"] == "eur"
    assert sent["form"]["metadata"] == {"order_id": "o1"}
    assert sent["headers"]["Idempotency-Key"] == "order-1"
    assert sent["headers"]["Authorization"] == "Bearer sk_test_123"


def test_stripe_retrieve_cancel_refund(stripe, stripe_stub):
    intent = stripe.create_intent(amount=Decimal("5"), currency="USD", idempotency_key="k", metadata={})
    assert stripe.retrieve_intent(intent.id).id == intent.id
    assert stripe.cancel_intent(intent.id).status == "canceled"
    stripe_stub.intents[intent.id]["status"] = "succeeded"
    refund = stripe.refund(intent_id=intent.id, amount=Decimal("2.50"), currency="USD", idempotency_key="r1")
    assert refund.amount == Decimal("2.50") and refund.status == "succeeded"
    assert stripe_stub.requests[-1]["form"] == {"payment_intent": intent.id, "amount": "250"}


def test_stripe_errors_map_to_rejected_or_unavailable(gateways, stripe, stripe_stub):
    stripe_stub.error = (400, {"error": {"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                                         "message": "nope"}})
    with pytest.raises(gateways.GatewayRejected) as rejected:
        stripe.cancel_intent("pi_x")
    assert rejected.value.code == "payment_intent_unexpected_state"
    stripe_stub.error = (500, {"error": {"type": "api_error", "message": "boom"}})
    with pytest.raises(gateways.GatewayUnavailable):
        stripe.retrieve_intent("pi_x")
    stripe_stub.stop()
    with pytest.raises(gateways.GatewayUnavailable):
        stripe.retrieve_intent("pi_x")


def test_sandbox_adapter_round_trip(gateways, sandbox):
    adapter = gateways.build_adapter("sandbox", sandbox.url)
    intent = adapter.create_intent(amount=Decimal("12.34"), currency="EUR", idempotency_key="o-1",
                                   metadata={"order_id": "o"})
    again = adapter.create_intent(amount=Decimal("12.34"), currency="EUR", idempotency_key="o-1",
                                  metadata={"order_id": "o"})
    assert again.id == intent.id and intent.amount == Decimal("12.34")
    assert adapter.retrieve_intent(intent.id).status == "requires_payment_method"
    assert adapter.cancel_intent(intent.id).status == "canceled"
    with pytest.raises(gateways.GatewayRejected):
        adapter.refund(intent_id=intent.id, amount=Decimal("1"), currency="EUR", idempotency_key="r")


def test_the_breaker_opens_after_repeated_outages_and_rejections_do_not_count(gateways, sandbox):
    from meridian.errors import ServiceUnavailable

    guarded = gateways.GuardedGateway(gateways.build_adapter("sandbox", sandbox.url), fail_max=2, reset_seconds=30)
    for _ in range(4):                                   # 404s are the gateway answering: not an outage
        with pytest.raises(gateways.GatewayRejected):
            guarded.retrieve_intent("pi_missing")
    assert guarded.breaker.current_state == "closed"
    sandbox.set_control({"fail": True})
    for _ in range(2):
        with pytest.raises(ServiceUnavailable):
            guarded.retrieve_intent("pi_missing")
    assert guarded.breaker.current_state == "open"
    sandbox.reset_control()
    with pytest.raises(ServiceUnavailable) as still_open:
        guarded.retrieve_intent("pi_missing")
    assert still_open.value.retry_after == 30
