import json
import uuid

import boto3
import pytest
import responses

from tests.lambda_testing import ApiClient, LambdaContext, TokenFactory

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


def deliver_audit_events(load_function, aws) -> int:
    """What the bus put on the audit queue, through the audit function (as the local runtime's poller does)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url, handler, delivered = aws.queue_url("AuditQueue"), load_function("AdminAuditFunction"), 0
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                              "eventSource": "aws:sqs", "eventSourceARN": "arn", "awsRegion": "us-east-1"}
                             for m in batch]}
        assert handler(event, LambdaContext())["batchItemFailures"] == []
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        delivered += len(batch)
    return delivered


def bus_event(detail_type, detail):
    return {"detail-type": detail_type, "source": "meridian.products", "detail": detail}


def test_admin_routes_need_admin(api, tokens):
    assert api.get("/api/v1/admin/audit-log").status == 401
    response = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="customer"))
    assert response.status == 403
    assert response.headers["content-type"] == "application/problem+json"


def admin_action(event_id, at, *, actor="admin-1", action="product.updated", target="product:p1", **detail):
    return bus_event("admin.action", {"event_id": event_id, "occurred_at": at, "actor": actor,
                                      "actor_email": f"{actor}@example.com", "action": action, "target": target,
                                      "request_id": f"req-{event_id}", **detail})


def test_audit_events_recorded_once_and_listed_newest_first(load_function, tokens):
    handler = load_function("AdminAuditFunction")
    first = admin_action("e1", "2026-01-01T00:00:00.000Z", action="product.created", before=None,
                         after={"name": "Mug"})
    second = admin_action("e2", "2026-01-02T00:00:00.000Z", before={"name": "Mug"}, after={"name": "Cup"})
    result = handler(sqs_event(first, second, first), LambdaContext())
    assert result["batchItemFailures"] == []
    api = ApiClient(load_function("AdminFunction"))
    body = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="admin")).json
    assert [e["event_id"] for e in body["items"]] == ["e2", "e1"]
    assert body["items"][0] == {"at": "2026-01-02T00:00:00.000Z", "actor": "admin-1",
                                "actor_email": "admin-1@example.com", "action": "product.updated",
                                "target": "product:p1", "before": {"name": "Mug"}, "after": {"name": "Cup"},
                                "request_id": "req-e2", "event_id": "e2"}


def test_money_movements_are_audited_as_the_systems(load_function, tokens):
    """payment.succeeded / payment.refunded (the payments service's bus events) are audit entries too."""
    handler = load_function("AdminAuditFunction")
    eur = {"amount": "9.99", "currency": "EUR"}
    paid = {"event_id": "m1", "occurred_at": "2026-01-03T00:00:00.000Z", "payment_id": "pay-1", "order_id": "o-1",
            "user_id": "u-1", "intent_id": "pi_1", "status": "succeeded", "amount": eur,
            "refunded_amount": {"amount": "0.00", "currency": "EUR"}, "fully_refunded": False, "reason": None,
            "gateway_event_id": "evt_1"}
    refunded = {**paid, "event_id": "m2", "occurred_at": "2026-01-04T00:00:00.000Z", "status": "refunded",
                "refunded_amount": eur, "fully_refunded": True,
                "gateway_event_id": "evt_2"}
    events = [{"detail-type": t, "source": "meridian.payments", "detail": d}
              for t, d in (("payment.succeeded", paid), ("payment.refunded", refunded))]
    assert handler(sqs_event(*events), LambdaContext())["batchItemFailures"] == []
    api = ApiClient(load_function("AdminFunction"))
    items = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="admin")).json["items"]
    assert [(e["action"], e["actor"], e["target"]) for e in items] == [
        ("payment.refunded", "system:payments", "payment:pay-1"),
        ("payment.succeeded", "system:payments", "payment:pay-1")]
    assert items[0]["after"]["refunded_amount"] == eur
    assert items[1]["after"] == {"order_id": "o-1", "status": "succeeded", "amount": eur,
                                 "refunded_amount": {"amount": "0.00", "currency": "EUR"}, "fully_refunded": False,
                                 "gateway_event_id": "evt_1"}


def test_audit_log_filters_by_action_and_actor_and_refuses_unknown_parameters(load_function, tokens):
    handler = load_function("AdminAuditFunction")
    events = [admin_action(f"p{i}", f"2026-01-01T00:00:0{i}.000Z", actor=f"admin-{i % 2}", target=f"product:{i}")
              for i in range(4)]
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
def test_only_super_admin_grants_admin(api, tokens, load_function, aws):
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
    assert deliver_audit_events(load_function, aws) == 1       # the refused change is not an action
    log = api.get("/api/v1/admin/audit-log", headers=tokens.header(role="admin")).json["items"]
    assert log[0]["action"] == "user.role_changed" and log[0]["actor"] == "boss" and log[0]["target"] == "user:u1"
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
    assert body["orders_by_status"] is None and body["revenue_breakdown"] is None
    assert body["fx"] == {"available": True, "as_of": "2026-11-24", "source": "ecb", "stale": False}


@responses.activate
def test_dashboard_passes_on_revenue_gross_refunded_and_net(api, tokens, aws):
    figures = {"EUR": {"gross": "100.00", "refunded": "30.00", "net": "70.00"}}
    responses.add(responses.GET, f"{API_BASE_URL}/api/v1/orders/internal/stats",
                  json={"orders_by_status": {"paid": 1, "partially_refunded": 1}, "revenue": {"EUR": "70.00"},
                        "revenue_breakdown": figures})
    responses.add(responses.GET, f"{API_BASE_URL}/api/v1/localization/rates", status=503)
    body = api.get("/api/v1/admin/dashboard", headers=tokens.header(role="admin")).json
    assert body["revenue_breakdown"] == figures and body["revenue"] == {"EUR": "70.00"}
    assert body["orders_by_status"] == {"paid": 1, "partially_refunded": 1}


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


def test_dead_letters_say_why_they_failed_and_one_can_be_redriven_alone(api, tokens, aws):
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq, source = aws.queue_url("OrderEmailDLQ"), aws.queue_url("OrderEmailQueue")
    explained = {"meridian-last-error": {"DataType": "String", "StringValue": "SESError: address rejected"},
                 "meridian-failed-at": {"DataType": "String", "StringValue": "2026-11-30T10:00:00.000Z"},
                 "meridian-receive-count": {"DataType": "Number", "StringValue": "3"},
                 "trace": {"DataType": "String", "StringValue": "t-9"}}
    wanted = sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"order": 1}), MessageAttributes=explained)
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"order": 2}))     # moved by SQS itself: no reason
    admin = tokens.header(role="admin")
    listed = {m["body"]["order"]: m for m in api.get("/api/v1/admin/dead-letters", headers=admin,
                                                       query={"queue": "order-email"}).json["items"]}
    assert (listed[1]["last_error"], listed[1]["failed_at"], listed[1]["receive_count"]) == (
        "SESError: address rejected", "2026-11-30T10:00:00.000Z", 3)
    assert listed[2]["last_error"] is None and listed[2]["failed_at"] is None

    one = api.post(f"/api/v1/admin/dead-letters/order-email/{wanted['MessageId']}/redrive", headers=admin)
    assert one.status == 200 and one.json == {"moved": {"order-email": 1}}
    [back] = sqs.receive_message(QueueUrl=source, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(back["Body"]) == {"order": 1}
    assert set(back["MessageAttributes"]) == {"trace"}           # a fresh attempt: the old reason is dropped
    left = api.get("/api/v1/admin/dead-letters", headers=admin, query={"queue": "order-email"}).json["items"]
    assert [m["body"] for m in left] == [{"order": 2}]           # the other one is still there, visible at once

    again = api.post(f"/api/v1/admin/dead-letters/order-email/{wanted['MessageId']}/redrive", headers=admin)
    assert again.status == 404
    assert api.post(f"/api/v1/admin/dead-letters/nope/{wanted['MessageId']}/redrive", headers=admin).status == 404


def test_the_audit_log_cannot_be_changed_through_the_api(api, tokens):
    admin = tokens.header(role="super_admin")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = api.request(method, "/api/v1/admin/audit-log", headers=admin, json={})
        assert response.status == 405 and response.headers["allow"] == "GET", method
