"""The shopper's email address and saved currency (best effort, from the users service)."""
from __future__ import annotations

from meridian import shopper


def email_of(authorization: str | None) -> str | None:
    """The caller's email from GET /api/v1/users/me with their own token; None if it cannot be had."""
    return (shopper.profile(authorization) or {}).get("email") or None


def currency_of(requested: str | None, authorization: str | None) -> str:
    """The order's currency: the body's, then the shopper's saved currency, then USD."""
    return requested or shopper.preference("currency", authorization) or "USD"
