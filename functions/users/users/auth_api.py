"""The users service's calls to the auth service (its internal API, service-signed, through ServiceClient)."""
from __future__ import annotations

from typing import Any

from meridian.clients import ServiceClient
from meridian.errors import NotFound

_client: ServiceClient | None = None


def _auth() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient("auth", timeout=(1.0, 3.0), attempts=2)
    return _client


def account(user_id: str) -> dict[str, Any]:
    """An account's public facts (GET /api/v1/auth/internal/users/{id}); NotFound when auth has none,
    ServiceUnavailable when auth cannot answer."""
    response = _auth().get(f"/internal/users/{user_id}", internal=True)
    return response.result("look up this user", errors={404: NotFound("No profile for this user.")}, shape=dict)
