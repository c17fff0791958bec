"""Typed domain errors and their one mapping to RFC 9457 `application/problem+json`.

Domain code raises these; `meridian.api` turns them into responses. Nothing else
builds error bodies.
"""
from __future__ import annotations

from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


class DomainError(Exception):
    status = 500
    title = "Internal Server Error"
    type_slug = "internal"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra


class BadRequest(DomainError):
    status, title, type_slug = 400, "Bad Request", "bad-request"


class ValidationFailed(BadRequest):
    title, type_slug = "Validation Failed", "validation"

    def __init__(self, errors: dict[str, list[str]], detail: str = "The request has invalid fields."):
        super().__init__(detail, errors=errors)


class Unauthorized(DomainError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str = "Authentication is required.", *, headers: dict[str, str] | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer", **(headers or {})})


class Forbidden(DomainError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    status, title, type_slug = 404, "Not Found", "not-found"


class MethodNotAllowed(DomainError):
    status, title, type_slug = 405, "Method Not Allowed", "method-not-allowed"


class Conflict(DomainError):
    status, title, type_slug = 409, "Conflict", "conflict"


class PayloadTooLarge(DomainError):
    status, title, type_slug = 413, "Payload Too Large", "payload-too-large"


class UnsupportedMediaType(DomainError):
    status, title, type_slug = 415, "Unsupported Media Type", "unsupported-media-type"


class Unprocessable(DomainError):
    status, title, type_slug = 422, "Unprocessable Content", "unprocessable"


class _RetryAfter(DomainError):
    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **extra: Any):
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after)))}, **extra)
        self.retry_after = max(1, int(retry_after))


class TooManyRequests(_RetryAfter):
    status, title, type_slug = 429, "Too Many Requests", "rate-limited"


class ServiceUnavailable(_RetryAfter):
    status, title, type_slug = 503, "Service Unavailable", "unavailable"


class GatewayTimeout(DomainError):
    status, title, type_slug = 504, "Gateway Timeout", "timeout"


# our typed error of an HTTP status: for a sibling's answer (meridian.clients) and for a Chalice view
# error (meridian.api)
ERRORS_BY_STATUS: dict[int, type[DomainError]] = {
    error.status: error for error in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
                                      PayloadTooLarge, UnsupportedMediaType, Unprocessable, TooManyRequests,
                                      ServiceUnavailable, GatewayTimeout)}


def problem_body(status: int, title: str, detail: str, type_slug: str, request_id: str | None, **extra: Any) -> dict:
    body = {
        "type": f"https://meridian.dev/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": request_id,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_from_error(error: DomainError, request_id: str | None) -> dict:
    return problem_body(error.status, error.title, error.detail, error.type_slug, request_id, **error.extra)
