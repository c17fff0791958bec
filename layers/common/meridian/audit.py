"""The audit trail of admin actions: every non-GET an admin or super_admin makes is recorded.

Nothing to remember in each view: `ServiceApp` calls `record_admin_action` once a view answered
2xx to a request whose verified principal is an admin or super_admin (`is_admin_action`). It puts one `admin.action`
event on the platform bus (template.yaml's AuditEventsRule → audit queue → the admin service's
audit log) with the actor (id, e-mail, role), the action, its target, before, after and the
request id.

The code doing the work may say more with `describe` (products do: `product.updated` with the
product before and after); otherwise the action is `<service>.<view>` (e.g. `orders.fulfil_order`),
the target `<kind>:<id>` of the route's first path parameter (e.g. `order:…`), `before` empty and
`after` the response body. Secrets are redacted (`meridian.redaction`); a body too large for an
event is replaced by a note of its size.

The action is done when its event is published: a bus that still refuses after three tries is
logged and counted (`AuditPublishFailed`), never turned into an error for a change already made.
"""
from __future__ import annotations

from typing import Any

from . import events, jsonutil, resilience
from .observability import count, logger
from .redaction import redacted

DETAIL_TYPE = "admin.action"
MAX_RECORD_BYTES = 64 * 1024   # of before + after; EventBridge takes 256 KiB an event
_DESCRIBED = "_meridian_audit"


def describe(*, action: str | None = None, target: str | None = None, before: Any = None, after: Any = None) -> None:
    """What the current admin request did, in the domain's words (outside a request: nothing)."""
    from .api import current_request

    try:
        request = current_request()
    except (AttributeError, TypeError):
        return
    if request is not None:
        setattr(request, _DESCRIBED, {"action": action, "target": target, "before": before, "after": after})


def is_admin_action(request, status: int) -> bool:
    """A 2xx to a non-GET whose verified principal is an admin or super_admin."""
    who = getattr(request, "_meridian_principal", None)
    return (request.method not in ("GET", "HEAD", "OPTIONS") and 200 <= status < 300
            and who is not None and who.is_at_least("admin"))


def record_admin_action(*, service: str, view: str, request, path_params: dict[str, str], status: int,
                        body: Any, request_id: str | None) -> None:
    """Publish the admin action `is_admin_action` found (see the module's documentation)."""
    who = request._meridian_principal
    said = getattr(request, _DESCRIBED, None) or {}
    before = redacted(said.get("before"))
    after = redacted(said["after"] if said.get("after") is not None else body)
    size = len(jsonutil.dumps([before, after]))
    if size > MAX_RECORD_BYTES:
        before, after = None, {"omitted": f"{size} bytes, over {MAX_RECORD_BYTES}"}
    detail = {"action": said.get("action") or f"{service}.{view}",
              "target": said.get("target") or _target(path_params, service),
              "actor": who.user_id, "actor_email": who.email, "actor_role": who.role,
              "before": before, "after": after, "request_id": request_id,
              "request": f"{request.method} {request.context.get('resourcePath', '')}", "status": status}
    try:
        resilience.retry(lambda: events.publish(service, DETAIL_TYPE, detail), attempts=3, base=0.05, cap=0.3)
    except Exception:  # noqa: BLE001 - the change is made; losing its record must be loud, not fatal
        logger.exception("could not publish an admin action", extra={"action": detail["action"],
                                                                       "target": detail["target"]})
        count("AuditPublishFailed", service=service)


def _target(path_params: dict[str, str], service: str) -> str:
    """`order:<id>` from {order_id: …}; the service when the route has no path parameter."""
    for name, value in path_params.items():
        return f"{name.removesuffix('_id')}:{value}"
    return service
