"""The admin service's calls to the auth service (its internal API, service-signed, through ServiceClient).
Accounts and their roles live in auth; who may change a role is decided here, in admin/roles.py."""
from __future__ import annotations

from typing import Any

from meridian.clients import ServiceClient
from meridian.errors import NotFound

_auth = ServiceClient("auth")


def _not_found(what: str) -> dict[int, NotFound]:
    return {404: NotFound(f"{what} not found.")}


def list_users(limit: int, cursor: str | None, *, email: str | None = None) -> dict[str, Any]:
    """A page of accounts ordered by e-mail: {"items": [user], "next_cursor"}."""
    params = {"limit": limit, **({"cursor": cursor} if cursor else {}), **({"email": email} if email else {})}
    return _auth.get("/internal/users", params=params, internal=True).result("list users",
                                                                             errors=_not_found("Users"))


def user(user_id: str) -> dict[str, Any]:
    """One account's public facts; NotFound (404) when auth has no such user."""
    return _auth.get(f"/internal/users/{user_id}", internal=True).result("look up the user",
                                                                         errors=_not_found("User"))


def set_role(user_id: str, role: str) -> dict[str, Any]:
    """Store the account's new role: the account with `previous_role`."""
    response = _auth.put(f"/internal/users/{user_id}/role", json={"role": role}, internal=True)
    return response.result("change the role", errors=_not_found("User"))
