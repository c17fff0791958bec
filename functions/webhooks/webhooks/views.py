"""What the webhooks API answers (endpoint and delivery models → answer dicts). The secret is never
here: the registering route adds it to its one answer."""
from __future__ import annotations

from typing import Any

from .models import Attempt, DeliveryModel, EndpointModel


def endpoint_view(endpoint: EndpointModel) -> dict[str, Any]:
    return {"id": endpoint.id, "url": endpoint.url, "events": list(endpoint.events),
            "description": endpoint.description, "enabled": endpoint.enabled,
            "disabled_reason": endpoint.disabled_reason, "disabled_at": endpoint.disabled_at,
            "failing_since": endpoint.failing_since, "last_success_at": endpoint.last_success_at,
            "created_at": endpoint.created_at, "updated_at": endpoint.updated_at}


def registered_view(endpoint: EndpointModel, secret: str) -> dict[str, Any]:
    return {**endpoint_view(endpoint), "secret": secret}


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    return {"at": attempt.at, "status_code": None if attempt.status_code is None else int(attempt.status_code),
            "response_excerpt": attempt.response_excerpt, "error": attempt.error,
            "duration_ms": int(attempt.duration_ms), "manual": bool(attempt.manual)}


def delivery_view(delivery: DeliveryModel) -> dict[str, Any]:
    history = list(delivery.history or [])
    return {"id": delivery.id, "endpoint_id": delivery.endpoint_id, "event_id": delivery.event_id,
            "event_type": delivery.event_type, "order_id": delivery.order_id,
            "order_version": None if delivery.order_version is None else int(delivery.order_version),
            "status": delivery.status, "attempts": int(delivery.attempts),
            "last_attempt": attempt_view(history[-1]) if history else None,
            "history": [attempt_view(a) for a in history],
            "next_attempt_at": delivery.next_attempt_at, "created_at": delivery.created_at,
            "updated_at": delivery.updated_at}
