"""The shopper's email address (best effort, from the users service)."""
from __future__ import annotations

from meridian import shopper


def email_of(authorization: str | None) -> str | None:
    """The caller's email from GET /api/v1/users/me with their own token; None if it cannot be had."""
    return (shopper.profile(authorization) or {}).get("email") or None

