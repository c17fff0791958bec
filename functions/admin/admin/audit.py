"""Recording and reading the audit log. Entries are only ever added, never changed."""
from __future__ import annotations

import uuid
from typing import Any

from meridian.clock import iso
from meridian.pagination import decode_cursor, page
from pynamodb.exceptions import PutError

from .models import AUDIT_PARTITION, AuditEntry

CURSOR_PURPOSE = "admin-audit"


def record(*, actor: str, action: str, target: str, before: Any = None, after: Any = None,
           event_id: str | None = None, at: str | None = None) -> bool:
    """Append one entry; the same event id is written once (returns False on a repeat)."""
    event_id = event_id or str(uuid.uuid4())
    at = at or iso()
    entry = AuditEntry(pk=AUDIT_PARTITION, sk=f"{at}#{event_id}", event_id=event_id, at=at, actor=actor,
                       action=action, target=target, before=before, after=after)
    try:
        entry.save(condition=AuditEntry.sk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def record_platform_event(detail_type: str, detail: dict[str, Any]) -> bool:
    """An audit entry from a bus event (product.changed, fx.rates.refreshed); the detail's own
    `action` (e.g. product.created) is more precise than the event's type when it has one."""
    return record(
        actor=str(detail.get("actor") or "system"),
        action=str(detail.get("action") or detail_type),
        target=str(detail.get("target") or detail.get("product_id") or detail.get("user_id")
                   or detail.get("snapshot_id") or "-"),
        before=detail.get("before"),
        after=detail.get("after") if "after" in detail else
        {k: v for k, v in detail.items() if k not in ("event_id", "occurred_at", "actor")},
        event_id=detail.get("event_id"),
        at=detail.get("occurred_at"),
    )


def list_entries(limit: int, cursor: str | None, *, action: str | None = None, actor: str | None = None) -> dict:
    """Newest first; `action` and `actor` filter exactly (a cursor is bound to its filters)."""
    purpose = f"{CURSOR_PURPOSE}:{action or ''}:{actor or ''}"
    start = decode_cursor(cursor, purpose)
    condition = None
    for attribute, wanted in ((AuditEntry.action, action), (AuditEntry.actor, actor)):
        if wanted:
            condition = (attribute == wanted) if condition is None else condition & (attribute == wanted)
    result = AuditEntry.query(AUDIT_PARTITION, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                              filter_condition=condition)
    items = [{"at": e.at, "actor": e.actor, "action": e.action, "target": e.target, "before": e.before,
              "after": e.after, "event_id": e.event_id} for e in result]
    return page(items, result.last_evaluated_key, purpose)
