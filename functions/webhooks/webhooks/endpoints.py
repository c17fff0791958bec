"""Registering, changing and removing merchant endpoints (admin routes).

A URL is checked by `targets.check` when it is registered or changed (refused: 400 naming `url`).
The signing secret is made and stored when the endpoint is registered and answered that once
(`secrets`). Enabling a disabled endpoint (PATCH enabled=true) forgets its failures, so it has a
whole new threshold before it can be disabled again. What an admin did is audited in the domain's
words, never with the secret.
"""
from __future__ import annotations

import uuid
from typing import Any

from meridian import audit
from meridian.clock import iso
from meridian.errors import NotFound, ValidationFailed
from meridian.pagination import decode_cursor

from . import repository, secrets, targets
from .models import EndpointModel
from .views import endpoint_view

CURSOR_PURPOSE = "webhooks-endpoints"


def checked_url(url: str) -> str:
    try:
        targets.check(url)
    except targets.TargetRefused as refused:
        raise ValidationFailed({"url": [str(refused)]}) from None
    return url


def register(body: dict[str, Any]) -> tuple[EndpointModel, str]:
    """A new enabled endpoint and its secret (the only time anyone sees it)."""
    url = checked_url(body["url"])
    endpoint_id, now, secret = str(uuid.uuid4()), iso(), secrets.new_secret()
    secret_arn = secrets.store(endpoint_id, secret)
    endpoint = EndpointModel(pk=repository.endpoint_key(endpoint_id), id=endpoint_id, gsi1sk=f"{now}#{endpoint_id}",
                             url=url, events=_events(body["events"]), description=body.get("description"),
                             enabled=True, secret_arn=secret_arn, created_at=now, updated_at=now)
    try:
        repository.add_endpoint(endpoint)
    except Exception:
        secrets.remove(secret_arn)
        raise
    audit.describe(action="webhook_endpoint.created", target=f"endpoint:{endpoint_id}", after=endpoint_view(endpoint))
    return endpoint, secret


def update(endpoint_id: str, body: dict[str, Any]) -> EndpointModel:
    endpoint = repository.endpoint(endpoint_id)
    before = endpoint_view(endpoint)
    actions = [EndpointModel.updated_at.set(iso())]
    if "url" in body:
        actions.append(EndpointModel.url.set(checked_url(body["url"])))
    if "events" in body:
        actions.append(EndpointModel.events.set(_events(body["events"])))
    if "description" in body:
        actions.append(EndpointModel.description.set(body["description"]))
    if "enabled" in body:
        actions.append(EndpointModel.enabled.set(body["enabled"]))
        if body["enabled"]:
            actions += [EndpointModel.disabled_reason.remove(), EndpointModel.disabled_at.remove(),
                        EndpointModel.failing_since.remove()]
        else:
            actions += [EndpointModel.disabled_reason.set("disabled by an admin"),
                        EndpointModel.disabled_at.set(iso())]
    if not repository.update_endpoint(endpoint, actions):
        raise NotFound(f"No webhook endpoint {endpoint_id}.")    # deleted meanwhile
    audit.describe(action="webhook_endpoint.updated", target=f"endpoint:{endpoint_id}", before=before,
                   after=endpoint_view(endpoint))
    return endpoint


def delete(endpoint_id: str) -> None:
    """The endpoint and its secret; its delivery log stays until it expires (deliveries queued for it
    are dropped)."""
    endpoint = repository.endpoint(endpoint_id)
    repository.delete_endpoint(endpoint)
    secrets.remove(endpoint.secret_arn)
    audit.describe(action="webhook_endpoint.deleted", target=f"endpoint:{endpoint_id}", before=endpoint_view(endpoint))


def list_page(limit: int, cursor: str | None) -> tuple[list[EndpointModel], dict | None]:
    return repository.endpoints_page(limit, decode_cursor(cursor, CURSOR_PURPOSE))


def _events(events: list[str]) -> list[str]:
    """Each once, in the catalog's order; "*" alone stands for every event."""
    from .catalog import ALL, EVENT_TYPES

    return [ALL] if ALL in events else [e for e in EVENT_TYPES if e in events]
