"""Request bodies nested too deep or too large are a 400 problem naming the bound, never a 500 or 502.

Python's JSON parser recurses once per level: 1,000 levels (a 2 KB body) raised RecursionError on every
JSON endpoint (a 500) and at the webhook function URL (a 502 the gateway retries for an hour).
"""
from __future__ import annotations

import hashlib
import hmac
import time

import boto3
import pytest
from meridian import jsonutil

from tests.lambda_testing import ApiClient, LambdaContext, TokenFactory

DEEP = "[" * 1000 + "]" * 1000
WIDE = "[" + ",".join(["0"] * 20_000) + "]"


@pytest.mark.parametrize("function, path, role", [
    ("AuthFunction", "/api/v1/auth/login", None),
    ("AuthFunction", "/api/v1/auth/register", None),
    ("AuthFunction", "/api/v1/auth/password/forgot", None),
    ("UsersFunction", "/api/v1/users/me/addresses", "customer"),
    ("ProductsFunction", "/api/v1/products", "admin"),
    ("OrdersFunction", "/api/v1/orders", "customer"),
])
@pytest.mark.parametrize("body, bound", [(DEEP, "nests deeper than 32 levels"), (WIDE, "more than 10000 values")])
def test_every_json_endpoint_refuses_a_body_beyond_the_bounds(load_function, function, path, role, body, bound):
    client = ApiClient(load_function(function))
    headers = {"Idempotency-Key": "bounds-1", **(TokenFactory().header(role=role) if role else {})}
    response = client.post(path, body=body, headers=headers)
    assert response.status == 400, response.json
    assert response.headers["content-type"] == "application/problem+json"
    assert bound in response.json["detail"]


def test_a_signed_webhook_beyond_the_bounds_is_400_and_queues_nothing(aws, load_function):
    handler = load_function("PaymentsWebhookFunction")
    secret = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId=aws.physical_name("WebhookSecret"))["SecretString"].strip()
    body = '{"id": "evt_1", "type": "payment_intent.succeeded", "data": ' + DEEP + "}"
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    event = {"version": "2.0", "headers": {"stripe-signature": f"t={stamp},v1={mac}"}, "body": body,
             "isBase64Encoded": False, "requestContext": {"http": {"method": "POST", "path": "/"}}}
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 400 and "nests deeper than 32 levels" in response["body"]
    queue_url = aws.function("PaymentsWebhookFunction").environment["WEBHOOK_QUEUE_URL"]
    attributes = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_bounds_look_past_brackets_inside_strings():
    text = '{"note": "[[[[{{{{' + "[" * 100 + '\\" ]]", "n": [1, 2, {"k": [3]}]}'
    assert jsonutil.loads_request(text)["n"][2] == {"k": [3]}
    assert jsonutil.loads_request("[" * 32 + "]" * 32) is not None
    with pytest.raises(jsonutil.JsonTooComplex):
        jsonutil.loads_request("[" * 33 + "]" * 33)
