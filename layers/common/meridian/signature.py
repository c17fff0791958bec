"""The one webhook signature rule: `<header>: t=<unix>,v1=<hex>[,v1=<hex>…]`, Stripe's scheme.

v1 is HMAC-SHA256 of "<t>.<raw body>" under the endpoint's signing secret (the whole
`whsec_…` string is the key, as Stripe uses it). A signature is valid when one v1 matches
(constant-time compare) and t is within the tolerance of now, either way. Several v1
values arrive while an endpoint's secret is being rolled: any one of them matching is enough.
Other schemes (v0, Stripe's test-mode scheme) are ignored.

Both directions use it: the payments service verifies what card gateways send
(`Stripe-Signature`), the webhooks service signs what merchants receive (`Meridian-Signature`),
so a merchant verifies our deliveries exactly as we verify Stripe's.
"""
from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "v1"


class InvalidSignature(Exception):
    pass


def compute(secret: str, timestamp: int, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def sign(secret: str, raw_body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for `raw_body` signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},{SCHEME}={compute(secret, t, raw_body)}"


def verify(header: str | None, raw_body: bytes, secret: str, *, tolerance: int = 300,
           now: int | None = None) -> int:
    """The signed timestamp when `header` is a valid signature of `raw_body`; InvalidSignature otherwise."""
    if not header:
        raise InvalidSignature("missing signature header")
    if not secret:
        raise InvalidSignature("no webhook secret is configured")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            if timestamp is not None or not (value.isascii() and value.isdigit()):
                raise InvalidSignature("malformed timestamp")
            timestamp = int(value)
        elif key == SCHEME and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    expected = compute(secret, timestamp, raw_body)
    # every candidate is compared (no early exit), each in constant time
    matched = [hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates]
    if not any(matched):
        raise InvalidSignature("no matching signature")
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance")
    return timestamp
