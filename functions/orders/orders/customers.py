"""The shopper's email address, for the confirmation email (best effort, from the users service)."""
from __future__ import annotations

from meridian.clients import ServiceClient
from meridian.observability import logger

_client: ServiceClient | None = None


def email_of(authorization: str | None) -> str | None:
    """The caller's email from GET /api/v1/users/me with their own token; None if it cannot be had."""
    global _client
    if not authorization:
        return None
    if _client is None:
        _client = ServiceClient("users", timeout=(0.5, 1.0), attempts=1)
    try:
        response = _client.get("/me", authorization=authorization)
    except Exception as exc:  # noqa: BLE001 - an order is placed even when the profile is unavailable
        logger.warning("could not read the shopper's profile", extra={"error": type(exc).__name__})
        return None
    if response.ok and isinstance(response.body, dict):
        return response.body.get("email") or None
    return None
