"""Stripe-style webhook signatures: `Payment-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`.

v1 is HMAC-SHA256 of "<t>.<raw body>" under the webhook secret. A signature is valid
when one v1 matches (constant-time compare) and t is within the tolerance of now.
"""
from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Payment-Signature"


class InvalidSignature(Exception):
    pass


def compute(secret: str, timestamp: int, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def sign(secret: str, raw_body: bytes, *, timestamp: int | None = None) -> str:
    """The header value a gateway sends (used by tests and the sandbox's twin)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={compute(secret, t, raw_body)}"


def verify_webhook_signature(header: str | None, raw_body: bytes, secret: str, *, tolerance: int = 300,
                             now: int | None = None) -> int:
    """The signed timestamp when `header` is a valid signature of `raw_body`; InvalidSignature otherwise."""
    if not header:
        raise InvalidSignature("missing signature header")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise InvalidSignature("malformed timestamp") from None
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = compute(secret, timestamp, raw_body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("no matching signature")
    return timestamp
