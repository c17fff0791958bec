"""The webhook-event processor: each event applied once, stale events ignored, bus events published."""
from __future__ import annotations

import json

import boto3
import pytest

from tests.lambda_testing import LambdaContext

from .conftest import dumps, gateway_event, refund_event, sqs_records


@pytest.fixture
def payment(create_payment):
    created = create_payment(amount="25.00", currency="EUR")
    return {**created, "minor": 2500}


@pytest.fixture
def process(payment, load_function):
    return load_function("PaymentsEventProcessorFunction")


def bus_events(aws) -> list[dict]:
    """What the orders service would receive (the bus rule targets OrdersEventsQueue)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=aws.queue_url("OrdersEventsQueue"), MaxNumberOfMessages=10,
                                    VisibilityTimeout=60).get("Messages", [])
        if not batch:
            return found
        found += [json.loads(m["Body"]) for m in batch]


def status(payment_id: str) -> str:
    from payments import repository

    return repository.get_payment(payment_id).status


def run(process, *events: dict) -> dict:
    return process(sqs_records(*(dumps(e) for e in events)), LambdaContext())


def test_succeeded_is_applied_and_published(process, payment, aws):
    assert run(process, gateway_event("payment_intent.succeeded", payment)) == {"batchItemFailures": []}
    assert status(payment["id"]) == "succeeded"
    [event] = bus_events(aws)
    assert event["detail-type"] == "payment.succeeded" and event["source"] == "meridian.payments"
    assert event["detail"]["order_id"] == payment["order_id"]
    assert event["detail"]["amount"] == {"amount": "25.00", "currency": "EUR"}


def test_the_same_event_five_times_is_applied_once(process, payment, aws):
    event = gateway_event("payment_intent.succeeded", payment)
    run(process, event, event)
    for _ in range(3):
        run(process, event)
    assert status(payment["id"]) == "succeeded"
    assert len(bus_events(aws)) == 1


def test_succeeded_before_created_still_ends_succeeded(process, payment, aws):
    created = gateway_event("payment_intent.created", payment, status="requires_payment_method")
    run(process, gateway_event("payment_intent.succeeded", payment), created)
    assert status(payment["id"]) == "succeeded"
    assert [e["detail-type"] for e in bus_events(aws)] == ["payment.succeeded"]


def test_an_event_older_than_the_state_is_ignored(process, payment, aws):
    run(process, gateway_event("payment_intent.succeeded", payment),
        gateway_event("payment_intent.payment_failed", payment, status="requires_payment_method",
                      last_payment_error={"code": "card_declined"}))
    assert status(payment["id"]) == "succeeded"
    assert [e["detail-type"] for e in bus_events(aws)] == ["payment.succeeded"]


def test_failure_is_published_with_its_reason(process, payment, aws):
    run(process, gateway_event("payment_intent.payment_failed", payment, status="requires_payment_method",
                               last_payment_error={"code": "card_declined", "decline_code": "insufficient_funds"}))
    assert status(payment["id"]) == "failed"
    [event] = bus_events(aws)
    assert event["detail-type"] == "payment.failed" and event["detail"]["reason"] == "card_declined"


def test_a_paid_retry_after_a_decline_still_counts(process, payment, aws):
    """The shopper's card was declined, then a second card worked: the money was taken, orders must know."""
    run(process, gateway_event("payment_intent.payment_failed", payment, status="requires_payment_method"),
        gateway_event("payment_intent.succeeded", payment))
    assert status(payment["id"]) == "succeeded"
    assert [e["detail-type"] for e in bus_events(aws)] == ["payment.failed", "payment.succeeded"]


def test_refunds_partial_then_full(process, payment, aws):
    run(process, gateway_event("payment_intent.succeeded", payment))
    run(process, refund_event(payment, 2500, 1000))
    from payments import repository

    partially = repository.get_payment(payment["id"])
    assert partially.status == "partially_refunded" and str(partially.refunded_amount) == "10.00"
    run(process, refund_event(payment, 2500, 2500))
    assert status(payment["id"]) == "refunded"
    published = [(e["detail-type"], e["detail"]["fully_refunded"]) for e in bus_events(aws)]
    assert published == [("payment.succeeded", False), ("payment.refunded", False), ("payment.refunded", True)]


def test_an_event_for_an_unknown_intent_fails_its_record(process, payment):
    ghost = {"intent_id": "pi_ghost", "id": payment["id"]}       # even naming a real payment id
    records = sqs_records(dumps(gateway_event("payment_intent.succeeded", ghost)))
    result = process(records, LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": records["Records"][0]["messageId"]}]}


def test_a_lost_publication_is_repaired_by_the_redelivery(process, payment, aws, monkeypatch):
    from meridian import events

    real, calls = events.publish, []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("EventBridge throttled")
        return real(*args, **kwargs)

    monkeypatch.setattr(events, "publish", flaky)
    event = gateway_event("payment_intent.succeeded", payment)
    records = sqs_records(dumps(event))
    assert process(records, LambdaContext())["batchItemFailures"]        # the record comes back
    assert status(payment["id"]) == "succeeded"                          # applied already
    assert run(process, event) == {"batchItemFailures": []}              # redelivery publishes
    assert [e["detail-type"] for e in bus_events(aws)] == ["payment.succeeded"]


def test_a_poison_message_reaches_the_dlq_after_max_receive_count_with_its_error(process, aws):
    """Poll the real FIFO queue like the event source mapping: failures come back, then the last attempt
    hands the message to the DLQ with the reason it failed."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url, dlq = aws.queue_url("PaymentWebhooksQueue"), aws.queue_url("PaymentWebhooksDLQ")
    sqs.send_message(QueueUrl=url, MessageBody="{not json", MessageGroupId="poison", MessageDeduplicationId="p1")
    for _ in range(5):
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                       VisibilityTimeout=0).get("Messages", [])
        if not received:
            break
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                              "eventSource": "aws:sqs", "eventSourceARN": "arn", "awsRegion": "us-east-1"}
                             for m in received]}
        failures = {f["itemIdentifier"] for f in process(event, LambdaContext())["batchItemFailures"]}
        last = int(received[0]["Attributes"]["ApproximateReceiveCount"]) >= 3
        assert failures == (set() if last else {m["MessageId"] for m in received})
        for m in received:
            if m["MessageId"] not in failures:       # done: the event source mapping deletes it
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
    assert [m["Body"] for m in dead] == ["{not json"]
    assert dead[0]["MessageAttributes"]["meridian-last-error"]["StringValue"].startswith("JSONDecodeError: ")


def test_a_crash_after_recording_the_event_is_finished_by_the_redelivery(process, payment, aws, monkeypatch):
    from payments import processor

    real, calls = processor.get_payment, []

    def crash_once(payment_id):
        calls.append(payment_id)
        if len(calls) == 1:
            raise RuntimeError("worker killed")
        return real(payment_id)

    monkeypatch.setattr(processor, "get_payment", crash_once)
    event = gateway_event("payment_intent.succeeded", payment)
    assert process(sqs_records(dumps(event)), LambdaContext())["batchItemFailures"]
    assert status(payment["id"]) == "pending"                            # recorded, not applied
    assert run(process, event) == {"batchItemFailures": []}
    assert status(payment["id"]) == "succeeded"
    assert run(process, event) == {"batchItemFailures": []}              # and a third delivery changes nothing
    assert [e["detail-type"] for e in bus_events(aws)] == ["payment.succeeded"]


# ---------------------------------------------------------------- strong customer authentication, retries, cancel
def published_as(event: dict) -> str | None:
    """The bus event the processor published for a gateway event (its marker, the outbox, says so: the bus rule
    to OrdersEventsQueue carries only the types orders consumes)."""
    from payments import repository

    marker = repository.get_event(event["id"])
    return marker.publish_type if marker is not None and marker.published else None


def test_requires_action_is_applied_and_published(process, payment, aws):
    needs = gateway_event("payment_intent.requires_action", payment, status="requires_action",
                          next_action={"type": "redirect_to_url",
                                       "redirect_to_url": {"url": "https://x/a", "return_url": "/o"}})
    run(process, needs)
    assert status(payment["id"]) == "requires_action"
    assert published_as(needs) == "payment.requires_action"
    succeeded = gateway_event("payment_intent.succeeded", payment)
    run(process, succeeded)
    assert status(payment["id"]) == "succeeded" and published_as(succeeded) == "payment.succeeded"


def test_a_failed_challenge_is_a_failure_with_its_reason_and_another_card_may_follow(process, payment, aws):
    needs = gateway_event("payment_intent.requires_action", payment, status="requires_action")
    failed = gateway_event("payment_intent.payment_failed", payment, status="requires_payment_method",
                           last_payment_error={"type": "invalid_request_error",
                                               "code": "payment_intent_authentication_failure"})
    run(process, needs, failed)
    assert status(payment["id"]) == "failed"
    needed, event = bus_events(aws)
    assert (needed["detail-type"], event["detail-type"]) == ("payment.requires_action", "payment.failed")
    assert event["detail"]["reason"] == "payment_intent_authentication_failure"
    assert event["detail"]["decline_code"] is None
    # a second card declined: failed again, published again with the new reason
    declined = gateway_event("payment_intent.payment_failed", payment, status="requires_payment_method",
                             last_payment_error={"code": "card_declined", "decline_code": "insufficient_funds"})
    run(process, declined)
    [again] = bus_events(aws)
    assert (again["detail"]["reason"], again["detail"]["decline_code"]) == ("card_declined", "insufficient_funds")
    # then a card that demands authentication, then it succeeds
    run(process, gateway_event("payment_intent.requires_action", payment, status="requires_action"),
        gateway_event("payment_intent.succeeded", payment))
    assert status(payment["id"]) == "succeeded"
    assert [e["detail-type"] for e in bus_events(aws)] == ["payment.requires_action", "payment.succeeded"]


def test_requires_action_after_success_is_ignored(process, payment, aws):
    late = gateway_event("payment_intent.requires_action", payment, status="requires_action")
    run(process, gateway_event("payment_intent.succeeded", payment), late)
    assert status(payment["id"]) == "succeeded" and published_as(late) is None


@pytest.mark.parametrize("before", [[], ["payment_intent.payment_failed"], ["payment_intent.requires_action"]])
def test_canceled_is_published_as_payment_canceled(process, payment, aws, before):
    """The intent is gone (not a decline): orders tells the two apart."""
    for kind in before:
        run(process, gateway_event(kind, payment, status="requires_payment_method"))
    canceled = gateway_event("payment_intent.canceled", payment, status="canceled", cancellation_reason="abandoned")
    run(process, canceled)
    assert status(payment["id"]) == "canceled"
    assert published_as(canceled) == "payment.canceled"
    late = gateway_event("payment_intent.succeeded", payment)       # nothing moves a canceled payment again
    run(process, late)
    assert status(payment["id"]) == "canceled" and published_as(late) is None
