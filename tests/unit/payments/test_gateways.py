"""The gateway adapters: sandbox (JSON) and Stripe (the stripe SDK against a stub that answers as Stripe does),
the wire amounts, and the breaker."""
from __future__ import annotations

import importlib
import sys
import time
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


# ------------------------------------------------------------------------------------ wire amounts
def test_minor_units_conversion(gateways):
    assert gateways.to_minor(Decimal("19.99"), "EUR") == 1999
    assert gateways.to_minor(Decimal("1500"), "JPY") == 1500
    assert gateways.to_minor(Decimal("1.230"), "KWD") == 1230
    assert gateways.from_minor(1230, "KWD") == Decimal("1.230")
    assert gateways.from_minor(1999, "EUR") == Decimal("19.99")
    with pytest.raises(ValueError):
        gateways.to_minor(Decimal("1.999"), "EUR")


def test_stripe_currency_special_cases(gateways):
    """https://docs.stripe.com/currencies: ISK is two-decimal on the wire (whole krónur, × 100); three-decimal
    currencies must end in 0 there."""
    assert gateways.to_minor(Decimal("5"), "ISK") == 500
    assert gateways.from_minor(500, "ISK") == Decimal("5") and str(gateways.from_minor(500, "ISK")) == "5"
    assert gateways.from_minor(4050, "ISK") == Decimal("40.50")           # a legacy fractional amount stays exact
    assert gateways.wire_problem(Decimal("1.234"), "KWD") is not None
    assert gateways.wire_problem(Decimal("1.5"), "JPY") is not None
    assert gateways.wire_problem(Decimal("12.270"), "BHD") is None
    with pytest.raises(ValueError):
        gateways.to_minor(Decimal("1.234"), "KWD")


# ------------------------------------------------------------------------------------ Stripe
def test_stripe_create_speaks_stripes_api(stripe, stripe_stub):
    intent = stripe.create_intent(amount=Decimal("19.99"), currency="EUR", idempotency_key="order-1",
                                  metadata={"order_id": "o1", "payment_id": "p1"})
    assert intent.id.startswith("pi_") and intent.client_secret.startswith(f"{intent.id}_secret_")
    assert (intent.amount, intent.currency, intent.status) == (Decimal("19.99"), "EUR", "requires_payment_method")
    assert intent.metadata == {"order_id": "o1", "payment_id": "p1"}
    [sent] = stripe_stub.requests
    assert (sent["method"], sent["path"]) == ("POST", "/v1/payment_intents")
    assert sent["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert "metadata[order_id]=o1" in sent["raw"] and "amount=1999" in sent["raw"]      # form-encoded, not JSON
    assert sent["form"] == {"amount": "1999", "currency": "eur", "metadata": {"order_id": "o1", "payment_id": "p1"},
                            "automatic_payment_methods": {"enabled": "true"}}
    assert sent["headers"]["Idempotency-Key"] == "order-1"
    assert sent["headers"]["Authorization"] == "Bearer sk_test_123"
    assert sent["headers"]["Stripe-Version"]                                # pinned by the SDK
    assert "X-Stripe-Client-Telemetry" not in sent["headers"]


def test_stripe_isk_is_sent_in_hundredths(stripe, stripe_stub):
    intent = stripe.create_intent(amount=Decimal("1500"), currency="ISK", idempotency_key="isk", metadata={})
    assert stripe_stub.requests[-1]["form"]["amount"] == "150000"
    assert (intent.amount, intent.currency) == (Decimal("1500"), "ISK")


def test_stripe_idempotency_replays_and_refuses_other_parameters(gateways, stripe, stripe_stub):
    first = stripe.create_intent(amount=Decimal("5"), currency="USD", idempotency_key="order-7", metadata={})
    again = stripe.create_intent(amount=Decimal("5"), currency="USD", idempotency_key="order-7", metadata={})
    assert again.id == first.id and len(stripe_stub.intents) == 1
    with pytest.raises(gateways.GatewayRejected):
        stripe.create_intent(amount=Decimal("6"), currency="USD", idempotency_key="order-7", metadata={})


def test_stripe_retrieve_cancel_refund(gateways, stripe, stripe_stub):
    intent = stripe.create_intent(amount=Decimal("5"), currency="USD", idempotency_key="k", metadata={})
    assert stripe.retrieve_intent(intent.id).id == intent.id
    assert stripe_stub.requests[-1]["method"] == "GET"
    assert stripe_stub.requests[-1]["path"] == f"/v1/payment_intents/{intent.id}"
    assert stripe.cancel_intent(intent.id).status == "canceled"
    assert stripe_stub.requests[-1]["path"] == f"/v1/payment_intents/{intent.id}/cancel"
    with pytest.raises(gateways.GatewayRejected) as again:               # Stripe refuses a second cancel
        stripe.cancel_intent(intent.id)
    assert again.value.code == "payment_intent_unexpected_state"

    paid = stripe.create_intent(amount=Decimal("5"), currency="USD", idempotency_key="k2", metadata={})
    stripe_stub.succeed(paid.id)
    refund = stripe.refund(intent_id=paid.id, amount=Decimal("2.50"), currency="USD", idempotency_key="r1")
    assert refund.id.startswith("re_") and refund.amount == Decimal("2.50") and refund.status == "succeeded"
    sent = stripe_stub.requests[-1]
    assert (sent["path"], sent["form"]) == ("/v1/refunds", {"payment_intent": paid.id, "amount": "250"})
    assert sent["headers"]["Idempotency-Key"] == "r1"
    with pytest.raises(gateways.GatewayRejected) as too_much:
        stripe.refund(intent_id=paid.id, amount=Decimal("3"), currency="USD", idempotency_key="r2")
    assert too_much.value.code == "amount_too_large" and too_much.value.status == 400


@pytest.mark.parametrize("status,error,code", [
    (400, {"type": "invalid_request_error", "code": "payment_intent_unexpected_state", "message": "nope"},
     "payment_intent_unexpected_state"),
    (404, {"type": "invalid_request_error", "code": "resource_missing", "message": "No such payment_intent: 'pi_x'",
           "param": "intent"}, "resource_missing"),
    (402, {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
           "message": "Your card was declined."}, "card_declined"),
])
def test_stripe_client_errors_are_rejections_with_stripes_code(gateways, stripe, stripe_stub, status, error, code):
    stripe_stub.error = (status, {"error": error})
    with pytest.raises(gateways.GatewayRejected) as rejected:
        stripe.retrieve_intent("pi_x")
    assert (rejected.value.code, rejected.value.status) == (code, status)
    assert str(rejected.value) == error["message"]


@pytest.mark.parametrize("status,error", [
    (500, {"type": "api_error", "message": "Something went wrong on Stripe's end."}),
    (503, {"type": "api_error", "message": "unavailable"}),
    (429, {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}),
    (409, {"type": "idempotency_error", "message": "There is currently another in-progress request using this "
                                                   "Stripe API key and idempotency key."}),
    (401, {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****oops"}),
])
def test_stripe_outages_throttling_and_a_bad_key_are_unavailable(gateways, stripe, stripe_stub, status, error):
    stripe_stub.error = (status, {"error": error})
    with pytest.raises(gateways.GatewayUnavailable):
        stripe.retrieve_intent("pi_x")


def test_stripe_refuses_a_wrong_key_and_we_answer_unavailable(gateways, stripe_stub):
    wrong = gateways.build_adapter("stripe", stripe_stub.url, api_key="sk_test_not_this_one", timeout=1.0)
    with pytest.raises(gateways.GatewayUnavailable, match="API key"):
        wrong.retrieve_intent("pi_x")


def test_stripe_unreachable_or_slow_is_unavailable_within_the_timeout(gateways, stripe, stripe_stub):
    stripe_stub.delay = 5.0
    started = time.monotonic()
    with pytest.raises(gateways.GatewayUnavailable):
        stripe.retrieve_intent("pi_x")
    assert time.monotonic() - started < 4.0                   # the 1 s timeout cut it, no SDK retries
    assert len(stripe_stub.requests) == 1
    stripe_stub.delay = 0
    stripe_stub.stop()
    with pytest.raises(gateways.GatewayUnavailable):
        stripe.retrieve_intent("pi_x")


def test_the_guarded_stripe_adapter_answers_503_with_retry_after(gateways, stripe, stripe_stub):
    from meridian.errors import ServiceUnavailable

    guarded = gateways.GuardedGateway(stripe, fail_max=2, reset_seconds=30)
    stripe_stub.error = (500, {"error": {"type": "api_error", "message": "boom"}})
    for _ in range(2):
        with pytest.raises(ServiceUnavailable):
            guarded.retrieve_intent("pi_x")
    assert guarded.breaker.current_state == "open"
    with pytest.raises(ServiceUnavailable) as still_open:
        guarded.retrieve_intent("pi_x")
    assert still_open.value.retry_after == 30 and len(stripe_stub.requests) == 2


def test_the_stripe_adapter_also_runs_against_the_sandbox(gateways, sandbox):
    """The sandbox takes Stripe's form-encoded requests too: the stripe SDK can drive it."""
    adapter = gateways.build_adapter("stripe", sandbox.url, api_key=sandbox.api_key, timeout=2.0)
    intent = adapter.create_intent(amount=Decimal("12.34"), currency="EUR", idempotency_key="o-9",
                                   metadata={"order_id": "o", "payment_id": "p"})
    assert sandbox.ledger.intents[intent.id]["amount"] == 1234
    assert sandbox.ledger.intents[intent.id]["metadata"] == {"order_id": "o", "payment_id": "p"}
    again = adapter.create_intent(amount=Decimal("12.34"), currency="EUR", idempotency_key="o-9",
                                  metadata={"order_id": "o", "payment_id": "p"})
    assert again.id == intent.id
    sandbox.ledger.confirm_intent(intent.id, {"client_secret": intent.client_secret,
                                              "card_number": "4242424242424242"})
    refund = adapter.refund(intent_id=intent.id, amount=Decimal("2.34"), currency="EUR", idempotency_key="r")
    assert refund.amount == Decimal("2.34") and sandbox.ledger.intents[intent.id]["amount_refunded"] == 234
    with pytest.raises(gateways.GatewayRejected):
        adapter.cancel_intent(intent.id)                                     # succeeded: cannot be cancelled


# ------------------------------------------------------------------------------------ sandbox
def test_sandbox_adapter_round_trip(gateways, sandbox):
    adapter = gateways.build_adapter("sandbox", sandbox.url, api_key=sandbox.api_key)
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

    guarded = gateways.GuardedGateway(gateways.build_adapter("sandbox", sandbox.url, api_key=sandbox.api_key),
                                      fail_max=2, reset_seconds=30)
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
