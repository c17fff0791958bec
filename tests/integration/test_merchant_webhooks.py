"""Merchant webhooks through the real stack: an admin registers an endpoint at the webhook test receiver
(infra/harness/webhook_receiver, the one loopback target the stack allows); internal URLs are refused;
order events arrive signed with the secret shown once, in order; a 500 is retried and then delivered,
both attempts in the delivery log; a manual redelivery sends it again."""
from __future__ import annotations

import json
import time
import uuid

import pytest
from meridian import signature

from tests.integration.accounts import bearer
from tests.integration.checkout_helpers import checkout, confirm, new_customer, new_product, wait_for_status

HOOKS = "/api/v1/webhooks"


def eventually(check, timeout: float = 30.0, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


@pytest.fixture(scope="module")
def api(stack):
    session = stack.session()
    headers = bearer(stack, "admin@example.com")

    def send(method, path, **kw):
        return session.request(method, stack.base_url + path, headers=headers, timeout=20, **kw)

    return send


@pytest.fixture(scope="module")
def receiver(stack):
    session = stack.session()
    assert stack.webhook_receiver_url, "the dev stack starts the webhook test receiver"

    class Receiver:
        url = stack.webhook_receiver_url

        def control(self, **settings):
            assert session.post(f"{self.url}/control", json=settings, timeout=10).status_code == 200

        def received(self, path):
            return session.get(f"{self.url}/received", params={"path": path}, timeout=10).json()["items"]

        def of_order(self, path, order_id, at_least=2):
            """The deliveries of one order's events to `path` once there are `at_least` (None until then)."""
            found = [r for r in self.received(path) if json.loads(r["body"])["data"]["order_id"] == order_id]
            return found if len(found) >= at_least else None

    return Receiver()


@pytest.fixture(scope="module")
def endpoint(api, receiver):
    path = f"/hooks/{uuid.uuid4().hex[:8]}"
    response = api("POST", f"{HOOKS}/endpoints", json={"url": receiver.url + path,
                                                        "events": ["order.placed", "order.paid"],
                                                        "description": "integration test"})
    assert response.status_code == 201, response.text
    return {**response.json(), "path": path}


def publish(stack, detail_type: str, order_id: str, version: int) -> str:
    """An order event on the platform bus, as the orders service publishes it (the shared contract)."""
    event_id = str(uuid.uuid4())
    detail = {"event_id": event_id, "occurred_at": "2026-12-01T10:00:00.000Z", "order_id": order_id,
              "version": version, "status": "paid" if detail_type == "order.paid" else "pending_payment",
              "previous_status": None, "reason": "integration test",
              "order": {"id": order_id, "status": "paid", "currency": "EUR",
                        "total": {"amount": "19.99", "currency": "EUR"}, "items": []}, "data": {}}
    answer = stack.client("events").put_events(Entries=[{
        "Source": "meridian.orders", "DetailType": detail_type, "Detail": json.dumps(detail),
        "EventBusName": stack.template.physical_name("PlatformEventBus")}])
    assert answer["FailedEntryCount"] == 0
    return event_id


def test_the_secret_is_shown_once(api, endpoint):
    assert endpoint["secret"].startswith("whsec_")
    shown = api("GET", f"{HOOKS}/endpoints/{endpoint['id']}")
    assert shown.status_code == 200 and "secret" not in shown.json() and endpoint["secret"] not in shown.text
    assert endpoint["secret"] not in api("GET", f"{HOOKS}/endpoints").text


@pytest.mark.parametrize("url", ["https://127.0.0.1/hooks", "https://169.254.169.254/latest/meta-data/",
                                 "https://[::1]/", "https://10.0.0.1/x", "https://localhost/", "http://example.com/"])
def test_private_loopback_and_metadata_urls_are_refused(api, url):
    response = api("POST", f"{HOOKS}/endpoints", json={"url": url, "events": ["*"]})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "url" in response.json()["errors"]


def test_only_the_receivers_exact_origin_is_the_loopback_exception(api, receiver):
    host, port = receiver.url.rsplit(":", 1)
    response = api("POST", f"{HOOKS}/endpoints", json={"url": f"{host}:{int(port) + 1}/hooks", "events": ["*"]})
    assert response.status_code == 400 and "url" in response.json()["errors"]


def test_order_events_arrive_signed_and_in_order(stack, api, receiver, endpoint):
    order_id = str(uuid.uuid4())
    placed = publish(stack, "order.placed", order_id, 1)
    paid = publish(stack, "order.paid", order_id, 2)
    publish(stack, "order.fulfilled", order_id, 3)                     # not subscribed: never sent
    mine = eventually(lambda: receiver.of_order(endpoint["path"], order_id))
    assert mine and len(mine) == 2, "two deliveries within 30 s"
    bodies = [json.loads(r["body"]) for r in mine]
    assert [(b["type"], b["id"], b["data"]["version"]) for b in bodies] == [("order.placed", placed, 1),
                                                                          ("order.paid", paid, 2)]
    for request in mine:
        signature.verify(request["headers"]["Meridian-Signature"], request["body"].encode(), endpoint["secret"])
    time.sleep(2)
    assert all(json.loads(r["body"])["type"] != "order.fulfilled" for r in receiver.received(endpoint["path"]))


def test_a_placed_and_paid_order_reaches_the_merchant_signed_and_in_order(stack, api, receiver, endpoint):
    """Through the real pipeline: checkout and payment (orders publishes) → bus → fan-out → deliveries."""
    admin_headers = bearer(stack, "admin@example.com")
    shopper = new_customer(stack)
    placed = checkout(stack, shopper["headers"], new_product(stack, admin_headers))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert confirm(stack, order).status_code == 200
    wait_for_status(stack, shopper["headers"], order["id"], "paid")

    got = eventually(lambda: receiver.of_order(endpoint["path"], order["id"]))
    assert got, f"order.placed and order.paid within 30 s: {receiver.received(endpoint['path'])}"
    bodies = [json.loads(r["body"]) for r in got]
    assert [b["type"] for b in bodies] == ["order.placed", "order.paid"]
    assert bodies[0]["data"]["version"] < bodies[1]["data"]["version"]
    assert bodies[1]["data"]["order"]["id"] == order["id"] and bodies[1]["data"]["status"] == "paid"
    assert "client_secret" not in got[0]["body"] + got[1]["body"]
    for request in got:
        signature.verify(request["headers"]["Meridian-Signature"], request["body"].encode(), endpoint["secret"])


def test_a_500_is_retried_then_delivered_and_redelivery_sends_it_again(stack, api, receiver, endpoint):
    receiver.control(fail_next=1)
    event_id = publish(stack, "order.placed", str(uuid.uuid4()), 1)

    def copies():
        return [r for r in receiver.received(endpoint["path"]) if json.loads(r["body"])["id"] == event_id]

    got = eventually(lambda: copies() if len(copies()) >= 2 else None)
    assert got and [r["answered"] for r in got] == [500, 200]
    assert got[0]["body"] == got[1]["body"]
    signature.verify(got[1]["headers"]["Meridian-Signature"], got[1]["body"].encode(), endpoint["secret"])

    def logged():
        items = api("GET", f"{HOOKS}/endpoints/{endpoint['id']}/deliveries").json()["items"]
        found = [d for d in items if d["event_id"] == event_id and d["status"] == "delivered"]
        return found[0] if found else None

    delivery = eventually(logged)
    assert delivery["attempts"] == 2 and [a["status_code"] for a in delivery["history"]] == [500, 200]
    assert delivery["last_attempt"]["status_code"] == 200 and delivery["next_attempt_at"] is None

    again = api("POST", f"{HOOKS}/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 202, again.text
    assert eventually(lambda: len(copies()) == 3)
    redelivered = eventually(lambda: (d := logged()) and d["attempts"] == 3 and d)
    assert redelivered["history"][-1]["manual"] is True
