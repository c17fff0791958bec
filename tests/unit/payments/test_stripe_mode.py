"""The payments functions as deployed to AWS with PaymentGateway=stripe: the template's defaults, the API against a
stub that answers as Stripe does, and a Stripe-signed webhook applied to the payment."""
from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
import stripe

from infra.localaws.template import LocalContext, Template
from tests.lambda_testing import ApiClient, LambdaContext

from .conftest import function_url_event, internal, sqs_records
from .stripe_stub import StripeStub

API_KEY = "sk_test_51Meridian"


def test_the_template_defaults_to_stripe():
    """What `sam deploy` gets without parameter overrides."""
    template = Template(context=LocalContext(stack_name="prod"))
    env = template.function("PaymentsFunction").environment
    assert (env["PAYMENT_GATEWAY"], env["PAYMENT_GATEWAY_URL"]) == ("stripe", "https://api.stripe.com")
    assert env["PAYMENT_GATEWAY_API_KEY_ARN"].endswith(template.physical_name("PaymentGatewayApiKeySecret"))
    webhook = template.function("PaymentsWebhookFunction").environment
    assert webhook["WEBHOOK_TOLERANCE_SECONDS"] == "300" and "WEBHOOK_SECRET_ARN" in webhook


@pytest.fixture
def stripe_stub():
    stub = StripeStub(api_keys=(API_KEY,))
    yield stub
    stub.stop()


@pytest.fixture
def api(aws, load_function, stripe_stub):
    """PaymentsFunction with PaymentGateway=stripe at the stub, its sk_ key in the gateway-api-key secret."""
    aws.ctx.parameters.update(PaymentGateway="stripe", PaymentGatewayUrl=stripe_stub.url)
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=aws.physical_name("PaymentGatewayApiKeySecret"), SecretString=API_KEY)
    return ApiClient(load_function("PaymentsFunction"))


def create(api, amount: str = "25.00", currency: str = "EUR") -> dict:
    path = "/api/v1/payments/internal/intents"
    body = {"order_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()), "amount": amount, "currency": currency}
    response = api.post(path, json=body, headers=internal("POST", path))
    assert response.status == 201, response.json
    return response.json


def test_an_intent_is_created_at_stripe(api, stripe_stub):
    payment = create(api, "19.99")
    assert payment["gateway"] == "stripe" and payment["intent_id"] in stripe_stub.intents
    assert payment["client_secret"] == stripe_stub.intents[payment["intent_id"]]["client_secret"]
    [sent] = stripe_stub.requests
    assert sent["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert sent["headers"]["Idempotency-Key"] == f"order-{payment['order_id']}"
    assert sent["form"]["amount"] == "1999" and sent["form"]["currency"] == "eur"
    assert sent["form"]["metadata"] == {"order_id": payment["order_id"], "payment_id": payment["id"]}


def test_amounts_stripe_cannot_take_are_400_before_any_call(api, stripe_stub):
    path = "/api/v1/payments/internal/intents"
    body = {"order_id": str(uuid.uuid4()), "user_id": "u", "amount": "12.278", "currency": "KWD"}
    response = api.post(path, json=body, headers=internal("POST", path))
    assert response.status == 400 and "amount" in response.json["errors"]
    assert stripe_stub.requests == []


def test_cancel_and_a_repeated_cancel(api, stripe_stub):
    payment = create(api)
    path = f"/api/v1/payments/internal/payments/{payment['id']}/cancel"
    response = api.post(path, json={}, headers=internal("POST", path))
    assert response.status == 200 and response.json["status"] == "canceled"
    assert stripe_stub.intents[payment["intent_id"]]["status"] == "canceled"
    assert api.post(path, json={}, headers=internal("POST", path)).status == 200


def test_a_refund_goes_to_stripe(api, stripe_stub, tokens):
    payment = create(api)
    stripe_stub.succeed(payment["intent_id"])
    from payments import repository
    from payments.models import PaymentModel

    repository.get_payment(payment["id"]).update(actions=[PaymentModel.status.set("succeeded")])
    response = api.post(f"/api/v1/payments/{payment['id']}/refund", json={"amount": "10.00"},
                        headers=tokens.header(role="admin"))
    assert response.status == 202 and response.json["refund"]["id"].startswith("re_")
    sent = stripe_stub.requests[-1]
    assert (sent["path"], sent["form"]) == ("/v1/refunds", {"payment_intent": payment["intent_id"], "amount": "1000"})


def test_stripe_down_is_503_with_retry_after(api, stripe_stub):
    stripe_stub.error = (500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}})
    path = "/api/v1/payments/internal/intents"
    body = {"order_id": str(uuid.uuid4()), "user_id": "u", "amount": "1.00", "currency": "EUR"}
    response = api.post(path, json=body, headers=internal("POST", path))
    assert response.status == 503 and int(response.headers["retry-after"]) >= 1


def test_a_wrong_api_key_is_503_not_500(aws, api, stripe_stub):
    stripe_stub.api_keys = {"sk_test_the_real_one"}
    path = "/api/v1/payments/internal/intents"
    body = {"order_id": str(uuid.uuid4()), "user_id": "u", "amount": "1.00", "currency": "EUR"}
    assert api.post(path, json=body, headers=internal("POST", path)).status == 503


def test_a_stripe_signed_webhook_moves_the_payment(api, stripe_stub, aws, load_function):
    """Stripe's delivery (signed by the stripe library with the endpoint's whsec_) → receiver → queue → processor."""
    payment = create(api)
    intent = stripe_stub.succeed(payment["intent_id"])
    event = {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "api_version": "2026-10-28.endive",
             "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None}, "type": "payment_intent.succeeded",
             "data": {"object": intent}}
    body = json.dumps(event, indent=2).encode()
    endpoint_secret = "whsec_" + uuid.uuid4().hex
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=aws.physical_name("WebhookSecret"), SecretString=endpoint_secret)
    from meridian import aws as meridian_aws

    meridian_aws.forget_secrets()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), endpoint_secret)
    receive = load_function("PaymentsWebhookFunction")
    assert receive(function_url_event(body, {"Stripe-Signature": header}), LambdaContext())["statusCode"] == 200

    sqs = boto3.client("sqs", region_name="us-east-1")
    [message] = sqs.receive_message(QueueUrl=aws.queue_url("PaymentWebhooksQueue"),
                                    MaxNumberOfMessages=10).get("Messages", [])
    process = load_function("PaymentsEventProcessorFunction")
    assert process(sqs_records(message["Body"], group=payment["intent_id"]), LambdaContext()) == \
        {"batchItemFailures": []}
    from payments import repository

    assert repository.get_payment(payment["id"]).status == "succeeded"


def deliver(aws, load_function, event_type: str, intent: dict) -> None:
    """One event as Stripe delivers it (signed by the stripe library) through the receiver, the queue and the
    processor."""
    event = {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "api_version": "2026-10-28.endive",
             "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None}, "type": event_type, "data": {"object": intent}}
    body = json.dumps(event).encode()
    endpoint_secret = "whsec_" + uuid.uuid4().hex
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=aws.physical_name("WebhookSecret"), SecretString=endpoint_secret)
    from meridian import aws as meridian_aws

    meridian_aws.forget_secrets()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), endpoint_secret)
    receive = load_function("PaymentsWebhookFunction")
    assert receive(function_url_event(body, {"Stripe-Signature": header}), LambdaContext())["statusCode"] == 200
    sqs = boto3.client("sqs", region_name="us-east-1")
    [message] = sqs.receive_message(QueueUrl=aws.queue_url("PaymentWebhooksQueue"),
                                    MaxNumberOfMessages=10).get("Messages", [])
    sqs.delete_message(QueueUrl=aws.queue_url("PaymentWebhooksQueue"), ReceiptHandle=message["ReceiptHandle"])
    process = load_function("PaymentsEventProcessorFunction")
    assert process(sqs_records(message["Body"], group=intent["id"]), LambdaContext()) == {"batchItemFailures": []}


def test_stripes_3d_secure_events_move_the_payment_as_the_sandboxs_do(api, stripe_stub, aws, load_function):
    """On Stripe, Stripe.js runs the challenge (`handleNextAction`); we only hear of it by webhook:
    payment_intent.requires_action, then payment_failed (authentication failed) or succeeded."""
    from payments import repository

    payment = create(api)
    deliver(aws, load_function, "payment_intent.requires_action", stripe_stub.require_action(payment["intent_id"]))
    assert repository.get_payment(payment["id"]).status == "requires_action"
    deliver(aws, load_function, "payment_intent.payment_failed",
            stripe_stub.fail_authentication(payment["intent_id"]))
    failed = repository.get_payment(payment["id"])
    assert (failed.status, failed.failure_reason) == ("failed", "payment_intent_authentication_failure")
    deliver(aws, load_function, "payment_intent.requires_action", stripe_stub.require_action(payment["intent_id"]))
    path = f"/api/v1/payments/internal/payments/{payment['id']}/cancel"     # the payment window closed meanwhile
    response = api.post(path, json={}, headers=internal("POST", path))
    assert response.status == 200 and response.json["status"] == "canceled"
    assert stripe_stub.intents[payment["intent_id"]]["status"] == "canceled"
