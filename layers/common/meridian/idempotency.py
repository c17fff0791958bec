"""Idempotency-Key for admin writes, in the service's own table (pk `IDEMPOTENCY#<hash>`, sk META).

The same key with the same request replays the first response (status and body) and does nothing
again: no second write, no second gateway call, no second move. The same key with a different
request (another body, another target) → 422; a second request while the first is still running
→ 409. A request that fails frees its key. Records live 24 h (the table's TTL on `expires_at`).
Each service declares the record model on its table with `record_model(TABLE_NAME)`.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from . import jsonutil
from .dynamo import table_meta
from .errors import Conflict, Unprocessable, ValidationFailed

RETENTION_SECONDS = 24 * 3600
SORT_KEY = "META"


def record_model(table_name: str) -> type[Model]:
    """The idempotency record's model on `table_name` (a table keyed pk/sk)."""

    class IdempotencyItem(Model):
        Meta = table_meta(table_name)

        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True, default=SORT_KEY)
        request_hash = UnicodeAttribute()
        state = UnicodeAttribute()              # in_progress | done
        status_code = NumberAttribute(null=True)
        body = UnicodeAttribute(null=True)
        expires_at = NumberAttribute()
        done = BooleanAttribute(default=False)

    return IdempotencyItem


def _fingerprint(request: Any) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def run_once(model: type[Model], scope: str, key: str | None, request: Any,
             action: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """(status, body) of `action`, run at most once per (scope, key); `request` is what must match on replay."""
    if key is None:
        return action()
    if not 1 <= len(key) <= 200:
        raise ValidationFailed({"Idempotency-Key": ["Must be 1 to 200 characters."]})
    pk = "IDEMPOTENCY#" + hashlib.sha256(f"{scope}|{key}".encode()).hexdigest()
    fingerprint = _fingerprint(request)
    record = model(pk, SORT_KEY, request_hash=fingerprint, state="in_progress",
                   expires_at=int(time.time()) + RETENTION_SECONDS)
    try:
        record.save(condition=model.pk.does_not_exist())
    except PutError:
        try:
            first = model.get(pk, SORT_KEY, consistent_read=True)
        except DoesNotExist:
            raise Conflict("The request with this Idempotency-Key is being retried; try again.") from None
        if first.request_hash != fingerprint:
            raise Unprocessable("This Idempotency-Key was used with a different request.") from None
        if first.state != "done":
            raise Conflict("A request with this Idempotency-Key is still in progress.") from None
        return int(first.status_code), json.loads(first.body)
    try:
        status, result = action()
    except Exception:
        record.delete()  # nothing was done: the key may be used again
        raise
    record.update(actions=[model.state.set("done"), model.status_code.set(status),
                           model.body.set(jsonutil.dumps(result)), model.done.set(True)])
    return status, result
