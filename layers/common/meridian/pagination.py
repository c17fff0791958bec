"""List pagination: `?limit=` (1–100, default 20) and an opaque, tamper-proof `?cursor=`.

A cursor is the DynamoDB ExclusiveStartKey, JSON-encoded, signed with HMAC-SHA256 under a
key derived from the platform's service secret (SERVICE_SECRET_ARN, which template.yaml gives
every function: without it, paging fails loudly with the variable's name, as config does), and
base64url-encoded. A cursor that was not issued by us (edited, forged, truncated) is a 400.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from .config import require_env
from .errors import ValidationFailed

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def page_limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed({"limit": [f"Must be an integer from 1 to {MAX_LIMIT}."]}) from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationFailed({"limit": [f"Must be an integer from 1 to {MAX_LIMIT}."]})
    return value


def _key(purpose: str) -> bytes:
    from . import aws

    root = aws.secret_string(require_env("SERVICE_SECRET_ARN")).encode()
    return hmac.new(root, f"cursor:{purpose}".encode(), hashlib.sha256).digest()


def encode_cursor(last_key: dict[str, Any] | None, purpose: str) -> str | None:
    if not last_key:
        return None
    payload = json.dumps(last_key, sort_keys=True, separators=(",", ":")).encode()
    mac = hmac.new(_key(purpose), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")


def decode_cursor(cursor: str | None, purpose: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    invalid = ValidationFailed({"cursor": ["The cursor is not valid."]})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise invalid from None
    mac, payload = raw[:16], raw[16:]
    if len(mac) != 16 or not hmac.compare_digest(mac, hmac.new(_key(purpose), payload, hashlib.sha256).digest()[:16]):
        raise invalid
    try:
        value = json.loads(payload)
    except ValueError:
        raise invalid from None
    if not isinstance(value, dict):
        raise invalid
    return value


def page(items: list, next_key: dict | None, purpose: str) -> dict:
    return {"items": items, "next_cursor": encode_cursor(next_key, purpose)}
