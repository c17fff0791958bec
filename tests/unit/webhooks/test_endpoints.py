"""The admin API of merchant endpoints: validation naming fields, the secret shown once, SSRF refusals,
enable again, delete, audit without the secret."""
from __future__ import annotations

import json

import boto3
import pytest

from .conftest import URL


def test_routes_need_an_admin(hooks):
    assert hooks.api.get("/api/v1/webhooks/endpoints").status == 401
    assert hooks.api.get("/api/v1/webhooks/endpoints", headers=hooks.tokens.header(role="customer")).status == 403
    assert hooks.api.post("/api/v1/webhooks/endpoints", json={"url": URL, "events": ["*"]},
                          headers=hooks.tokens.header(role="customer")).status == 403


def test_the_secret_is_shown_once_and_kept_only_in_secrets_manager(hooks, aws):
    created = hooks.register(description="ERP")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert created["enabled"] is True and created["events"] == ["order.placed", "order.paid"]
    one = hooks.api.get(f"/api/v1/webhooks/endpoints/{created['id']}", headers=hooks.admin)
    listed = hooks.api.get("/api/v1/webhooks/endpoints", headers=hooks.admin)
    assert one.status == 200 and "secret" not in one.json and secret not in json.dumps(one.json)
    assert [e["id"] for e in listed.json["items"]] == [created["id"]] and secret not in json.dumps(listed.json)
    stored = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId=f"unit/webhooks/endpoints/{created['id']}")
    assert stored["SecretString"] == secret
    item = hooks.repository.endpoint(created["id"])
    assert secret not in json.dumps(item.to_simple_dict())
    # the audit trail (admin.action on the bus → the audit queue) has the endpoint, never the secret
    audit_queue = aws.queue_url("AuditQueue")
    bodies = [m["Body"] for m in boto3.client("sqs", region_name="us-east-1").receive_message(
        QueueUrl=audit_queue, MaxNumberOfMessages=10)["Messages"]]
    [entry] = [json.loads(b)["detail"] for b in bodies if "webhook_endpoint.created" in b]
    assert entry["target"] == f"endpoint:{created['id']}" and entry["after"]["url"] == URL
    assert all(secret not in b for b in bodies)


@pytest.mark.parametrize("body, field", [
    ({"events": ["order.paid"]}, "url"),
    ({"url": URL}, "events"),
    ({"url": URL, "events": []}, "events"),
    ({"url": URL, "events": ["order.shipped"]}, "events.0"),
    ({"url": URL, "events": "order.paid"}, "events"),
    ({"url": URL, "events": ["*"], "description": "a\nb"}, "description"),
    ({"url": URL, "events": ["*"], "secret": "mine"}, "secret"),
    ({"url": 7, "events": ["*"]}, "url"),
    ({"url": "http://merchant.example/hooks", "events": ["*"]}, "url"),
    ({"url": "https://127.0.0.1/hooks", "events": ["*"]}, "url"),
    ({"url": "https://169.254.169.254/latest/meta-data/", "events": ["*"]}, "url"),
    ({"url": "https://[::1]/", "events": ["*"]}, "url"),
    ({"url": "https://nowhere.example/", "events": ["*"]}, "url"),
])
def test_bad_registrations_are_400_naming_the_field(hooks, body, field):
    response = hooks.api.post("/api/v1/webhooks/endpoints", json=body, headers=hooks.admin)
    assert response.status == 400, response.json
    assert field in response.json["errors"], response.json
    assert hooks.api.get("/api/v1/webhooks/endpoints", headers=hooks.admin).json["items"] == []


def test_a_host_that_now_resolves_inside_is_refused_on_change(hooks):
    created = hooks.register()
    hooks.dns["other.example"] = ["10.0.0.7"]
    response = hooks.api.patch(f"/api/v1/webhooks/endpoints/{created['id']}", json={"url": "https://other.example/"},
                               headers=hooks.admin)
    assert response.status == 400 and "url" in response.json["errors"]
    assert hooks.repository.endpoint(created["id"]).url == URL


def test_events_star_and_duplicates(hooks):
    assert hooks.register(events=["order.paid", "*"])["events"] == ["*"]
    assert hooks.register(events=["order.paid", "order.placed", "order.paid"])["events"] == ["order.placed",
                                                                                           "order.paid"]


def test_patch_disables_and_enables_again_forgetting_failures(hooks):
    created = hooks.register()
    path = f"/api/v1/webhooks/endpoints/{created['id']}"
    off = hooks.api.patch(path, json={"enabled": False}, headers=hooks.admin).json
    assert off["enabled"] is False and off["disabled_reason"]
    hooks.repository.update_endpoint(hooks.repository.endpoint(created["id"]), [
        hooks.repository.EndpointModel.failing_since.set("2026-01-01T00:00:00.000Z")])
    on = hooks.api.patch(path, json={"enabled": True, "events": ["*"], "description": "again"},
                         headers=hooks.admin).json
    assert on["enabled"] is True and on["disabled_reason"] is None and on["failing_since"] is None
    assert on["events"] == ["*"] and on["description"] == "again"
    bad = hooks.api.patch(path, json={"enabled": "yes"}, headers=hooks.admin)
    assert bad.status == 400 and "enabled" in bad.json["errors"]
    assert hooks.api.patch("/api/v1/webhooks/endpoints/nope", json={"enabled": True}, headers=hooks.admin).status == 404


def test_delete_removes_the_endpoint_and_its_secret(hooks):
    created = hooks.register()
    assert hooks.api.delete(f"/api/v1/webhooks/endpoints/{created['id']}", headers=hooks.admin).status == 204
    assert hooks.api.get(f"/api/v1/webhooks/endpoints/{created['id']}", headers=hooks.admin).status == 404
    names = [s["Name"] for s in boto3.client("secretsmanager", region_name="us-east-1").list_secrets()["SecretList"]]
    assert f"unit/webhooks/endpoints/{created['id']}" not in names
