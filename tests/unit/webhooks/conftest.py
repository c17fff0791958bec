"""The webhooks service in process (moto): its API, its two queue consumers, DNS and HTTP stood in for.

`hooks.resolve` is the DNS (merchant.example → a public address); `hooks.sent` records what the transport
was asked to POST and `hooks.answers` (a list of transport Outcomes or status codes) says what each
attempt gets back (200 when empty)."""
from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest

from tests.lambda_testing import ApiClient, LambdaContext, TokenFactory

PUBLIC = "93.184.215.14"
URL = "https://merchant.example/hooks"


class Hooks:
    def __init__(self, aws, load_function, monkeypatch):
        self.aws = aws
        self.dns = {"merchant.example": [PUBLIC], "other.example": [PUBLIC]}
        # each function imports the service's modules anew (its own execution environment): DNS for each
        self.api = ApiClient(load_function("WebhooksFunction"))
        self._stand_in_dns(monkeypatch)
        self.fan_out_handler = load_function("WebhookFanOutFunction")
        self.deliver_handler = load_function("WebhookDeliveryFunction")   # last: its modules stay imported
        self._stand_in_dns(monkeypatch)
        import webhooks.transport as transport
        from webhooks import deliveries, policy, repository

        self.transport, self.deliveries, self.policy, self.repository = transport, deliveries, policy, repository
        self.sent: list[dict] = []
        self.answers: list = []
        monkeypatch.setattr(transport, "post", self._post)
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.tokens = TokenFactory()
        self.admin = self.tokens.header(role="admin")

    def _stand_in_dns(self, monkeypatch):
        from webhooks import targets

        monkeypatch.setattr(targets, "system_resolver", lambda host, port: self._resolve(host))

    def _resolve(self, host):
        if host not in self.dns:
            raise OSError("unknown host")
        return self.dns[host]

    def _post(self, target, body, headers, *, timeout):
        self.sent.append({"url": target.url, "address": target.addresses[0], "body": body, "headers": headers})
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, int):
            return self.transport.Outcome(answer, "ok" if answer < 300 else "boom", None, 12)
        return answer

    # ------------------------------------------------------------------ helpers
    def register(self, url=URL, events=("order.placed", "order.paid"), **extra):
        response = self.api.post("/api/v1/webhooks/endpoints", json={"url": url, "events": list(events), **extra},
                                 headers=self.admin)
        assert response.status == 201, response.json
        return response.json

    def bus(self, detail_type, order_id="o-1", version=1, event_id=None):
        detail = {"event_id": event_id or str(uuid.uuid4()), "occurred_at": "2026-12-01T10:00:00.000Z",
                  "order_id": order_id, "version": version, "status": "paid", "previous_status": "pending_payment",
                  "reason": "test", "order": {"id": order_id}, "data": {}}
        return {"detail-type": detail_type, "source": "meridian.orders", "detail": detail}

    def fan_out(self, *events):
        records = [{"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": json.dumps(e),
                    "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}
                   for e in events]
        assert self.fan_out_handler({"Records": records}, LambdaContext())["batchItemFailures"] == []

    def queued(self) -> list[dict]:
        """Take every message of the deliveries queue (delayed ones too): [{..message, delay}]."""
        url = self.aws.queue_url("WebhookDeliveriesQueue")
        out = []
        from moto.sqs.models import sqs_backends

        queue = sqs_backends["123456789012"]["us-east-1"].queues[url.rsplit("/", 1)[-1]]
        for message in list(queue._messages):
            out.append({**json.loads(message.body), "delay": max(0, round(message.delayed_until / 1000 - time.time()))})
        queue._messages.clear()
        return out

    def deliver(self, *messages) -> dict:
        records = [{"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": json.dumps(m),
                    "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}
                   for m in messages]
        return self.deliver_handler({"Records": records}, LambdaContext())

    def run_queue(self, rounds=10):
        """Deliver what is queued (ignoring delays; not_before still applies), until nothing is."""
        for _ in range(rounds):
            messages = [{k: v for k, v in m.items() if k != "delay"} for m in self.queued()]
            if not messages:
                return
            for message in messages:
                message.pop("not_before", None)
            assert self.deliver(*messages)["batchItemFailures"] == []

    def log(self, endpoint_id):
        response = self.api.get(f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=self.admin)
        assert response.status == 200, response.json
        return response.json["items"]


@pytest.fixture
def hooks(aws, load_function, monkeypatch):
    return Hooks(aws, load_function, monkeypatch)
