"""Admin through the real stack: audit log fed by the bus, roles, dashboard, dead letters."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.integration.accounts import bearer

ADMIN = "/api/v1/admin"


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

    class Api:
        def send(self, method, path, **kw):
            return session.request(method, stack.base_url + path, timeout=15, **kw)

        def login(self, email, password=None):
            return bearer(stack, email, password)

    return Api()


@pytest.fixture(scope="module")
def admin(api):
    return api.login("admin@example.com")


@pytest.fixture(scope="module")
def super_admin(api):
    return api.login("superadmin@example.com")


def test_product_changes_reach_the_audit_log(api, admin):
    created = api.send("POST", "/api/v1/products", headers=admin,
                       json={"name": "Audited lamp", "description": "A lamp.", "category": "integration",
                             "base_price": "30.00", "stock": 3})
    assert created.status_code == 201, created.text
    product_id = created.json()["id"]

    def entry():
        items = api.send("GET", f"{ADMIN}/audit-log", headers=admin, params={"limit": "100"}).json()["items"]
        return next((e for e in items if e["target"] == f"product:{product_id}"), None)

    found = eventually(entry)
    assert found, "the product's creation never reached the audit log"
    assert found["action"] == "product.created" and found["actor_email"] == "admin@example.com"
    assert found["request_id"] == created.headers["X-Request-Id"]
    assert found["after"]["localizations"]["en"]["name"] == "Audited lamp"
    assert found["actor"] != "system"


def test_only_a_super_admin_grants_admin(api, admin, super_admin):
    email, password = f"promote-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery staple 42"
    registered = api.send("POST", "/api/v1/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["user_id"]

    refused = api.send("PUT", f"{ADMIN}/users/{user_id}/role", headers=admin, json={"role": "admin"})
    assert refused.status_code == 403
    granted = api.send("PUT", f"{ADMIN}/users/{user_id}/role", headers=super_admin, json={"role": "admin"})
    assert granted.status_code == 200, granted.text

    promoted = api.login(email, password)
    assert api.send("GET", f"{ADMIN}/dashboard", headers=promoted).status_code == 200

    def logged():
        log = api.send("GET", f"{ADMIN}/audit-log", headers=admin, params={"action": "user.role_changed"}).json()
        return any(e["target"] == f"user:{user_id}" and e["after"] == {"role": "admin"}
                   and e["actor_email"] == "superadmin@example.com" for e in log["items"])

    assert eventually(logged), "the role change never reached the audit log"


def test_dashboard_gathers_every_part(api, admin):
    body = api.send("GET", f"{ADMIN}/dashboard", headers=admin).json()
    assert set(body["orders_by_status"]) >= {"pending_payment", "paid", "cancelled"}
    assert isinstance(body["revenue"], dict)
    assert body["fx"]["available"] is True and body["fx"]["as_of"]
    assert {"users-events", "payment-webhooks", "audit"} <= set(body["queues"])


def test_customers_cannot_use_admin_routes(api):
    customer = api.login("customer@example.com")
    response = api.send("GET", f"{ADMIN}/audit-log", headers=customer)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_dead_letters_are_listed_and_redriven_to_their_consumer(stack, api, admin):
    sqs = stack.client("sqs")
    dlq = sqs.get_queue_url(QueueName=stack.template.physical_name("UsersEventsDLQ"))["QueueUrl"]
    user_id = str(uuid.uuid4())
    event = {"detail-type": "user.registered", "source": "meridian.auth",
             "detail": {"event_id": str(uuid.uuid4()), "occurred_at": "2026-11-25T00:00:00.000Z",
                        "user_id": user_id, "email": f"{user_id[:8]}@example.com", "name": "Dead Letter",
                        "locale": None, "currency": None, "role": "customer",
                        "created_at": "2026-11-25T00:00:00.000Z"}}
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(event))

    listed = api.send("GET", f"{ADMIN}/dead-letters", headers=admin, params={"queue": "users-events"}).json()
    assert any(m["body"]["detail"]["user_id"] == user_id for m in listed["items"])
    moved = api.send("POST", f"{ADMIN}/dead-letters/redrive", headers=admin, json={"queue": "users-events"})
    assert moved.status_code == 200 and moved.json()["moved"]["users-events"] >= 1

    def drained():
        depths = api.send("GET", f"{ADMIN}/dashboard", headers=admin).json()["queues"]["users-events"]
        return depths["dead_letters"]["visible"] == 0 and depths["queue"]["visible"] == 0 \
            and depths["queue"]["in_flight"] == 0

    assert eventually(drained), "the redriven event was not consumed"
