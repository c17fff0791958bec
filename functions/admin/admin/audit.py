"""Recording and reading the audit log. Entries are only ever added, never changed: the API has no
route that edits or deletes one, and the only writer is the audit function fed by the bus."""
from __future__ import annotations

import uuid
from typing import Any

from meridian.clock import iso
from meridian.pagination import decode_cursor

from . import repository
from .models import AuditEntry

CURSOR_PURPOSE = "admin-audit"


def record(*, actor: str, action: str, target: str, before: Any = None, after: Any = None,
           event_id: str | None = None, at: str | None = None, actor_email: str | None = None,
           request_id: str | None = None) -> bool:
    """Append one entry; the same event id is written once (returns False on a repeat)."""
    return repository.add_audit_entry(event_id=event_id or str(uuid.uuid4()), at=at or iso(), actor=actor,
                                      action=action, target=target, before=before, after=after,
                                      actor_email=actor_email, request_id=request_id)


# automated money movements: the payments service's bus events, recorded as the system's doing
MONEY_MOVEMENTS = ("payment.succeeded", "payment.refunded")
_MONEY_FIELDS = ("order_id", "status", "amount", "refunded_amount", "fully_refunded", "gateway_event_id")


def record_platform_event(detail_type: str, detail: dict[str, Any]) -> bool:
    """An audit entry from a bus event: an admin action (`meridian.audit`: its detail is the entry),
    a money movement (payment.succeeded / payment.refunded) or fx.rates.refreshed."""
    if detail_type in MONEY_MOVEMENTS:
        action, target = detail_type, f"payment:{detail.get('payment_id')}"
        actor, before, after = "system:payments", None, {k: detail.get(k) for k in _MONEY_FIELDS}
    else:
        action = str(detail.get("action") or detail_type)
        target = str(detail.get("target") or detail.get("snapshot_id") or "-")
        actor, before = str(detail.get("actor") or "system"), detail.get("before")
        after = detail["after"] if "after" in detail else {
            k: v for k, v in detail.items() if k not in ("event_id", "occurred_at", "actor")}
    return record(actor=actor, action=action, target=target, before=before, after=after,
                  event_id=detail.get("event_id"), at=detail.get("occurred_at"),
                  actor_email=detail.get("actor_email"), request_id=detail.get("request_id"))


def cursor_purpose(action: str | None, actor: str | None) -> str:
    """A cursor is bound to the filters it was made with."""
    return f"{CURSOR_PURPOSE}:{action or ''}:{actor or ''}"


def list_entries(limit: int, cursor: str | None, *, action: str | None = None,
                 actor: str | None = None) -> tuple[list[AuditEntry], dict | None]:
    """Newest first; `action` and `actor` filter exactly. The entries and the key after them."""
    start = decode_cursor(cursor, cursor_purpose(action, actor))
    return repository.audit_entries(limit=limit, start=start, action=action, actor=actor)
