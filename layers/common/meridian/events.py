"""Publishing domain events on the platform EventBridge bus.

Consumers never subscribe a Lambda to the bus directly: rules in template.yaml
target SQS queues (with DLQs) that feed the consuming functions.
"""
from __future__ import annotations

import os
import uuid
from typing import Any

from . import aws, jsonutil
from .clock import iso


def publish(source_service: str, detail_type: str, detail: dict[str, Any]) -> str:
    event_id = str(uuid.uuid4())
    body = {"event_id": event_id, "occurred_at": iso(), **detail}
    response = aws.client("events").put_events(
        Entries=[{
            "Source": f"meridian.{source_service}",
            "DetailType": detail_type,
            "Detail": jsonutil.dumps(body),
            "EventBusName": os.environ["EVENT_BUS_NAME"],
        }]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge refused {detail_type}: {response['Entries']}")
    return event_id


def detail_of(sqs_record_body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(detail-type, detail) of an EventBridge event delivered through SQS."""
    return sqs_record_body["detail-type"], sqs_record_body["detail"]
