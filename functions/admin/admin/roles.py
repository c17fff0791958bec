"""Who may change whose role. Accounts live in the auth service (internal API)."""
from __future__ import annotations

from meridian.audit import describe
from meridian.auth import Principal
from meridian.clients import ServiceClient
from meridian.errors import Conflict, Forbidden, NotFound

PRIVILEGED = ("admin", "super_admin")
auth_api = ServiceClient("auth")


def _answer(response, what: str, action: str):
    """The answer's body; NotFound (404) when auth has no such `what`, ServiceUnavailable (503) otherwise."""
    return response.result(action, errors={404: NotFound(f"{what} not found.")})


def list_users(limit: int, cursor: str | None, *, email: str | None = None) -> dict:
    params = {"limit": limit, **({"cursor": cursor} if cursor else {}), **({"email": email} if email else {})}
    return _answer(auth_api.get("/internal/users", params=params, internal=True), "Users", "list users")


def change_role(actor: Principal, user_id: str, new_role: str) -> dict:
    """Admins manage customers; only a super_admin grants or removes admin (or super_admin)."""
    user = _answer(auth_api.get(f"/internal/users/{user_id}", internal=True), "User", "look up the user")
    old_role = user["role"]
    if (old_role in PRIVILEGED or new_role in PRIVILEGED) and actor.role != "super_admin":
        raise Forbidden("Only a super_admin grants or removes admin roles.")
    if user_id == actor.user_id and new_role != actor.role:
        raise Conflict("You cannot change your own role.")
    if old_role == new_role:
        return user
    updated = _answer(auth_api.put(f"/internal/users/{user_id}/role", json={"role": new_role}, internal=True),
                      "User", "change the role")
    describe(action="user.role_changed", target=f"user:{user_id}", before={"role": old_role}, after={"role": new_role})
    return updated
