"""User profiles: created from `user.registered`, or lazily on first read.

Design: auth publishes `user.registered` (bus → UsersEventsQueue → handlers.on_platform_event),
which creates the profile. The event may not have been processed when the new user first
calls GET /users/me (queues are asynchronous, and an event can sit in a DLQ), so a missing
profile is built on the spot from auth's internal API (GET /api/v1/auth/internal/users/{id},
service-signed). Both paths write with `attribute_not_exists`, so whichever comes second
changes nothing: the profile is created exactly once.

The role shown in the profile is the caller's token role (auth owns roles).
"""
from __future__ import annotations

from typing import Any

from meridian.auth import Principal
from meridian.clients import ServiceClient
from meridian.clock import iso
from meridian.dynamo import condition_failed
from meridian.errors import NotFound
from meridian.observability import count, logger
from pynamodb.exceptions import PutError

from .models import Profile

_auth = None


def _auth_client() -> ServiceClient:
    global _auth
    if _auth is None:
        _auth = ServiceClient("auth", timeout=(1.0, 3.0), attempts=2)
    return _auth


def view(profile: Profile, role: str) -> dict[str, Any]:
    return {"id": profile.user_id, "email": profile.email, "name": profile.name, "role": role,
            "locale": profile.locale, "currency": profile.currency, "created_at": profile.created_at,
            "updated_at": profile.updated_at}


def create_once(user_id: str, email: str, *, name: str | None = None, locale: str | None = None,
                currency: str | None = None, created_at: str | None = None, source: str) -> Profile:
    """Create the profile unless it exists; returns the stored profile either way (idempotent)."""
    now = iso()
    profile = Profile(*Profile.key(user_id), user_id=user_id, email=email, name=name, locale=locale,
                      currency=currency, created_at=created_at or now, updated_at=now, source=source)
    try:
        profile.save(condition=Profile.pk.does_not_exist())
        count("ProfileCreated", source=source)
        return profile
    except PutError as error:
        if not condition_failed(error):
            raise
    return Profile.get(*Profile.key(user_id), consistent_read=True)


def _from_auth(user_id: str) -> Profile:
    response = _auth_client().get(f"/internal/users/{user_id}", internal=True)
    account = response.result("look up this user", errors={404: NotFound("No profile for this user.")}, shape=dict)
    logger.info("profile created lazily (user.registered not processed yet)", extra={"user_id": user_id})
    return create_once(user_id, account["email"], name=account.get("name"), locale=account.get("locale"),
                       currency=account.get("currency"), created_at=account.get("created_at"), source="lazy")


def get_or_create(who: Principal) -> Profile:
    try:
        return Profile.get(*Profile.key(who.user_id))
    except Profile.DoesNotExist:
        return _from_auth(who.user_id)


def update(who: Principal, changes: dict[str, Any]) -> Profile:
    """Apply {name?, locale?, currency?} (already validated; None clears a preference)."""
    profile = get_or_create(who)
    if not changes:
        return profile
    actions = []
    for field, value in changes.items():
        attribute = getattr(Profile, field)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    actions.append(Profile.updated_at.set(iso()))
    profile.update(actions=actions, condition=Profile.pk.exists())
    return profile


def on_user_registered(detail: dict[str, Any]) -> None:
    create_once(detail["user_id"], detail["email"], name=detail.get("name"), locale=detail.get("locale"),
                currency=detail.get("currency"), created_at=detail.get("created_at"), source="event")
