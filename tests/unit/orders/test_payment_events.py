"""Payment events from the bus (through SQS) move orders; repeats are harmless; the email goes once."""
from __future__ import annotations

import json
import uuid

import boto3
import pytest

from tests.lambda_testing import LambdaContext


def sqs_event(*bodies: dict) -> dict:
    return {"Records": [{"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": json.dumps(body),
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:unit-orders-events",
                         "awsRegion": "us-east-1"} for body in bodies]}


def bus_event(detail_type: str, order: dict, **detail) -> dict:
    return {"version": "0", "id": str(uuid.uuid4()), "source": "meridian.payments", "detail-type": detail_type,
            "detail": {"order_id": order["id"], "payment_id": order["payment"]["id"], **detail}}


@pytest.fixture
def product(services):
    return services.products.add("4.00", stock=10)


@pytest.fixture
def order(checkout, product):
    response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 2}])
    assert response.status == 201
    return response.json


@pytest.fixture
def on_payment_event(load_function, order):
    return load_function("OrdersEventsFunction")


def email_messages(aws) -> list[dict]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = aws.queue_url("OrderEmailQueue")
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


def status_and_history(order_id: str) -> tuple[str, list[str]]:
    from orders import repository

    return repository.get(order_id).status, [h.status for h in repository.get(order_id).history]


def test_succeeded_marks_paid_commits_stock_and_queues_the_email_once(on_payment_event, order, services, aws):
    event = sqs_event(*[bus_event("payment.succeeded", order)] * 3)       # delivered three times
    result = on_payment_event(event, LambdaContext())
    assert result == {"batchItemFailures": []}
    assert status_and_history(order["id"]) == ("paid", ["pending_payment", "paid"])
    assert services.products.status(order["id"]) == "committed"
    queued = email_messages(aws)
    assert {m["order_id"] for m in queued} == {order["id"]}


def test_a_decline_keeps_the_order_pending_and_the_intent_open(on_payment_event, order, services, product, api,
                                                                tokens):
    assert services.products.stock(product) == 8
    declined = bus_event("payment.failed", order, reason="card_declined", gateway_event_id="evt_1")
    result = on_payment_event(sqs_event(declined, declined), LambdaContext())     # delivered twice: noted once
    assert result == {"batchItemFailures": []}
    status, history = status_and_history(order["id"])
    assert (status, history) == ("pending_payment", ["pending_payment", "pending_payment"])
    from orders import repository

    stored = repository.get(order["id"])
    assert stored.history[-1].reason == "payment failed (card_declined)" and stored.history[-1].actor == "payments"
    assert services.products.stock(product) == 8                         # still held: another card may pay
    assert services.payments.cancels == []                               # the intent stays open
    view = api.get(f"/api/v1/orders/{order['id']}", headers=tokens.header(order["user_id"])).json
    assert view["payment"]["last_error"] == "card_declined"
    assert view["payment"]["expires_at"] == order["expires_at"] and view["payment"]["client_secret"]


def test_a_second_decline_is_noted_again_and_a_good_card_then_pays(on_payment_event, order, services):
    on_payment_event(sqs_event(bus_event("payment.failed", order, reason="card_declined", gateway_event_id="e1")),
                     LambdaContext())
    on_payment_event(sqs_event(bus_event("payment.failed", order, reason="insufficient_funds",
                                         gateway_event_id="e2")), LambdaContext())
    from orders import repository

    assert repository.get(order["id"]).last_payment_error == "insufficient_funds"
    on_payment_event(sqs_event(bus_event("payment.succeeded", order)), LambdaContext())
    assert status_and_history(order["id"]) == ("paid", ["pending_payment", "pending_payment", "pending_payment",
                                                        "paid"])
    assert services.products.status(order["id"]) == "committed"


def test_requires_action_is_a_note(on_payment_event, order):
    on_payment_event(sqs_event(bus_event("payment.requires_action", order, gateway_event_id="e3")), LambdaContext())
    from orders import repository

    stored = repository.get(order["id"])
    assert stored.status == "pending_payment" and stored.history[-1].reason == "authentication required"


def test_a_canceled_intent_cancels_the_pending_order_and_releases_stock(on_payment_event, order, services, product):
    result = on_payment_event(sqs_event(*[bus_event("payment.canceled", order, reason="abandoned")] * 2),
                              LambdaContext())
    assert result == {"batchItemFailures": []}
    assert status_and_history(order["id"]) == ("cancelled", ["pending_payment", "cancelled"])
    assert services.products.stock(product) == 10
    assert services.payments.cancels == []                               # already cancelled at the gateway


def test_the_cancel_of_an_orphaned_payment_is_acknowledged_but_other_events_for_no_order_are_retried(
        on_payment_event, order):
    never_stored = {**order, "id": str(uuid.uuid4())}    # the checkout gave up before storing it
    canceled = sqs_event(bus_event("payment.canceled", never_stored, reason="abandoned"))
    assert on_payment_event(canceled, LambdaContext()) == {"batchItemFailures": []}
    succeeded = sqs_event(bus_event("payment.succeeded", never_stored))
    failures = on_payment_event(succeeded, LambdaContext())["batchItemFailures"]
    assert failures == [{"itemIdentifier": succeeded["Records"][0]["messageId"]}]


def test_refunded_moves_a_paid_order_to_partially_refunded_then_refunded(on_payment_event, order):
    on_payment_event(sqs_event(bus_event("payment.succeeded", order)), LambdaContext())
    part = {"amount": "3.00", "currency": order["total"]["currency"]}
    on_payment_event(sqs_event(bus_event("payment.refunded", order, fully_refunded=False, refunded_amount=part)),
                     LambdaContext())
    assert status_and_history(order["id"]) == ("partially_refunded", ["pending_payment", "paid",
                                                                      "partially_refunded"])
    on_payment_event(sqs_event(bus_event("payment.refunded", order, fully_refunded=True,
                                         refunded_amount=order["total"])), LambdaContext())
    assert status_and_history(order["id"]) == ("refunded", ["pending_payment", "paid", "partially_refunded",
                                                            "refunded"])
    from orders import repository

    assert str(repository.get(order["id"]).refunded_total) == order["total"]["amount"]


def test_a_refund_event_without_its_amount_still_moves_a_fully_refunded_order(on_payment_event, order):
    on_payment_event(sqs_event(bus_event("payment.succeeded", order)), LambdaContext())
    on_payment_event(sqs_event(bus_event("payment.refunded", order, fully_refunded=False)), LambdaContext())
    assert status_and_history(order["id"])[0] == "paid"
    on_payment_event(sqs_event(bus_event("payment.refunded", order, fully_refunded=True)), LambdaContext())
    assert status_and_history(order["id"]) == ("refunded", ["pending_payment", "paid", "refunded"])


def test_paid_after_cancel_is_refunded(on_payment_event, order, services):
    on_payment_event(sqs_event(bus_event("payment.canceled", order, reason="expired")), LambdaContext())
    on_payment_event(sqs_event(bus_event("payment.succeeded", order)), LambdaContext())
    assert status_and_history(order["id"])[0] == "cancelled"
    assert services.payments.refunds == [order["payment"]["id"]]


def test_late_failure_does_not_undo_a_payment(on_payment_event, order):
    on_payment_event(sqs_event(bus_event("payment.succeeded", order)), LambdaContext())
    on_payment_event(sqs_event(bus_event("payment.failed", order, reason="stale")), LambdaContext())
    assert status_and_history(order["id"]) == ("paid", ["pending_payment", "paid"])


def test_an_unknown_order_is_reported_as_a_batch_failure(on_payment_event, order):
    ghost = {"id": str(uuid.uuid4()), "payment": {"id": "p"}}
    event = sqs_event(bus_event("payment.succeeded", order), bus_event("payment.succeeded", ghost))
    result = on_payment_event(event, LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert status_and_history(order["id"])[0] == "paid"


def test_confirmation_email_is_sent_through_ses_once(on_payment_event, order, load_function, aws):
    from meridian import mail
    from moto.ses.models import ses_backends

    on_payment_event(sqs_event(bus_event("payment.succeeded", order)), LambdaContext())
    queued = email_messages(aws)
    send_order_email = load_function("OrderEmailFunction")
    assert send_order_email(sqs_event(*queued, *queued), LambdaContext()) == {"batchItemFailures": []}
    sent = ses_backends["123456789012"]["us-east-1"].sent_messages
    assert len(sent) == 1
    assert sent[0].destinations["ToAddresses"] == ["shopper@example.com"]
    assert order["id"] in sent[0].body                  # an English shopper: the total as en writes it
    assert mail.money(order["total"]["amount"], "EUR", "en") in sent[0].body
