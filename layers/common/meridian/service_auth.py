"""Service-to-service authentication for internal APIs.

The calling service signs, with HMAC-SHA256 and the platform's service secret (Secrets
Manager, SERVICE_SECRET_ARN), the canonical request

    meridian-service-v1
    <calling service>
    <unix time>
    <nonce>
    <METHOD>
    <path relative to the API root, e.g. /api/v1/products/internal/reservations>
    <query: key=value pairs, each URL-encoded, sorted, joined with &>
    <SHA-256 hex of the body (of b"" when there is none)>

and sends `X-Service-Authorization: svc=<service>,t=<unix>,n=<nonce>,v1=<hex>`.

The path is relative to the API root, never the URL's full path: on AWS the URL has the
stage (`https://<id>.execute-api.<region>.amazonaws.com/Prod/api/v1/...`) while the
receiving function's event `path` has not (`/api/v1/...`). The client signs its URL path
minus the base URL's path (`meridian.clients` does this); the receiver checks the event's
`path`. Paths and query pairs are compared decoded and re-encoded one way, so either side
may hold them percent-encoded or not.

The receiver (`require_service`) refuses with 401 problem+json: a missing, malformed or
wrong signature (any change to method, path, query or body), a time outside ±60 s of its
clock, and a nonce it has accepted before. Accepted nonces are recorded in the receiving
service's own DynamoDB table (TABLE_NAME) with a conditional put, as
`pk = service-nonce#<nonce>, sk = service-nonce` (no other item of any service starts its pk
with `service-nonce#`), with the epoch second after which the nonce can no longer pass the
time check under `expires_at` and `ttl` (whichever is the table's TTL attribute removes it).
Customer tokens never satisfy `require_service`.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from . import aws
from .errors import Forbidden, ServiceUnavailable, Unauthorized

HEADER = "X-Service-Authorization"
SCHEME = "meridian-service-v1"
TOLERANCE_SECONDS = 60
NONCE_PREFIX = "service-nonce#"
NONCE_SK = "service-nonce"
NONCE_TTL_ATTRIBUTES = ("expires_at", "ttl")  # the nonce item's expiry, under each TTL attribute name in use
NONCE_RETENTION_SECONDS = TOLERANCE_SECONDS + 300  # kept past the window (clock skew between functions)

_TOKEN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_UNRESERVED = "-_.~"

Query = Mapping[str, Any] | Iterable[tuple[str, Any]] | str | None


def _secret() -> bytes:
    return aws.secret_string(os.environ["SERVICE_SECRET_ARN"]).encode()


def warm() -> None:
    """Read the shared secret now (a warm-up), when this function has one."""
    if os.environ.get("SERVICE_SECRET_ARN"):
        _secret()


# ------------------------------------------------------------------ canonical request
def canonical_path(path: str) -> str:
    """`path` decoded, then percent-encoded one way (so an encoded and a decoded copy agree)."""
    return quote(unquote(path or "/"), safe="/" + _UNRESERVED)


def relative_path(url: str, base_url: str) -> str:
    """The URL's path below the base URL's own path: `https://h/Prod/api/v1/x?q=1` under
    `https://h/Prod` → `/api/v1/x` (what API Gateway hands the callee as the event's `path`)."""
    path, prefix = urlsplit(url).path or "/", urlsplit(base_url).path.rstrip("/")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix):] or "/"
    return path


def query_pairs(query: Query) -> list[tuple[str, str]]:
    """(key, value) pairs, decoded, from a query string, a mapping (a list value is repeated) or pairs."""
    if not query:
        return []
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    items = query.items() if isinstance(query, Mapping) else query
    pairs = []
    for key, value in items:
        if value is None:
            continue
        for one in value if isinstance(value, (list, tuple)) else [value]:
            if one is not None:
                pairs.append((str(key), str(one)))
    return pairs


def canonical_query(query: Query) -> str:
    """Sorted, URL-encoded `key=value` pairs joined with `&` ("" without a query)."""
    encoded = sorted((quote(k, safe=_UNRESERVED), quote(v, safe=_UNRESERVED)) for k, v in query_pairs(query))
    return "&".join(f"{k}={v}" for k, v in encoded)


def body_digest(body: bytes | str | None) -> str:
    if body is None:
        body = b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def canonical_request(service: str, timestamp: int, nonce: str, method: str, path: str, query: Query,
                      body: bytes | str | None) -> str:
    return "\n".join([SCHEME, service, str(timestamp), nonce, method.upper(), canonical_path(path),
                      canonical_query(query), body_digest(body)])


def _mac(secret: bytes, canonical: str) -> str:
    return hmac.new(secret, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ client side
def sign(service: str, method: str, path: str, *, query: Query = None, body: bytes | str | None = b"",
         now: int | None = None, nonce: str | None = None) -> str:
    """The X-Service-Authorization value for one request (a fresh nonce each call).

    `path` is relative to the API root (`/api/v1/<service>/...`, no stage); `query` and `body`
    exactly as sent.
    """
    if not _TOKEN.match(service):
        raise ValueError(f"service name {service!r} cannot be signed")
    timestamp = int(now if now is not None else time.time())
    nonce = nonce or secrets.token_hex(16)
    signature = _mac(_secret(), canonical_request(service, timestamp, nonce, method, path, query, body))
    return f"svc={service},t={timestamp},n={nonce},v1={signature}"


# ------------------------------------------------------------------ receiver side
def _parse(header: str) -> tuple[str, int, str, str]:
    try:
        fields = dict(part.strip().split("=", 1) for part in header.split(","))
        service, timestamp, nonce, signature = fields["svc"], int(fields["t"]), fields["n"], fields["v1"]
    except (ValueError, KeyError):
        raise Unauthorized("Malformed service signature.") from None
    if not (_TOKEN.match(service) and _TOKEN.match(nonce)):
        raise Unauthorized("Malformed service signature.")
    return service, timestamp, nonce, signature


def _remember_nonce(service: str, nonce: str, timestamp: int, table_name: str) -> None:
    """Record the nonce once (conditional put); Unauthorized when it was recorded before."""
    expires = str(timestamp + NONCE_RETENTION_SECONDS)
    item = {"pk": {"S": NONCE_PREFIX + nonce}, "sk": {"S": NONCE_SK}, "service": {"S": service},
            **{name: {"N": expires} for name in NONCE_TTL_ATTRIBUTES}}
    try:
        aws.client("dynamodb").put_item(TableName=table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
    except Exception as error:  # noqa: BLE001 - botocore's ClientError, imported lazily
        from .dynamo import condition_failed

        if condition_failed(error):
            raise Unauthorized("Replayed service signature.") from None
        raise ServiceUnavailable("The service signature could not be checked now.", retry_after=1) from error


def verify(header: str | None, method: str, path: str, *, query: Query = None, body: bytes | str | None = b"",
           now: int | None = None, table_name: str | None = None) -> str:
    """The calling service's name when `header` signs exactly this request, for the first time.

    `path` is the event's path (relative to the API root); `query` and `body` as received.
    Unauthorized (401) otherwise. The nonce is recorded in `table_name` (default TABLE_NAME).
    """
    if not header:
        raise Unauthorized("This internal API needs service authentication.")
    service, timestamp, nonce, signature = _parse(header)
    current = int(now if now is not None else time.time())
    if abs(current - timestamp) > TOLERANCE_SECONDS:
        raise Unauthorized("Service signature outside the allowed time window.")
    expected = _mac(_secret(), canonical_request(service, timestamp, nonce, method, path, query, body))
    if not hmac.compare_digest(expected, signature):
        raise Unauthorized("Bad service signature.")
    _remember_nonce(service, nonce, timestamp, table_name or os.environ["TABLE_NAME"])
    return service


def _event_query(event: dict) -> list[tuple[str, str]]:
    multi = event.get("multiValueQueryStringParameters")
    if multi:
        return [(k, v) for k, values in multi.items() for v in (values or [])]
    single = event.get("queryStringParameters") or {}
    return list(single.items())


def _event_body(event: dict) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        import base64

        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else body


def require_service(*allowed: str) -> Callable:
    """View decorator for internal APIs: only the named sibling services may call."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from .api import current_request

            request = current_request()
            event = request.to_original_event()
            headers = {k.lower(): v for k, v in (event.get("headers") or request.headers or {}).items()}
            caller = verify(headers.get(HEADER.lower()), event.get("httpMethod") or request.method,
                            event.get("path") or request.path, query=_event_query(event), body=_event_body(event))
            if allowed and caller not in allowed:
                raise Forbidden(f"Service {caller} may not call this API.")
            return view(*args, **kwargs)

        guarded.__service_only__ = allowed   # internal: never in the OpenAPI document (meridian.apidoc)
        return guarded

    return decorate
