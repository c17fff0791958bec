"""The admin table's reads and writes (the append-only audit log): the only module that touches it."""
from __future__ import annotations

from typing import Any

from meridian.dynamo import applied

from .models import AUDIT_PARTITION, AuditEntry


def add_audit_entry(*, event_id: str, at: str, actor: str, action: str, target: str, before: Any = None,
                    after: Any = None, actor_email: str | None = None, request_id: str | None = None) -> bool:
    """Append one entry (key AUDIT / <at>#<event id>, written on condition that it is new): False when it exists,
    so a redelivered event is recorded once and nothing is ever overwritten."""
    entry = AuditEntry(pk=AUDIT_PARTITION, sk=f"{at}#{event_id}", event_id=event_id, at=at, actor=actor,
                       actor_email=actor_email, request_id=request_id, action=action, target=target,
                       before=before, after=after)
    return applied(lambda: entry.save(condition=AuditEntry.sk.does_not_exist()))


def audit_entries(*, limit: int, start: dict | None, action: str | None = None,
                  actor: str | None = None) -> tuple[list[AuditEntry], dict | None]:
    """A page of entries, newest first, those with exactly this `action` and `actor` when given; and the key
    to continue after it."""
    condition = None
    for attribute, wanted in ((AuditEntry.action, action), (AuditEntry.actor, actor)):
        if wanted:
            condition = (attribute == wanted) if condition is None else condition & (attribute == wanted)
    result = AuditEntry.query(AUDIT_PARTITION, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                              filter_condition=condition)
    return list(result), result.last_evaluated_key
