"""Payment recovery through the real stack (HTTPS via nginx, the sandbox gateway, webhooks, the scheduled
reconciliation): a declined card keeps the order, and another card pays it; a checkout whose payments call
times out answers 503, and once reconciliation has run no live intent is left for it.
"""
from __future__ import annotations

import datetime as _dt
import time

import pytest

from tests.integration.checkout_helpers import (
    admin,
    available,
    checkout,
    confirm,
    get_order,
    new_customer,
    new_product,
    sandbox_control,
    wait_for_status,
    wait_until_settled,
)


@pytest.fixture(scope="module")
def admin_headers(stack):
    assert "admin@example.com" in stack.credentials, "the admin account is not seeded"
    assert stack.sandbox_url, "the stack runs no sandbox payment gateway"
    return admin(stack)


@pytest.fixture
def shopper(stack, admin_headers):
    sandbox_control(stack)
    yield new_customer(stack)
    sandbox_control(stack)


def gateway_intent(stack, intent_id: str) -> dict:
    """The intent as the gateway has it (its API with the secret key, as the payments service calls it)."""
    secrets = stack.client("secretsmanager")
    key = secrets.get_secret_value(SecretId=stack.template.physical_name("PaymentGatewayApiKeySecret"))["SecretString"]
    response = stack.session().get(f"{stack.sandbox_url}/v1/payment_intents/{intent_id}",
                                   headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def claims_of(stack, user_id: str) -> list[dict]:
    """The payments table's claims (one per order payments was asked to pay) of one shopper: an operator's read."""
    dynamodb = stack.client("dynamodb")
    table = stack.template.physical_name("PaymentsTable")
    found, start = [], None
    while True:
        page = dynamodb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        found += [item for item in page["Items"] if item["pk"]["S"].startswith("ORDER#")
                  and item.get("user_id", {}).get("S") == user_id]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def payment_item(stack, payment_id: str) -> dict | None:
    dynamodb = stack.client("dynamodb")
    table = stack.template.physical_name("PaymentsTable")
    return dynamodb.get_item(TableName=table, Key={"pk": {"S": f"PAYMENT#{payment_id}"}, "sk": {"S": "PAYMENT"}},
                             ConsistentRead=True).get("Item")


def test_a_decline_keeps_the_order_and_another_card_pays_it(stack, admin_headers, shopper):
    product = new_product(stack, admin_headers, price="7.00", stock=3)
    order = checkout(stack, shopper["headers"], product, 2).json()
    assert order["payment"]["expires_at"] == order["expires_at"] and order["payment"]["last_error"] is None
    assert confirm(stack, order, "4000000000000002").status_code == 402
    deadline, seen = time.monotonic() + 30, order
    while seen["payment"]["last_error"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = get_order(stack, shopper["headers"], order["id"]).json()
    assert seen["status"] == "pending_payment" and seen["payment"]["last_error"] == "card_declined"
    assert seen["history"][-1]["reason"] == "payment failed (card_declined)"
    assert seen["payment"]["client_secret"] == order["payment"]["client_secret"]     # the same intent, still open
    assert available(stack, admin_headers, product) == 1                            # still held for the order
    assert confirm(stack, order, "4242424242424242").status_code == 200             # another card, same intent
    paid = wait_for_status(stack, shopper["headers"], order["id"], "paid")
    assert [h["status"] for h in paid["history"]] == ["pending_payment", "pending_payment", "paid"]
    assert available(stack, admin_headers, product) == 1


def test_zz_a_checkout_whose_payments_call_times_out_leaves_no_live_intent(stack, admin_headers, shopper):
    """The gateway answers after payments stopped waiting for it (its timeout, 1.5 s): the checkout answers 503,
    but the gateway made the intent anyway. Reconciliation finds the claim without an order and cancels it."""
    from meridian.clock import iso

    gateway_timeout = float(stack.template.function("PaymentsFunction").environment["PAYMENT_GATEWAY_TIMEOUT_SECONDS"])
    product = new_product(stack, admin_headers, stock=2)
    sandbox_control(stack, delay_ms=int(gateway_timeout * 1000) + 1000)
    response = checkout(stack, shopper["headers"], product, 1)
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) >= 1
    time.sleep(gateway_timeout + 1.5)                  # the slow gateway finishes what it was asked
    sandbox_control(stack)
    assert available(stack, admin_headers, product) == 2
    orders = stack.session().get(f"{stack.base_url}/api/v1/orders", headers=shopper["headers"], timeout=20).json()
    assert orders["items"] == []
    [claim] = claims_of(stack, shopper["user_id"])
    payment_id = claim["payment_id"]["S"]
    # the scheduled run, as EventBridge sends it, at a time past the payment window and the grace
    later = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(minutes=45)
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": iso(later)}
    deadline, fixed = time.monotonic() + 60, 0
    while time.monotonic() < deadline:                 # payments' gateway breaker may still be open for a while
        report = stack.invoke("OrdersReconciliationFunction", event)
        fixed += report["orphan_intents_cancelled"]
        if payment_item(stack, payment_id) is not None and payment_item(stack, payment_id)["status"]["S"] \
                == "canceled":
            break
        time.sleep(2)
    assert fixed >= 1, report
    payment = payment_item(stack, payment_id)
    assert payment["status"]["S"] == "canceled"
    intent = gateway_intent(stack, payment["intent_id"]["S"])
    assert intent["status"] == "canceled" and intent["metadata"]["payment_id"] == payment_id
    assert stack.invoke("OrdersReconciliationFunction", event)["orphan_intents_cancelled"] == 0   # nothing left
    # orders takes the payment's payment.canceled for an order it never stored as done: no retries, no dead letter
    wait_until_settled(stack)
