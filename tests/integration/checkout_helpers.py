"""Helpers of the checkout integration tests and the checkout benchmark: accounts, products, orders, webhooks."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

from tests.integration.accounts import bearer

PASSWORD = "checkout passphrase 2024"
ADDRESS = {"name": "Erika Mustermann", "line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115",
           "country": "DE"}


def url(stack, path: str) -> str:
    return f"{stack.base_url}{path}"


def admin(stack) -> dict:
    return bearer(stack, "admin@example.com")


def new_customer(stack) -> dict:
    """Register and log in a fresh shopper: {email, user_id, headers}."""
    email = f"shopper-{uuid.uuid4().hex[:10]}@example.com"
    response = stack.session().post(url(stack, "/api/v1/auth/register"),
                                    json={"email": email, "password": PASSWORD, "locale": "de", "currency": "EUR"},
                                    timeout=20)
    assert response.status_code == 201, response.text
    return {"email": email, "user_id": response.json()["user_id"], "headers": bearer(stack, email, PASSWORD)}


def new_product(stack, admin_headers: dict, *, price: str = "19.99", stock: int = 10) -> str:
    body = {"name": f"Test widget {uuid.uuid4().hex[:6]}", "description": "A widget for checkout tests.",
            "category": "widgets", "base_price": price, "stock": stock}
    response = stack.session().post(url(stack, "/api/v1/products"), json=body, headers=admin_headers, timeout=20)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def available(stack, admin_headers: dict, product_id: str) -> int:
    response = stack.session().get(url(stack, f"/api/v1/products/{product_id}/inventory"), headers=admin_headers,
                                   timeout=20)
    assert response.status_code == 200, response.text
    return sum(item["available"] for item in response.json()["items"])


def checkout(stack, headers: dict, product_id: str, quantity: int = 1, *, currency: str = "EUR",
             key: str | None = None, session=None):
    body = {"items": [{"product_id": product_id, "quantity": quantity}], "currency": currency,
            "shipping_address": ADDRESS}
    return (session or stack.session()).post(url(stack, "/api/v1/orders"), json=body,
                                             headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
                                             timeout=30)


def confirm(stack, order: dict, card: str = "4242424242424242", session=None):
    """What the shopper's browser does: confirm the intent at the gateway (through nginx, /sandbox/)."""
    payment = order["payment"]
    return (session or stack.session()).post(
        url(stack, f"/sandbox/v1/payment_intents/{payment['intent_id']}/confirm"),
        json={"client_secret": payment["client_secret"], "card_number": card}, timeout=20)


def get_order(stack, headers: dict, order_id: str, session=None):
    return (session or stack.session()).get(url(stack, f"/api/v1/orders/{order_id}"), headers=headers, timeout=20)


def wait_for_status(stack, headers: dict, order_id: str, status: str, timeout: float = 30.0) -> dict:
    session = stack.session()
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = get_order(stack, headers, order_id, session).json()
        if last.get("status") == status:
            return last
        time.sleep(0.2)
    raise AssertionError(f"order {order_id} did not become {status} within {timeout}s: {last}")


def sandbox_control(stack, **settings) -> dict:
    session = stack.session()
    if not settings:
        response = session.post(f"{stack.sandbox_control_url}/v1/control/reset", timeout=10)
    else:
        response = session.post(f"{stack.sandbox_control_url}/v1/control", json=settings, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def webhook_secret(stack) -> str:
    secrets = stack.client("secretsmanager")
    return secrets.get_secret_value(SecretId=stack.template.physical_name("WebhookSecret"))["SecretString"]


def signed_webhook(secret: str, event: dict, *, timestamp: int | None = None) -> tuple[bytes, dict]:
    body = json.dumps(event, separators=(",", ":")).encode()
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={mac}"}


def intent_event(event_type: str, order: dict, *, status: str = "succeeded", minor_amount: int = 100) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": event_type, "created": int(time.time()),
            "data": {"object": {"id": order["payment"]["intent_id"], "object": "payment_intent",
                                "amount": minor_amount, "currency": order["total"]["currency"].lower(),
                                "status": status}}}


def sent_emails(stack, to: str) -> list[dict]:
    data = stack.session().get(f"{stack.aws_endpoint}/moto-api/data.json", timeout=10).json()
    return [m for m in data.get("ses", {}).get("Message", []) if to in m["destinations"].get("ToAddresses", [])]


def wait_until_settled(stack, queues=("PaymentWebhooksQueue", "OrdersEventsQueue"), timeout: float = 60.0) -> None:
    """Wait (instead of sleeping a fixed time) until the sandbox has nothing left to deliver and each queue,
    in pipeline order, is empty: nothing waiting, in flight or delayed. A message is deleted only after it
    was handled, so an empty upstream queue means its handler has already fed the next one."""
    session, sqs = stack.session(), stack.client("sqs")
    deadline = time.monotonic() + timeout
    last: object = None

    def wait(label, quiet):
        nonlocal last
        while True:
            ok, last = quiet()
            if ok:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{label} did not settle within {timeout}s: {last}")
            time.sleep(0.2)

    def deliveries():
        stats = session.get(f"{stack.sandbox_control_url}/v1/deliveries", timeout=10).json()
        return stats["pending"] == 0 and stats["delivered"] + stats["given_up"] == stats["queued"], stats

    wait("sandbox webhooks", deliveries)
    for logical_id in queues:
        queue_url = sqs.get_queue_url(QueueName=stack.template.physical_name(logical_id))["QueueUrl"]

        def empty(queue_url=queue_url):
            names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                     "ApproximateNumberOfMessagesDelayed"]
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
            return all(attributes.get(name, "0") == "0" for name in names), attributes

        wait(logical_id, empty)
