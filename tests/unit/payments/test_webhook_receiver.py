"""The function-URL receiver: verified events go to the FIFO queue (group = intent, dedup = event id); else 400."""
from __future__ import annotations

import json
import time

import boto3
import pytest
from meridian.testing import LambdaContext

from .conftest import dumps, function_url_event, webhook_secret


@pytest.fixture
def receive(load_function):
    return load_function("PaymentsWebhookFunction")


@pytest.fixture
def secret(aws):
    return webhook_secret(aws)


def queued(aws) -> list[dict]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=aws.queue_url("PaymentWebhooksQueue"), MaxNumberOfMessages=10,
                                   AttributeNames=["All"]).get("Messages", [])
    return messages


def signed(secret: str, body: bytes, t: int | None = None) -> dict:
    from payments.signature import sign

    return {"Payment-Signature": sign(secret, body, timestamp=t)}


EVENT = {"id": "evt_123", "object": "event", "type": "payment_intent.succeeded", "created": 1,
         "data": {"object": {"id": "pi_abc", "object": "payment_intent", "amount": 100, "currency": "eur"}}}


def test_a_signed_event_is_queued_by_intent_and_event_id(receive, secret, aws):
    body = dumps(EVENT).encode()
    response = receive(function_url_event(body, signed(secret, body)), LambdaContext())
    assert response["statusCode"] == 200
    [message] = queued(aws)
    assert message["Body"] == body.decode()
    assert message["Attributes"]["MessageGroupId"] == "pi_abc"
    assert message["Attributes"]["MessageDeduplicationId"] == "evt_123"


def test_base64_bodies_are_verified_on_their_raw_bytes(receive, secret, aws):
    body = json.dumps(EVENT, indent=2).encode()
    assert receive(function_url_event(body, signed(secret, body), base64=True), LambdaContext())["statusCode"] == 200


def test_a_repeated_event_is_accepted_and_queued_once(receive, secret, aws):
    body = dumps(EVENT).encode()
    for _ in range(5):
        assert receive(function_url_event(body, signed(secret, body)), LambdaContext())["statusCode"] == 200
    assert len(queued(aws)) == 1                                          # FIFO dedup on the event id


@pytest.mark.parametrize("make_headers", [
    lambda secret, body: {},                                              # no signature
    lambda secret, body: signed("forged-secret", body),                   # forged
    lambda secret, body: signed(secret, body, t=int(time.time()) - 600),  # 10 minutes old
    lambda secret, body: signed(secret, body + b"x"),                     # another body
])
def test_bad_signatures_are_400_and_queue_nothing(receive, secret, aws, make_headers):
    body = dumps(EVENT).encode()
    response = receive(function_url_event(body, make_headers(secret, body)), LambdaContext())
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["status"] == 400
    assert secret not in response["body"]
    assert queued(aws) == []


def test_a_signed_body_that_is_not_an_event_is_400(receive, secret, aws):
    for body in (b"not json", b'{"type":"x"}', dumps({**EVENT, "id": "evt with spaces"}).encode()):
        assert receive(function_url_event(body, signed(secret, body)), LambdaContext())["statusCode"] == 400
    assert queued(aws) == []
