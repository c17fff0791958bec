"""The headers every HTTP response of every function carries, defined once.

On AWS there is no nginx in front of the functions, so the functions themselves set what the
local gateway used to add: the security headers, `X-Request-Id`, and CORS for the one
storefront origin (env CORS_ALLOWED_ORIGIN, from the template's StorefrontOrigin parameter).
`meridian.api.ServiceApp` applies them to every response (problem+json errors included);
function-URL handlers call `finish_response`. Locally nginx passes them through untouched
and adds its own copies only to the answers it makes itself (404, 413, 429, 502-504).
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from typing import Any

# a JSON API: nothing may be loaded, framed or referred from its responses
SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

REQUEST_ID_HEADER = "X-Request-Id"
# a client's X-Request-Id is kept when it is a plain token (the same rule as the local nginx's map)
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_SANE_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)

# CORS preflight answers: equal to template.yaml Globals.Api.Cors (a unit test keeps them equal)
CORS_ALLOW_METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
CORS_ALLOW_HEADERS = "Authorization,Content-Type,Idempotency-Key,X-Request-Id,X-CSRF-Token,Accept-Language,Cart-Token"
CORS_MAX_AGE = "600"


# ---------------------------------------------------------------------- request id
def sane_request_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _SANE_REQUEST_ID.match(value) else None


def header_value(headers: Mapping[str, Any] | None, name: str) -> Any:
    """A request header by name, whatever its case (v1 events keep the client's case, v2 lower it)."""
    wanted = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == wanted:
            return value
    return None


def request_id_for(event: Mapping[str, Any] | None, context: Any = None) -> str:
    """The incoming X-Request-Id when it is sane, else API Gateway's / the function URL's request id,
    else Lambda's aws_request_id, else a new one."""
    event = event or {}
    candidates = (header_value(event.get("headers"), REQUEST_ID_HEADER),
                  (event.get("requestContext") or {}).get("requestId"),
                  getattr(context, "aws_request_id", None))
    for candidate in candidates:
        if sane_request_id(candidate):
            return candidate
    return str(uuid.uuid4())


# ---------------------------------------------------------------------- CORS
def allowed_origin() -> str | None:
    """The one browser origin CORS admits (env CORS_ALLOWED_ORIGIN), or None."""
    origin = (os.environ.get("CORS_ALLOWED_ORIGIN") or "").strip().rstrip("/")
    return origin if origin and origin not in ("*", "null") else None


def cors_headers(request_origin: Any, *, preflight: bool = False) -> dict[str, str]:
    """CORS headers for a request from `request_origin`: the grant only when it equals the allowed origin."""
    allowed = allowed_origin()
    if allowed is None:
        return {}
    headers = {"Vary": "Origin"}    # the answer depends on Origin whenever CORS is configured
    if request_origin != allowed:
        return headers
    headers.update({"Access-Control-Allow-Origin": allowed, "Access-Control-Allow-Credentials": "true"})
    if preflight:
        headers.update({"Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
                        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
                        "Access-Control-Max-Age": CORS_MAX_AGE})
    return headers


# ---------------------------------------------------------------------- responses
def _find(headers: dict[str, Any], name: str) -> str | None:
    wanted = name.lower()
    return next((key for key in headers if key.lower() == wanted), None)


def _set(headers: dict[str, Any], name: str, value: str) -> None:
    existing = _find(headers, name)
    if existing is not None and existing != name:
        del headers[existing]
    headers[name] = value


def _add_vary(headers: dict[str, Any], value: str) -> None:
    existing = _find(headers, "Vary")
    if existing is None:
        headers["Vary"] = value
        return
    present = [v.strip().lower() for v in str(headers[existing]).split(",")]
    if value.lower() not in present and "*" not in present:
        headers[existing] = f"{headers[existing]}, {value}"


def finish_response(response: dict[str, Any], request_id: str, *, cors: Mapping[str, str] | None = None
                    ) -> dict[str, Any]:
    """Add the security headers (unless the handler set its own), X-Request-Id and `cors` to a
    Lambda proxy result (API Gateway v1 or function URL v2). Returns the same dict."""
    headers = response.get("headers")
    if not isinstance(headers, dict):
        headers = response["headers"] = {}
    multi = {k.lower() for k in (response.get("multiValueHeaders") or {})}
    for name, value in SECURITY_HEADERS.items():
        if _find(headers, name) is None and name.lower() not in multi:
            headers[name] = value
    _set(headers, REQUEST_ID_HEADER, request_id)
    for name, value in (cors or {}).items():
        if name == "Vary":
            _add_vary(headers, value)
        else:
            _set(headers, name, value)
    return response
