"""The admin table: the append-only audit log."""
from __future__ import annotations

from meridian.config import require_env
from meridian.dynamo import table_meta
from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.models import Model

AUDIT_PARTITION = "AUDIT"


class AuditEntry(Model):
    """One admin action or automated money movement.
    Key: pk=AUDIT, sk=<at>#<event id> (newest last; listed newest first)."""

    Meta = table_meta(require_env("TABLE_NAME"))

    pk = UnicodeAttribute(hash_key=True, default=AUDIT_PARTITION)
    sk = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    actor_email = UnicodeAttribute(null=True)
    request_id = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
