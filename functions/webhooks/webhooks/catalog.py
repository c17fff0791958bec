"""What merchants can subscribe to and what they receive.

The events are the orders service's (the shared contract: Source `meridian.orders`); "*" subscribes to
every one, those added later included. A delivery's body is

    {"id": <event id>, "type": <detail-type>, "created": <occurred_at>, "api_version": API_VERSION,
     "data": <the event's detail>}

and `data.version` is the order's version (it grows by one with every change of the order), so a
receiver can always put an order's events in order and drop what it has seen (`id`).
"""
from __future__ import annotations

import json
from typing import Any

SOURCE = "meridian.orders"
API_VERSION = "2026-12-01"
ALL = "*"
EVENT_TYPES = (
    "order.placed", "order.paid", "order.partially_fulfilled", "order.fulfilled", "order.cancelled",
    "order.partially_refunded", "order.refunded", "order.payment_failed",
    "return.requested", "return.approved", "return.rejected", "return.received", "return.refunded",
)
SUBSCRIBABLE = (ALL, *EVENT_TYPES)


def subscribed(events: list[str], event_type: str) -> bool:
    return ALL in events or event_type in events


def payload(event_type: str, detail: dict[str, Any]) -> str:
    """The JSON body every attempt of this event's delivery sends (the same bytes each time)."""
    return json.dumps({"id": detail["event_id"], "type": event_type, "created": detail.get("occurred_at"),
                       "api_version": API_VERSION, "data": detail}, separators=(",", ":"), sort_keys=True)
