"""Idempotency-Key for admin creates: the same key and body replay the first response;
the same key with a different body → 422; a second request while the first is still
running → 409. Records live 24 h (table TTL on expires_at).
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from meridian import jsonutil
from meridian.errors import Conflict, Unprocessable, ValidationFailed
from pynamodb.exceptions import DoesNotExist, PutError

from .models import META, IdempotencyItem

RETENTION_SECONDS = 24 * 3600


def _fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def run_once(scope: str, key: str | None, body: Any, action: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    if key is None:
        return action()
    if not 1 <= len(key) <= 200:
        raise ValidationFailed({"Idempotency-Key": ["Must be 1 to 200 characters."]})
    pk = "IDEMPOTENCY#" + hashlib.sha256(f"{scope}|{key}".encode()).hexdigest()
    fingerprint = _fingerprint(body)
    record = IdempotencyItem(pk, META, request_hash=fingerprint, state="in_progress",
                             expires_at=int(time.time()) + RETENTION_SECONDS)
    try:
        record.save(condition=IdempotencyItem.pk.does_not_exist())
    except PutError:
        try:
            first = IdempotencyItem.get(pk, META, consistent_read=True)
        except DoesNotExist:
            raise Conflict("The request with this Idempotency-Key is being retried; try again.") from None
        if first.request_hash != fingerprint:
            raise Unprocessable("This Idempotency-Key was used with a different request body.") from None
        if first.state != "done":
            raise Conflict("A request with this Idempotency-Key is still in progress.") from None
        return int(first.status_code), json.loads(first.body)
    try:
        status, result = action()
    except Exception:
        record.delete()  # nothing was created: the key may be used again
        raise
    record.update(actions=[IdempotencyItem.state.set("done"), IdempotencyItem.status_code.set(status),
                           IdempotencyItem.body.set(jsonutil.dumps(result)), IdempotencyItem.done.set(True)])
    return status, result
