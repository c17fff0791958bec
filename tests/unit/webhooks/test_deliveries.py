"""Fan-out, signed attempts, retries with backoff, the retry window, the disable rule, order, manual
redelivery (the service in process; HTTP and DNS stood in for by the `hooks` fixture)."""
from __future__ import annotations

import datetime as dt
import json

import boto3
from meridian import signature
from meridian.clock import iso, utcnow


def test_fan_out_makes_one_delivery_per_enabled_subscribed_endpoint(hooks):
    paid_only = hooks.register(events=["order.paid"])
    everything = hooks.register(events=["*"])
    placed_only = hooks.register(events=["order.placed"])
    off = hooks.register(events=["*"])
    hooks.api.patch(f"/api/v1/webhooks/endpoints/{off['id']}", json={"enabled": False}, headers=hooks.admin)
    paid = hooks.bus("order.paid")
    hooks.fan_out(paid, paid, hooks.bus("product.changed"))   # the same bus event twice; a type not offered
    queued = hooks.queued()
    made = {hooks.repository.delivery(m["delivery_id"]).endpoint_id for m in queued}
    assert made == {paid_only["id"], everything["id"]}
    assert hooks.log(placed_only["id"]) == [] and hooks.log(off["id"]) == []
    assert len(hooks.log(paid_only["id"])) == 1      # a bus event delivered twice: one delivery


def test_a_delivery_is_signed_with_the_secret_shown_once(hooks):
    endpoint = hooks.register()
    event = hooks.bus("order.placed", version=1)
    hooks.fan_out(event)
    hooks.run_queue()
    [sent] = hooks.sent
    assert sent["url"] == "https://merchant.example/hooks" and sent["address"] == "93.184.215.14"
    signature.verify(sent["headers"]["Meridian-Signature"], sent["body"], endpoint["secret"])
    body = json.loads(sent["body"])
    assert body["id"] == event["detail"]["event_id"] and body["type"] == "order.placed"
    assert body["data"] == event["detail"] and body["data"]["version"] == 1 and body["api_version"]
    assert body["created"] == event["detail"]["occurred_at"]
    [logged] = hooks.log(endpoint["id"])
    assert logged["status"] == "delivered" and logged["attempts"] == 1
    assert logged["last_attempt"]["status_code"] == 200 and logged["next_attempt_at"] is None
    assert hooks.api.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=hooks.admin).json["last_success_at"]


def test_a_500_is_retried_with_backoff_and_the_log_keeps_both_attempts(hooks, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "30")
    endpoint = hooks.register()
    hooks.fan_out(hooks.bus("order.paid"))
    first = hooks.queued()
    hooks.answers = [500]
    assert hooks.deliver(*first)["batchItemFailures"] == []
    [retry] = hooks.queued()
    assert retry["generation"] == first[0]["generation"] + 1 and 0 <= retry["delay"] <= 30
    [logged] = hooks.log(endpoint["id"])
    assert logged["status"] == "retrying" and logged["attempts"] == 1 and logged["next_attempt_at"]
    assert logged["last_attempt"]["status_code"] == 500 and logged["last_attempt"]["response_excerpt"] == "boom"
    assert hooks.api.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}",
                         headers=hooks.admin).json["failing_since"] is not None
    hooks.deliver(*first)                                 # the first message again: stale, no attempt
    assert len(hooks.sent) == 1
    retry.pop("delay")
    retry.pop("not_before")
    hooks.deliver(retry)
    [logged] = hooks.log(endpoint["id"])
    assert logged["status"] == "delivered" and logged["attempts"] == 2
    assert [a["status_code"] for a in logged["history"]] == [500, 200]
    assert hooks.sent[0]["body"] == hooks.sent[1]["body"]
    assert hooks.api.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}",
                         headers=hooks.admin).json["failing_since"] is None


def test_an_early_message_is_delayed_again_until_due(hooks):
    hooks.register()
    hooks.fan_out(hooks.bus("order.paid"))
    [message] = hooks.queued()
    message.pop("delay")
    message["not_before"] = iso(utcnow() + dt.timedelta(hours=2))
    hooks.deliver(message)
    [again] = hooks.queued()
    assert hooks.sent == [] and again["delay"] >= 899 and again["not_before"] == message["not_before"]


def test_past_the_retry_window_the_delivery_fails(hooks, monkeypatch):
    endpoint = hooks.register()
    hooks.fan_out(hooks.bus("order.paid"))
    [message] = hooks.queued()
    message.pop("delay")
    delivery = hooks.repository.delivery(message["delivery_id"])
    delivery.update(actions=[hooks.repository.DeliveryModel.give_up_at.set(iso(utcnow()))])
    hooks.answers = [hooks.transport.Outcome(None, None, "TimeoutError: timed out", 10000)]
    hooks.deliver(message)
    assert hooks.queued() == []
    [logged] = hooks.log(endpoint["id"])
    assert logged["status"] == "failed" and logged["last_attempt"]["error"].startswith("TimeoutError")


def test_a_target_that_now_resolves_inside_is_not_contacted(hooks):
    endpoint = hooks.register()
    hooks.fan_out(hooks.bus("order.paid"))
    hooks.dns["merchant.example"] = ["169.254.169.254"]        # DNS changed after registration
    [message] = hooks.queued()
    message.pop("delay")
    hooks.deliver(message)
    assert hooks.sent == []
    [logged] = hooks.log(endpoint["id"])
    assert logged["status"] == "retrying" and "target refused" in logged["last_attempt"]["error"]


def test_an_endpoint_failing_longer_than_the_threshold_is_disabled_and_staff_told(hooks, aws, monkeypatch):
    endpoint = hooks.register()
    model = hooks.repository.endpoint(endpoint["id"])
    since = iso(utcnow() - dt.timedelta(hours=25))
    hooks.repository.update_endpoint(model, [hooks.repository.EndpointModel.failing_since.set(since)])
    hooks.fan_out(hooks.bus("order.paid"))
    [message] = hooks.queued()
    message.pop("delay")
    hooks.answers = [503]
    hooks.deliver(message)
    shown = hooks.api.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=hooks.admin).json
    assert shown["enabled"] is False and since in shown["disabled_reason"]
    # staff: an e-mail to the shop's staff address, and an audit entry
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert mail.destinations["ToAddresses"] == ["ops@meridian.example.com"] and "disabled" in mail.subject
    bodies = [m["Body"] for m in boto3.client("sqs", region_name="us-east-1").receive_message(
        QueueUrl=aws.queue_url("AuditQueue"), MaxNumberOfMessages=10)["Messages"]]
    assert any(json.loads(b)["detail"].get("action") == "webhook_endpoint.disabled" for b in bodies)
    # the retry queued before it was disabled makes no attempt
    [retry] = hooks.queued()
    retry.pop("delay"), retry.pop("not_before")
    hooks.deliver(retry)
    assert len(hooks.sent) == 1 and hooks.log(endpoint["id"])[0]["status"] == "failed"


def test_a_failure_within_the_threshold_does_not_disable(hooks):
    endpoint = hooks.register()
    model = hooks.repository.endpoint(endpoint["id"])
    hooks.repository.update_endpoint(model, [hooks.repository.EndpointModel.failing_since.set(
        iso(utcnow() - dt.timedelta(hours=23)))])
    hooks.fan_out(hooks.bus("order.paid"))
    hooks.answers = [500]
    message = hooks.queued()[0]
    message.pop("delay")
    hooks.deliver(message)
    assert hooks.api.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=hooks.admin).json["enabled"] is True


def test_an_orders_later_event_waits_for_the_earlier_one_still_retrying(hooks):
    endpoint = hooks.register()
    hooks.fan_out(hooks.bus("order.placed", version=1))
    [placed] = hooks.queued()
    placed.pop("delay")
    hooks.answers = [500]
    hooks.deliver(placed)                                   # v1 now retrying
    [placed_retry] = hooks.queued()
    hooks.fan_out(hooks.bus("order.paid", version=2))
    [paid] = hooks.queued()
    paid.pop("delay")
    hooks.deliver(paid)                                     # held: v1 is still retrying
    assert len(hooks.sent) == 1
    [paid_again] = hooks.queued()
    assert paid_again["generation"] == paid["generation"] and "not_before" in paid_again
    for message in (placed_retry, paid_again):
        message.pop("delay"), message.pop("not_before")
        hooks.deliver(message)
    assert [json.loads(s["body"])["type"] for s in hooks.sent] == ["order.placed", "order.placed", "order.paid"]
    assert {d["status"] for d in hooks.log(endpoint["id"])} == {"delivered"}


def test_manual_redelivery_sends_again_and_voids_older_messages(hooks):
    endpoint = hooks.register()
    hooks.fan_out(hooks.bus("order.paid"))
    hooks.run_queue()
    [logged] = hooks.log(endpoint["id"])
    response = hooks.api.post(f"/api/v1/webhooks/deliveries/{logged['id']}/redeliver", headers=hooks.admin)
    assert response.status == 202 and response.json["status"] == "pending"
    hooks.run_queue()
    [logged] = hooks.log(endpoint["id"])
    assert logged["status"] == "delivered" and logged["attempts"] == 2 and logged["history"][-1]["manual"] is True
    assert len(hooks.sent) == 2 and hooks.sent[0]["body"] == hooks.sent[1]["body"]
    assert hooks.api.post("/api/v1/webhooks/deliveries/nope/redeliver", headers=hooks.admin).status == 404
    hooks.api.patch(f"/api/v1/webhooks/endpoints/{endpoint['id']}", json={"enabled": False}, headers=hooks.admin)
    refused = hooks.api.post(f"/api/v1/webhooks/deliveries/{logged['id']}/redeliver", headers=hooks.admin)
    assert refused.status == 409
