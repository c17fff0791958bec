"""Who may change whose role. Accounts live in the auth service (admin/auth_api.py)."""
from __future__ import annotations

from meridian.audit import describe
from meridian.auth import Principal
from meridian.errors import Conflict, Forbidden

from . import auth_api

PRIVILEGED = ("admin", "super_admin")


def change_role(actor: Principal, user_id: str, new_role: str) -> dict:
    """Admins manage customers; only a super_admin grants or removes admin (or super_admin)."""
    user = auth_api.user(user_id)
    old_role = user["role"]
    if (old_role in PRIVILEGED or new_role in PRIVILEGED) and actor.role != "super_admin":
        raise Forbidden("Only a super_admin grants or removes admin roles.")
    if user_id == actor.user_id and new_role != actor.role:
        raise Conflict("You cannot change your own role.")
    if old_role == new_role:
        return user
    updated = auth_api.set_role(user_id, new_role)
    describe(action="user.role_changed", target=f"user:{user_id}", before={"role": old_role}, after={"role": new_role})
    return updated
