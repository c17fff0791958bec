"""What the admin API answers (audit entries, dashboard, dead letters → answer dicts)."""
from __future__ import annotations

import json
from typing import Any

from meridian.dead_letters import FAILED_AT, LAST_ERROR, RECEIVE_COUNT
from meridian.pagination import page
from meridian.redaction import redacted

from .models import AuditEntry


def audit_entry_view(entry: AuditEntry) -> dict[str, Any]:
    return {"at": entry.at, "actor": entry.actor, "actor_email": entry.actor_email, "action": entry.action,
            "target": entry.target, "before": entry.before, "after": entry.after, "request_id": entry.request_id,
            "event_id": entry.event_id}


def audit_page(entries: list[AuditEntry], next_key: dict | None, cursor_purpose: str) -> dict[str, Any]:
    return page([audit_entry_view(e) for e in entries], next_key, cursor_purpose)


def dashboard_view(orders: dict, fx: dict, queue_depths: dict) -> dict[str, Any]:
    """Parts from their owners (`available` False: that owner did not answer)."""
    return {
        "orders_by_status": orders.get("orders_by_status") if orders["available"] else None,
        "revenue": orders.get("revenue") if orders["available"] else None,
        "revenue_breakdown": orders.get("revenue_breakdown") if orders["available"] else None,
        "fx": {"available": fx["available"], "as_of": fx.get("as_of"), "source": fx.get("source"),
               "stale": fx.get("stale")},
        "queues": queue_depths,
    }


def _preview(body: str) -> object:
    try:
        return redacted(json.loads(body))
    except ValueError:
        return redacted(body[:2000])


def dead_letter_view(queue_name: str, message: dict) -> dict[str, Any]:
    """An SQS message of a dead-letter queue as admins see it: redacted, with why it failed (`last_error` is
    None for a message SQS moved by itself: its consumer's handover did not happen)."""
    said = {k: v.get("StringValue") for k, v in (message.get("MessageAttributes") or {}).items()}
    return {"queue": queue_name, "message_id": message["MessageId"], "body": _preview(message["Body"]),
            "last_error": said.get(LAST_ERROR),
            "failed_at": said.get(FAILED_AT),
            "receive_count": int(said.get(RECEIVE_COUNT) or message["Attributes"].get("ApproximateReceiveCount", 0)),
            "first_sent_at": message["Attributes"].get("SentTimestamp")}


def dead_letter_list(found: list[tuple[str, dict]]) -> dict[str, Any]:
    return {"items": [dead_letter_view(queue_name, message) for queue_name, message in found]}
