"""Service-to-service authentication for internal APIs.

A calling service signs `<service>.<unix time>.<METHOD>.<path>` with HMAC-SHA256 and
the platform's service secret (Secrets Manager, SERVICE_SECRET_ARN) and sends
`X-Service-Authorization: svc=<service>,t=<unix>,v1=<hex>`. Customer tokens never
satisfy `require_service`.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import time
from collections.abc import Callable
from typing import Any

from . import aws
from .errors import Forbidden, Unauthorized

HEADER = "X-Service-Authorization"
TOLERANCE_SECONDS = 60


def _secret() -> bytes:
    return aws.secret_string(os.environ["SERVICE_SECRET_ARN"]).encode()


def _mac(secret: bytes, service: str, timestamp: int, method: str, path: str) -> str:
    message = f"{service}.{timestamp}.{method.upper()}.{path}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign(service: str, method: str, path: str, *, now: int | None = None) -> str:
    timestamp = int(now if now is not None else time.time())
    return f"svc={service},t={timestamp},v1={_mac(_secret(), service, timestamp, method, path)}"


def verify(header: str | None, method: str, path: str, *, now: int | None = None) -> str:
    """The calling service's name when `header` is a valid signature; Unauthorized otherwise."""
    if not header:
        raise Unauthorized("This internal API needs service authentication.")
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        service, timestamp, signature = fields["svc"], int(fields["t"]), fields["v1"]
    except (ValueError, KeyError):
        raise Unauthorized("Malformed service signature.") from None
    current = int(now if now is not None else time.time())
    if abs(current - timestamp) > TOLERANCE_SECONDS:
        raise Unauthorized("Service signature outside the allowed time window.")
    expected = _mac(_secret(), service, timestamp, method, path)
    if not hmac.compare_digest(expected, signature):
        raise Unauthorized("Bad service signature.")
    return service


def require_service(*allowed: str) -> Callable:
    """View decorator for internal APIs: only the named sibling services may call."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from .api import current_request

            request = current_request()
            path = request.to_original_event().get("path") or request.path
            caller = verify((request.headers or {}).get(HEADER.lower()), request.method, path)
            if allowed and caller not in allowed:
                raise Forbidden(f"Service {caller} may not call this API.")
            return view(*args, **kwargs)

        return guarded

    return decorate
