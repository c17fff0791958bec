"""Fixtures of the payments tests: the sandbox gateway in-process, the payments functions, signed webhooks."""
from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest

from infra.harness.sandbox_gateway import SandboxGateway
from tests.lambda_testing import ApiClient, TokenFactory, service_headers


@pytest.fixture(autouse=True)
def fresh_gateway_breaker():
    """A new `payment-gateway` breaker per test. The registry outlives the payments modules, which each test
    imports afresh: a breaker kept from an earlier test would exclude that test's GatewayRejected class,
    not this one's, and count rejections as outages."""
    from meridian import resilience

    resilience._breakers.pop("payment-gateway", None)
    yield
    resilience._breakers.pop("payment-gateway", None)


SANDBOX_API_KEY = "sk_test_sandbox"


@pytest.fixture
def sandbox():
    """A sandbox gateway on a free port; its webhooks go nowhere (tests feed the receiver themselves)."""
    gateway = SandboxGateway(port=0, webhook_url="http://127.0.0.1:9/unused", webhook_secret="unused",
                             api_key=SANDBOX_API_KEY, delivery_workers=1).start()
    yield gateway
    gateway.stop()


@pytest.fixture
def tokens():
    return TokenFactory()


@pytest.fixture
def template(template, sandbox):
    """The template resolved as the local stack resolves it: PaymentGateway=sandbox, at the in-process sandbox.

    (The template's defaults are stripe at https://api.stripe.com: what a deployment to AWS gets.)"""
    template.ctx.parameters.update(PaymentGateway="sandbox", PaymentGatewayUrl=sandbox.url)
    return template


@pytest.fixture
def payments(aws, load_function, sandbox):
    """The PaymentsFunction app talking to the in-process sandbox, with the sandbox's API key in its secret
    (as the local stack has it: the sandbox reads the provisioned secret)."""
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=aws.physical_name("PaymentGatewayApiKeySecret"), SecretString=SANDBOX_API_KEY)
    return load_function("PaymentsFunction")


@pytest.fixture
def api(payments):
    return ApiClient(payments)


def internal(method: str, path: str) -> dict:
    """Headers of a call signed by the orders service (over the query and body the client sends)."""
    return service_headers("orders", method, path)


@pytest.fixture
def create_payment(api):
    def create(amount: str = "25.00", currency: str = "EUR", user_id: str | None = None, order_id: str | None = None):
        path = "/api/v1/payments/internal/intents"
        body = {"order_id": order_id or str(uuid.uuid4()), "user_id": user_id or str(uuid.uuid4()),
                "amount": amount, "currency": currency}
        response = api.post(path, json=body, headers=internal("POST", path))
        assert response.status in (200, 201), response.json
        return response.json
    return create


def webhook_secret(aws) -> str:
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    return sm.get_secret_value(SecretId=aws.physical_name("WebhookSecret"))["SecretString"]


def gateway_event(event_type: str, intent: dict, **changes) -> dict:
    obj = {"id": intent["intent_id"], "object": "payment_intent", "amount": intent.get("minor", 2500),
           "currency": "eur", "status": changes.pop("status", "succeeded"),
           "metadata": {"order_id": intent.get("order_id"), "payment_id": intent.get("id")}, **changes}
    return {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": event_type,
            "created": int(time.time()), "data": {"object": obj}}


def refund_event(intent: dict, amount: int, refunded: int) -> dict:
    charge = {"id": "ch_1", "object": "charge", "payment_intent": intent["intent_id"], "amount": amount,
              "amount_refunded": refunded, "currency": "eur", "refunded": refunded >= amount}
    return {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": "charge.refunded",
            "created": int(time.time()), "data": {"object": charge}}


def function_url_event(body: bytes, headers: dict, *, base64: bool = False) -> dict:
    import base64 as b64

    return {"version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
            "headers": {"content-type": "application/json", **{k.lower(): v for k, v in headers.items()}},
            "requestContext": {"http": {"method": "POST", "path": "/", "sourceIp": "127.0.0.1"}},
            "body": b64.b64encode(body).decode() if base64 else body.decode(), "isBase64Encoded": base64}


def sqs_records(*bodies: str, group: str = "g") -> dict:
    return {"Records": [{"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": body,
                         "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": group,
                                        "MessageDeduplicationId": str(uuid.uuid4())},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:unit-payment-webhooks.fifo",
                         "awsRegion": "us-east-1"} for body in bodies]}


def dumps(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))
