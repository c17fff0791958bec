"""The signed link that opens a guest's order: /orders/<id>?token=<HMAC of the id with the service secret>.

Sent in the guest's order e-mails (emails.py builds the link on PublicBaseUrl with meridian.mail.link);
GET /api/v1/orders/{id}?token= answers the order to whoever holds it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from meridian import aws
from meridian.config import require_env


def _key() -> bytes:
    root = aws.secret_string(require_env("SERVICE_SECRET_ARN")).encode()
    return hmac.new(root, b"guest-order-link", hashlib.sha256).digest()


def token(order_id: str) -> str:
    mac = hmac.new(_key(), order_id.encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def valid(order_id: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(token(order_id).encode(), presented.encode())

