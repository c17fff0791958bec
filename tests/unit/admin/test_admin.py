import json
import uuid

import boto3
import pytest
import responses
from meridian.testing import ApiClient, LambdaContext, TokenFactory

from ..conftest import API_BASE_URL

AUTH = f"{API_BASE_URL}/api/v1/auth"


@pytest.fixture
def tokens():
    return TokenFactory()


@pytest.fixture
def api(load_function):
    return ApiClient(load_function("AdminFunction"))


def sqs_event(*bodies):
    return {"Records": [{"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": json.dumps(b),
                         "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}
                        for b in bodies]}


def bus_event(detail_type, detail):
    return {"detail-type": detail_type, "source": "meridian.products", "detail": detail}


def test_admin_routes_need_admin(api, tokens):
    assert api.get("/api/v1/admin/audit-log").status == 401
    response = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="customer"))
    assert response.status == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_audit_events_recorded_once_and_listed_newest_first(load_function, tokens):
    handler = load_function("AdminAuditFunction")
    first = bus_event("product.changed", {"event_id": "e1", "occurred_at": "2026-01-01T00:00:00.000Z",
                                          "actor": "admin-1", "product_id": "p1",
                                          "before": None, "after": {"name": "Mug"}})
    second = bus_event("product.changed", {"event_id": "e2", "occurred_at": "2026-01-02T00:00:00.000Z",
                                           "actor": "admin-1", "product_id": "p1",
                                           "before": {"name": "Mug"}, "after": {"name": "Cup"}})
    result = handler(sqs_event(first, second, first), LambdaContext())
    assert result["batchItemFailures"] == []
    api = ApiClient(load_function("AdminFunction"))
    body = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="admin")).json
    assert [e["event_id"] for e in body["items"]] == ["e2", "e1"]
    assert body["items"][0] == {"at": "2026-01-02T00:00:00.000Z", "actor": "admin-1", "action": "product.changed",
                                "target": "p1", "before": {"name": "Mug"}, "after": {"name": "Cup"},
                                "event_id": "e2"}


def test_audit_log_filters_by_action_and_actor_and_refuses_unknown_parameters(load_function, tokens):
    handler = load_function("AdminAuditFunction")
    events = [bus_event("product.changed", {"event_id": f"p{i}", "occurred_at": f"2026-01-01T00:00:0{i}.000Z",
                                            "actor": f"admin-{i % 2}", "action": "product.updated",
                                            "product_id": f"prod-{i}"}) for i in range(4)]
    events.append(bus_event("fx.rates.refreshed", {"event_id": "fx", "occurred_at": "2026-01-01T00:00:09.000Z",
                                                   "snapshot_id": "s1"}))
    handler(sqs_event(*events), LambdaContext())
    api, admin = ApiClient(load_function("AdminFunction")), tokens.header(role="admin")

    def ids(**query):
        response = api.get("/api/v1/admin/audit-log", headers=admin, query=query)
        assert response.status == 200, response.json
        return [e["event_id"] for e in response.json["items"]]

    assert ids(action="product.updated") == ["p3", "p2", "p1", "p0"]
    assert ids(actor="admin-1") == ["p3", "p1"]
    assert ids(action="product.updated", actor="admin-0") == ["p2", "p0"]
    assert ids(action="fx.rates.refreshed") == ["fx"]
    first = api.get("/api/v1/admin/audit-log", headers=admin, query={"actor": "admin-1", "limit": "1"}).json
    assert [e["event_id"] for e in first["items"]] == ["p3"] and first["next_cursor"]
    other_filter = api.get("/api/v1/admin/audit-log", headers=admin,
                           query={"actor": "admin-0", "cursor": first["next_cursor"]})
    assert other_filter.status == 400 and "cursor" in other_filter.json["errors"]
    unknown = api.get("/api/v1/admin/audit-log", headers=admin, query={"who": "admin-1"})
    assert unknown.status == 400 and "who" in unknown.json["errors"]


def test_audit_log_pagination_and_forged_cursor(load_function, tokens):
    handler = load_function("AdminAuditFunction")
    events = [bus_event("fx.rates.refreshed", {"event_id": f"e{i}", "occurred_at": f"2026-01-01T00:00:0{i}.000Z",
                                               "snapshot_id": f"s{i}"}) for i in range(5)]
    handler(sqs_event(*events), LambdaContext())
    api = ApiClient(load_function("AdminFunction"))
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="admin"), query=query).json
        seen += [e["event_id"] for e in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["e4", "e3", "e2", "e1", "e0"]
    forged = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="admin"), query={"cursor": "eyJwayI6IngifQ"})
    assert forged.status == 400
    assert "cursor" in forged.json["errors"]
    assert api.get("/api/v1/admin/audit-log", headers=tokens.header(role="admin"), query={"limit": "0"}).status == 400


def test_dead_letters_listed_and_redriven(api, tokens, aws):
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.get_queue_url(QueueName=aws.physical_name("UsersEventsDLQ"))["QueueUrl"]
    source = sqs.get_queue_url(QueueName=aws.physical_name("UsersEventsQueue"))["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"poison": True}))
    admin = tokens.header(role="admin")
    listed = api.get("/api/v1/admin/dead-letters", headers=admin).json["items"]
    assert [(m["queue"], m["body"]) for m in listed] == [("users-events", {"poison": True})]
    moved = api.post("/api/v1/admin/dead-letters/redrive", headers=admin, json={"queue": "users-events"})
    assert moved.status == 200 and moved.json == {"moved": {"users-events": 1}}
    assert json.loads(sqs.receive_message(QueueUrl=source)["Messages"][0]["Body"]) == {"poison": True}
    assert api.get("/api/v1/admin/dead-letters", headers=admin).json["items"] == []
    bad = api.post("/api/v1/admin/dead-letters/redrive", headers=admin, json={"queue": "nope"})
    assert bad.status == 400 and "queue" in bad.json["errors"]


def test_dead_letters_are_shown_without_secrets_and_redriven_whole(api, tokens, aws):
    """A payment webhook carries the intent's client_secret, an auth e-mail a reset token: admins see neither."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.get_queue_url(QueueName=aws.physical_name("AuthEmailDLQ"))["QueueUrl"]
    source = sqs.get_queue_url(QueueName=aws.physical_name("AuthEmailQueue"))["QueueUrl"]
    body = {"kind": "password_reset", "to": "ada@example.com", "reset_token": "tok-123", "link": "https://x/r?t=1",
            "data": {"object": {"id": "pi_1", "client_secret": "pi_1_secret_abc", "note": "see pi_2_secret_def"}},
            "headers": {"Authorization": "Bearer eyJ"}, "key": "sk_test_51abc"}
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(body))
    listed = api.get("/api/v1/admin/dead-letters", headers=tokens.header(role="admin"),
                     query={"queue": "auth-email"}).json["items"]
    shown = json.dumps(listed)
    for secret in ("tok-123", "pi_1_secret_abc", "pi_2_secret_def", "Bearer eyJ", "sk_test_51abc"):
        assert secret not in shown
    assert listed[0]["body"]["to"] == "ada@example.com" and listed[0]["body"]["data"]["object"]["id"] == "pi_1"
    api.post("/api/v1/admin/dead-letters/redrive", headers=tokens.header(role="admin"), json={"queue": "auth-email"})
    assert json.loads(sqs.receive_message(QueueUrl=source)["Messages"][0]["Body"]) == body


def test_fifo_dead_letters_keep_their_group(api, tokens, aws):
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.get_queue_url(QueueName=aws.physical_name("PaymentWebhooksDLQ"))["QueueUrl"]
    source = sqs.get_queue_url(QueueName=aws.physical_name("PaymentWebhooksQueue"))["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="evt", MessageGroupId="pi_1", MessageDeduplicationId="evt-1")
    api.post("/api/v1/admin/dead-letters/redrive", headers=tokens.header(role="admin"), json={})
    message = sqs.receive_message(QueueUrl=source, AttributeNames=["All"])["Messages"][0]
    assert message["Attributes"]["MessageGroupId"] == "pi_1"


@responses.activate
def test_only_super_admin_grants_admin(api, tokens):
    user = {"id": "u1", "email": "a@x.io"}
    responses.add(responses.GET, f"{AUTH}/internal/users/u1", json={**user, "role": "customer"})
    responses.add(responses.PUT, f"{AUTH}/internal/users/u1/role", json={**user, "role": "admin"})
    denied = api.put("/api/v1/admin/users/u1/role", headers=tokens.header(role="admin"), json={"role": "admin"})
    assert denied.status == 403
    assert not any(c.request.method == "PUT" for c in responses.calls)
    granted = api.put("/api/v1/admin/users/u1/role", headers=tokens.header(sub="boss", role="super_admin"),
                      json={"role": "admin"})
    assert granted.status == 200 and granted.json["role"] == "admin"
    put = [c for c in responses.calls if c.request.method == "PUT"][0]
    assert json.loads(put.request.body) == {"role": "admin"}
    assert put.request.headers["X-Service-Authorization"].startswith("svc=admin,")
    log = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="admin")).json["items"]
    assert log[0]["action"] == "user.role_changed" and log[0]["actor"] == "boss"
    assert (log[0]["before"], log[0]["after"]) == ({"role": "customer"}, {"role": "admin"})


def test_role_change_validates_input(api, tokens):
    response = api.put("/api/v1/admin/users/u1/role", headers=tokens.header(role="super_admin"), json={"role": "god"})
    assert response.status == 400 and "role" in response.json["errors"]


@responses.activate
def test_dashboard_reports_queue_depths_and_unavailable_parts(api, tokens, aws):
    responses.add(responses.GET, f"{API_BASE_URL}/api/v1/orders/internal/stats", status=503)
    responses.add(responses.GET, f"{API_BASE_URL}/api/v1/localization/rates",
                  json={"base": "USD", "rates": {}, "as_of": "2026-11-24", "source": "ecb", "stale": False})
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.get_queue_url(QueueName=aws.physical_name("AuditDLQ"))["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="x")
    body = api.get("/api/v1/admin/dashboard", headers=tokens.header(role="admin")).json
    assert body["queues"]["audit"]["dead_letters"]["visible"] == 1
    assert body["orders_by_status"] is None
    assert body["fx"] == {"available": True, "as_of": "2026-11-24", "source": "ecb", "stale": False}


@responses.activate
def test_admin_users_search_by_email_and_a_bad_cursor_is_400_not_503(api, tokens):
    """?email= reaches the auth service (it was silently ignored); auth's 400 on a cursor stays a 400."""
    from urllib.parse import parse_qs, urlparse

    responses.add(responses.GET, f"{AUTH}/internal/users", json={"items": [], "next_cursor": None})
    found = api.get("/api/v1/admin/users", headers=tokens.header(role="admin"), query={"email": "ada@"})
    assert found.status == 200
    assert parse_qs(urlparse(responses.calls[-1].request.url).query)["email"] == ["ada@"]
    responses.replace(responses.GET, f"{AUTH}/internal/users", status=400,
                      json={"type": "https://meridian.dev/problems/validation", "title": "Validation Failed",
                            "status": 400, "detail": "The request has invalid fields.",
                            "errors": {"cursor": ["The cursor is not valid."]}})
    garbage = api.get("/api/v1/admin/users", headers=tokens.header(role="admin"), query={"cursor": "garbage"})
    assert garbage.status == 400 and garbage.json["errors"] == {"cursor": ["The cursor is not valid."]}
    assert api.get("/api/v1/admin/users", headers=tokens.header(role="admin"), query={"role": "x"}).status == 400
