"""User profiles: created from `user.registered`, or lazily on first read.

Design: auth publishes `user.registered` (bus → UsersEventsQueue → handlers.on_platform_event),
which creates the profile. The event may not have been processed when the new user first
calls GET /users/me (queues are asynchronous, and an event can sit in a DLQ), so a missing
profile is built on the spot from auth's internal API (GET /api/v1/auth/internal/users/{id},
service-signed: users/auth_api.py). Both paths write with `attribute_not_exists`, so whichever
comes second changes nothing: the profile is created exactly once.

The role shown in the profile is the caller's token role (auth owns roles: users/views.py).
"""
from __future__ import annotations

from typing import Any

from meridian.auth import Principal
from meridian.observability import count, logger

from . import auth_api, repository
from .models import Profile


def create_once(user_id: str, email: str, *, name: str | None = None, locale: str | None = None,
                currency: str | None = None, created_at: str | None = None, source: str) -> Profile:
    """Create the profile unless it exists; returns the stored profile either way (idempotent)."""
    profile, created = repository.create_profile_once(user_id, email, name=name, locale=locale, currency=currency,
                                                      created_at=created_at, source=source)
    if created:
        count("ProfileCreated", source=source)
    return profile


def _from_auth(user_id: str) -> Profile:
    account = auth_api.account(user_id)
    logger.info("profile created lazily (user.registered not processed yet)", extra={"user_id": user_id})
    return create_once(user_id, account["email"], name=account.get("name"), locale=account.get("locale"),
                       currency=account.get("currency"), created_at=account.get("created_at"), source="lazy")


def get_or_create(who: Principal) -> Profile:
    profile = repository.profile(who.user_id)
    return profile if profile is not None else _from_auth(who.user_id)


def update(who: Principal, changes: dict[str, Any]) -> Profile:
    """Apply {name?, locale?, currency?} (already validated; None clears a preference)."""
    profile = get_or_create(who)
    if not changes:
        return profile
    return repository.update_profile(profile, changes)


def on_user_registered(detail: dict[str, Any]) -> None:
    create_once(detail["user_id"], detail["email"], name=detail.get("name"), locale=detail.get("locale"),
                currency=detail.get("currency"), created_at=detail.get("created_at"), source="event")
