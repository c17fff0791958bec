"""The payments HTTP API: internal intents (orders only), GET (owner/admin), refund (admin) and a gateway outage."""
from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest

from .conftest import internal


def test_internal_intents_need_the_orders_service_signature(api, tokens):
    path = "/api/v1/payments/internal/intents"
    body = {"order_id": str(uuid.uuid4()), "user_id": "u", "amount": "1.00", "currency": "EUR"}
    assert api.post(path, json=body).status == 401
    assert api.post(path, json=body, headers=tokens.header(role="super_admin")).status == 401
    from tests.lambda_testing import service_headers

    other = service_headers("products", "POST", path)
    assert api.post(path, json=body, headers=other).status == 403


def test_an_intent_per_order_at_the_gateway_in_minor_units(create_payment, sandbox):
    order_id = str(uuid.uuid4())
    payment = create_payment(amount="19.99", currency="EUR", order_id=order_id)
    assert payment["status"] == "pending" and payment["intent_id"].startswith("pi_")
    assert payment["client_secret"].startswith(payment["intent_id"])
    intent = sandbox.ledger.intents[payment["intent_id"]]
    assert (intent["amount"], intent["currency"]) == (1999, "eur")
    assert intent["metadata"]["order_id"] == order_id


def test_create_is_idempotent_per_order(api, sandbox):
    path = "/api/v1/payments/internal/intents"
    body = {"order_id": str(uuid.uuid4()), "user_id": "u1", "amount": "1000", "currency": "JPY"}
    first = api.post(path, json=body, headers=internal("POST", path))
    second = api.post(path, json=body, headers=internal("POST", path))
    assert (first.status, second.status) == (201, 200)
    assert first.json["id"] == second.json["id"] and len(sandbox.ledger.intents) == 1
    changed = api.post(path, json={**body, "amount": "999"}, headers=internal("POST", path))
    assert changed.status == 409


def test_bad_amounts_are_400(api):
    path = "/api/v1/payments/internal/intents"
    for amount, currency in ((1.5, "EUR"), ("-1", "EUR"), ("0", "EUR"), ("1.001", "EUR"), ("1.5", "JPY")):
        body = {"order_id": str(uuid.uuid4()), "user_id": "u", "amount": amount, "currency": currency}
        response = api.post(path, json=body, headers=internal("POST", path))
        assert response.status == 400, (amount, currency)
        assert "amount" in response.json["errors"]


def test_owner_and_admin_read_a_payment_others_get_404(api, tokens, create_payment):
    owner = str(uuid.uuid4())
    payment = create_payment(user_id=owner)
    mine = api.get(f"/api/v1/payments/{payment['id']}", headers=tokens.header(owner))
    assert mine.status == 200
    assert {k: mine.json[k] for k in ("id", "order_id", "status", "amount")} == {
        "id": payment["id"], "order_id": payment["order_id"], "status": "pending",
        "amount": {"amount": "25.00", "currency": "EUR"}}
    assert "client_secret" not in mine.json
    assert api.get(f"/api/v1/payments/{payment['id']}", headers=tokens.header(str(uuid.uuid4()))).status == 404
    assert api.get(f"/api/v1/payments/{payment['id']}", headers=tokens.header(role="admin")).status == 200


def _succeed(sandbox, payment):
    intent = sandbox.ledger.intents[payment["intent_id"]]
    sandbox.ledger.confirm_intent(intent["id"], {"client_secret": intent["client_secret"],
                                                 "card_number": "4242424242424242"})
    from payments import repository
    from payments.models import PaymentModel

    stored = repository.get_payment(payment["id"])
    stored.update(actions=[PaymentModel.status.set("succeeded"), PaymentModel.gsi1pk.set("STATUS#succeeded")])


def test_admin_refunds_a_succeeded_payment(api, tokens, create_payment, sandbox):
    payment = create_payment()
    url = f"/api/v1/payments/{payment['id']}/refund"
    assert api.post(url, json={}, headers=tokens.header(role="admin")).status == 409      # not paid yet
    _succeed(sandbox, payment)
    assert api.post(url, json={}, headers=tokens.header(role="customer")).status == 403
    assert api.post(url, json={"amount": "30.00"}, headers=tokens.header(role="admin")).status == 400
    response = api.post(url, json={"amount": "10.00"}, headers=tokens.header(role="admin"))
    assert response.status == 202
    assert response.json["status"] == "refund_pending"
    assert response.json["refund"]["amount"] == {"amount": "10.00", "currency": "EUR"}
    assert sandbox.ledger.intents[payment["intent_id"]]["amount_refunded"] == 1000
    again = api.post(url, json={}, headers=tokens.header(role="admin"))
    assert again.status == 409                                                          # one refund at a time


def test_a_refund_the_gateway_refuses_is_409_and_leaves_the_payment_as_it_was(api, tokens, create_payment):
    from payments import repository
    from payments.models import PaymentModel

    payment = create_payment()          # paid in our records, but the gateway's intent never succeeded
    repository.get_payment(payment["id"]).update(actions=[PaymentModel.status.set("succeeded")])
    response = api.post(f"/api/v1/payments/{payment['id']}/refund", json={}, headers=tokens.header(role="admin"))
    assert response.status == 409, response.json
    assert "refused the refund" in response.json["detail"]
    assert repository.get_payment(payment["id"]).status == "succeeded"


def test_a_replayed_refund_answers_the_first_result_and_moves_nothing(api, tokens, create_payment, sandbox):
    from payments import repository
    from payments.models import PaymentModel

    payment, other = create_payment(), create_payment()
    _succeed(sandbox, payment)
    _succeed(sandbox, other)
    admin = {**tokens.header(role="admin"), "Idempotency-Key": "refund-once"}
    url = f"/api/v1/payments/{payment['id']}/refund"
    first = api.post(url, json={"amount": "10.00"}, headers=admin)
    assert first.status == 202
    # the gateway's webhook came: partly refunded, refundable again
    repository.get_payment(payment["id"]).update(actions=[PaymentModel.status.set("succeeded"),
                                                       PaymentModel.refunded_amount.set(Decimal("10.00"))])
    replay = api.post(url, json={"amount": "10.00"}, headers=admin)
    assert (replay.status, replay.json) == (202, first.json)
    assert repository.get_payment(payment["id"]).status == "succeeded"              # not stuck in refund_pending
    assert sandbox.ledger.intents[payment["intent_id"]]["amount_refunded"] == 1000   # one refund at the gateway
    assert api.post(url, json={"amount": "5.00"}, headers=admin).status == 422            # same key, other amount
    elsewhere = api.post(f"/api/v1/payments/{other['id']}/refund", json={"amount": "10.00"}, headers=admin)
    assert elsewhere.status == 422                                                        # same key, other payment
    assert sandbox.ledger.intents[other["intent_id"]]["amount_refunded"] == 0
    for absurd in ("1e30", 10 ** 30, "1" * 13):
        response = api.post(url, json={"amount": absurd}, headers=tokens.header(role="admin"))
        assert response.status == 400 and "amount" in response.json["errors"], absurd


def test_cancel_a_pending_payment_and_refuse_a_succeeded_one(api, create_payment, sandbox):
    pending, paid = create_payment(), create_payment()
    path = f"/api/v1/payments/internal/payments/{pending['id']}/cancel"
    response = api.post(path, json={}, headers=internal("POST", path))
    assert response.status == 200 and response.json["status"] == "canceled"
    assert sandbox.ledger.intents[pending["intent_id"]]["status"] == "canceled"
    intent = sandbox.ledger.intents[paid["intent_id"]]
    sandbox.ledger.confirm_intent(intent["id"], {"client_secret": intent["client_secret"],
                                                 "card_number": "4242424242424242"})
    path = f"/api/v1/payments/internal/payments/{paid['id']}/cancel"
    assert api.post(path, json={}, headers=internal("POST", path)).status == 409


def gateway_requests(monkeypatch, sandbox) -> list[dict]:
    """Every HTTP request the payments function sends to the sandbox gateway (URL and timeout)."""
    import requests

    seen: list[dict] = []
    real = requests.Session.request

    def recording(self, method, url, *args, **kwargs):
        if str(url).startswith(sandbox.url):
            seen.append({"method": method, "url": url, "timeout": kwargs.get("timeout")})
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    return seen


def test_gateway_down_is_503_fast_and_opens_the_breaker(api, sandbox, monkeypatch):
    sent = gateway_requests(monkeypatch, sandbox)
    sandbox.set_control({"fail": True})
    path = "/api/v1/payments/internal/intents"
    statuses = []
    started = time.monotonic()
    for _ in range(5):
        body = {"order_id": str(uuid.uuid4()), "user_id": "u", "amount": "1.00", "currency": "EUR"}
        response = api.post(path, json=body, headers=internal("POST", path))
        statuses.append(response.status)
        assert int(response.headers["retry-after"]) >= 1
    assert statuses == [503] * 5
    # fast = no retries against a failing gateway, and no call at all once the breaker is open (after
    # fail_max failures): counted, not timed; the bound below only guards against hanging
    from meridian import resilience

    assert len(sent) == resilience.breaker("payment-gateway").fail_max == 3, sent
    assert time.monotonic() - started < 15
    assert resilience.breaker("payment-gateway").current_state == "open"
    sandbox.reset_control()
    body = {"order_id": str(uuid.uuid4()), "user_id": "u", "amount": "1.00", "currency": "EUR"}
    assert api.post(path, json=body, headers=internal("POST", path)).status == 503      # still open: fail fast
    assert len(sent) == 3                                                               # ... without calling it


def test_a_slow_gateway_times_out_within_the_budget(api, sandbox, monkeypatch):
    monkeypatch.setenv("PAYMENT_GATEWAY_TIMEOUT_SECONDS", "0.3")
    sent = gateway_requests(monkeypatch, sandbox)
    sandbox.set_control({"delay_ms": 30000})          # far beyond any budget: only the timeout can end the call
    path = "/api/v1/payments/internal/intents"
    body = {"order_id": str(uuid.uuid4()), "user_id": "u", "amount": "1.00", "currency": "EUR"}
    started = time.monotonic()
    response = api.post(path, json=body, headers=internal("POST", path))
    elapsed = time.monotonic() - started
    assert response.status == 503
    assert [r["timeout"] for r in sent] == [(0.3, 0.3)]          # the configured budget, on the one gateway call
    assert elapsed < 15                                          # cut by it: the gateway would answer after 30 s
    from meridian import resilience

    assert resilience.breaker("payment-gateway").fail_counter == 1     # the timeout counts toward the breaker


def test_list_succeeded_payments_for_reconciliation(api, create_payment, sandbox):
    payment = create_payment()
    _succeed(sandbox, payment)
    path = "/api/v1/payments/internal/payments"
    response = api.get(path, query={"status": "succeeded", "since": "2000-01-01T00:00:00Z"},
                       headers=internal("GET", path))
    assert response.status == 200
    assert [p["id"] for p in response.json["items"]] == [payment["id"]]


def test_cancelling_a_failed_payment_closes_its_intent(api, create_payment, sandbox):
    payment = create_payment()
    intent = sandbox.ledger.intents[payment["intent_id"]]
    from infra.harness.sandbox_gateway.server import ApiError

    with pytest.raises(ApiError):                 # the sandbox answers a decline with a 402 card error
        sandbox.ledger.confirm_intent(intent["id"], {"client_secret": intent["client_secret"],
                                                     "card_number": "4000000000000002"})
    from payments import repository
    from payments.models import PaymentModel

    repository.get_payment(payment["id"]).update(actions=[PaymentModel.status.set("failed")])
    path = f"/api/v1/payments/internal/payments/{payment['id']}/cancel"
    response = api.post(path, json={}, headers=internal("POST", path))
    assert response.status == 200 and response.json["status"] == "canceled"      # no longer an open payment
    assert sandbox.ledger.intents[payment["intent_id"]]["status"] == "canceled"


def abandon(api, order_id: str):
    path = f"/api/v1/payments/internal/orders/{order_id}/abandon"
    return api.post(path, json={}, headers=internal("POST", path))


def open_before(api, status: str, before: str):
    path = "/api/v1/payments/internal/payments"
    return api.get(path, query={"status": status, "before": before}, headers=internal("GET", path))


def test_abandon_cancels_the_orders_payment_once_and_nothing_without_one(api, create_payment, sandbox):
    nothing = abandon(api, str(uuid.uuid4()))
    assert nothing.status == 200 and nothing.json["payment"] is None
    order_id = str(uuid.uuid4())
    payment = create_payment(order_id=order_id)
    first, again = abandon(api, order_id), abandon(api, order_id)
    assert (first.status, again.status) == (200, 200)
    assert first.json["payment"]["id"] == payment["id"] and again.json["payment"]["status"] == "canceled"
    assert sandbox.ledger.intents[payment["intent_id"]]["status"] == "canceled"


def test_abandon_refuses_a_payment_that_succeeded(api, create_payment, sandbox):
    order_id = str(uuid.uuid4())
    payment = create_payment(order_id=order_id)
    _succeed(sandbox, payment)
    assert abandon(api, order_id).status == 409
    from payments import repository

    assert repository.get_payment(payment["id"]).status == "succeeded"


def test_an_intent_the_gateway_made_after_our_timeout_is_found_and_cancelled(api, sandbox, monkeypatch):
    """The gateway answers after payments gave up (503): the claim has no payment, the intent exists anyway.
    Abandon asks the gateway again with the same idempotency key, gets that intent, and cancels it."""
    from meridian.clock import iso

    monkeypatch.setenv("PAYMENT_GATEWAY_TIMEOUT_SECONDS", "0.3")
    sandbox.set_control({"delay_ms": 800})
    order_id = str(uuid.uuid4())
    path = "/api/v1/payments/internal/intents"
    breakdown = {"subtotal": "49.98", "discount_total": "5.00", "shipping_total": "4.90", "tax_total": "7.96",
                 "tax_included": True, "taxes": [{"name": "VAT", "rate": "0.19", "amount": "7.96"}],
                 "lines": [{"product_id": str(uuid.UUID(int=7)), "sku": None, "name": "Mug", "quantity": 2,
                            "unit_price": "24.99", "line_total": "49.98"}]}
    body = {"order_id": order_id, "user_id": "u", "amount": "49.88", "currency": "EUR", "breakdown": breakdown}
    assert api.post(path, json=body, headers=internal("POST", path)).status == 503
    deadline = time.monotonic() + 5
    while not sandbox.ledger.intents and time.monotonic() < deadline:     # the gateway finishes late
        time.sleep(0.05)
    [late] = list(sandbox.ledger.intents.values())
    sandbox.reset_control()
    from meridian import resilience

    resilience.reset_breakers()
    claims = open_before(api, "claimed", iso()).json["items"]
    assert [c["order_id"] for c in claims] == [order_id] and claims[0]["status"] == "claimed"
    assert open_before(api, "claimed", "2000-01-01T00:00:00Z").json["items"] == []    # younger than the cutoff
    answer = abandon(api, order_id)
    assert answer.status == 200 and answer.json["payment"]["intent_id"] == late["id"]
    assert answer.json["payment"]["status"] == "canceled" and late["status"] == "canceled"
    assert len(sandbox.ledger.intents) == 1                               # the same intent, not a second one
    assert late["metadata"]["tax_total"] == "7.96"                        # asked with the very same parameters
    assert open_before(api, "claimed", iso()).json["items"] == []          # the claim has its payment now


def test_open_payments_are_listed_by_status_before_a_cutoff(api, create_payment):
    from meridian.clock import iso

    payment = create_payment()
    assert [p["id"] for p in open_before(api, "pending", iso()).json["items"]] == [payment["id"]]
    assert open_before(api, "pending", "2000-01-01T00:00:00Z").json["items"] == []
    assert open_before(api, "claimed", iso()).json["items"] == []           # its claim has its payment
    bad = open_before(api, "pending", "yesterday")
    assert bad.status == 400 and "before" in bad.json["errors"]


def test_cancelling_a_payment_waiting_for_authentication_closes_its_intent(api, create_payment, sandbox):
    payment = create_payment()
    intent = sandbox.ledger.intents[payment["intent_id"]]
    sandbox.ledger.confirm_intent(intent["id"], {"client_secret": intent["client_secret"],
                                                 "card_number": "4000002760003184", "return_url": "/orders/x"})
    from payments import repository
    from payments.models import PaymentModel

    repository.get_payment(payment["id"]).update(actions=[PaymentModel.status.set("requires_action")])
    path = f"/api/v1/payments/internal/payments/{payment['id']}/cancel"
    response = api.post(path, json={}, headers=internal("POST", path))
    assert response.status == 200 and response.json["status"] == "canceled"
    assert sandbox.ledger.intents[payment["intent_id"]]["status"] == "canceled"
    again = api.post(path, json={}, headers=internal("POST", path))
    assert again.status == 200 and again.json["status"] == "canceled"
