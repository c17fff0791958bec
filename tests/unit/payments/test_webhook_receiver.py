"""The function-URL receiver: verified events go to the FIFO queue (group = intent, dedup = event id); else 400.

Signatures are Stripe's (`Stripe-Signature`); several tests sign with the stripe library's own code."""
from __future__ import annotations

import json
import time

import boto3
import pytest
import stripe

from tests.lambda_testing import LambdaContext

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

    return {"Stripe-Signature": sign(secret, body, timestamp=t)}


def stripe_signed(secret: str, body: bytes, t: int | None = None) -> dict:
    """Signed by the stripe library, as Stripe signs a delivery."""
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=t)}


def v1(secret: str, body: bytes, t: int) -> str:
    return stripe.WebhookSignature._compute_signature(f"{t}.{body.decode()}", secret)


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


def rejected(response: dict, aws) -> bool:
    body = json.loads(response["body"])
    return (response["statusCode"] == 400 and body["status"] == 400
            and response["headers"]["Content-Type"] == "application/problem+json" and queued(aws) == [])


def test_an_event_signed_by_the_stripe_library_is_queued(receive, secret, aws):
    body = json.dumps({**EVENT, "id": "evt_stripe_1"}, indent=2).encode()      # Stripe pretty-prints its events
    response = receive(function_url_event(body, stripe_signed(secret, body)), LambdaContext())
    assert response["statusCode"] == 200, response
    [message] = queued(aws)
    assert message["Body"] == body.decode()
    assert message["Attributes"]["MessageDeduplicationId"] == "evt_stripe_1"


@pytest.mark.parametrize("case", ["tampered body", "wrong secret", "expired", "v0 only", "old header name"])
def test_stripe_signed_events_that_do_not_verify_are_400_and_queue_nothing(receive, secret, aws, case):
    body = dumps(EVENT).encode()
    now = int(time.time())
    headers = {"tampered body": lambda: stripe_signed(secret, body.replace(b"pi_abc", b"pi_xyz")),
               "wrong secret": lambda: stripe_signed("whsec_not_ours", body),
               "expired": lambda: stripe_signed(secret, body, t=now - 301),
               "v0 only": lambda: {"Stripe-Signature": f"t={now},v0={v1(secret, body, now)}"},
               "old header name": lambda: {"Payment-Signature": stripe_signed(secret, body)["Stripe-Signature"]},
               }[case]()
    assert rejected(receive(function_url_event(body, headers), LambdaContext()), aws)


def test_two_v1_values_where_only_the_second_matches_are_accepted(receive, secret, aws):
    """Rolling the endpoint secret at Stripe: each delivery carries a v1 per live secret."""
    body = dumps(EVENT).encode()
    now = int(time.time())
    header = f"t={now},v1={v1('whsec_the_old_secret', body, now)},v1={v1(secret, body, now)},v0={'0' * 64}"
    response = receive(function_url_event(body, {"Stripe-Signature": header}), LambdaContext())
    assert response["statusCode"] == 200
    assert len(queued(aws)) == 1


def test_the_tolerance_comes_from_the_environment(receive, secret, aws, monkeypatch):
    from payments import webhook

    assert webhook.TOLERANCE == 300                                       # WEBHOOK_TOLERANCE_SECONDS in the template
    body = dumps(EVENT).encode()
    two_minutes_ago = stripe_signed(secret, body, t=int(time.time()) - 120)
    monkeypatch.setattr(webhook, "TOLERANCE", 60)
    assert rejected(receive(function_url_event(body, two_minutes_ago), LambdaContext()), aws)
    monkeypatch.setattr(webhook, "TOLERANCE", 300)
    assert receive(function_url_event(body, two_minutes_ago), LambdaContext())["statusCode"] == 200


def test_a_secret_stored_with_a_trailing_newline_still_verifies(receive, secret, aws):
    from meridian import aws as meridian_aws

    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=aws.physical_name("WebhookSecret"), SecretString="whsec_pasted\n")
    meridian_aws.forget_secrets()
    body = dumps(EVENT).encode()
    assert receive(function_url_event(body, stripe_signed("whsec_pasted", body)), LambdaContext())["statusCode"] == 200


def test_only_post_is_accepted(receive, secret, aws):
    body = dumps(EVENT).encode()
    event = function_url_event(body, stripe_signed(secret, body))
    event["requestContext"]["http"]["method"] = "GET"
    response = receive(event, LambdaContext())
    assert response["statusCode"] == 405 and response["headers"]["Allow"] == "POST"
    assert queued(aws) == []
