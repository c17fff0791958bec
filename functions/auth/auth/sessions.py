"""Refresh-token families: one per login, rotated on every refresh, revoked as a whole.

* A login starts a family (absolute lifetime REFRESH_TOKEN_LIFETIME_SECONDS, 14 days) and
  issues its first refresh token.
* A refresh marks the presented token used and issues the next one, in one DynamoDB
  transaction that also checks the family is not revoked.
* A token presented a second time (stolen and replayed, or replayed by the thief after the
  owner refreshed) revokes the whole family: every token of it stops working (401).
* Logout and password reset revoke families.

Only SHA-256 digests of refresh tokens are stored.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from meridian.errors import Unauthorized
from meridian.observability import count, logger

from . import repository, settings, tokens
from .models import RefreshFamily, RefreshToken


@dataclass(frozen=True)
class IssuedRefreshToken:
    token: str
    user_id: str
    family_id: str
    max_age: int           # seconds until the family's absolute expiry (the cookie's Max-Age)


def start(user_id: str, *, now: int | None = None) -> IssuedRefreshToken:
    """A new family with its first refresh token (at login)."""
    current = int(now if now is not None else time.time())
    family_id = str(uuid.uuid4())
    absolute = current + settings.REFRESH_LIFETIME_SECONDS
    raw = tokens.new_opaque_token()
    repository.start_family(user_id, family_id, absolute_expiry=absolute, first_token_digest=tokens.digest(raw))
    return IssuedRefreshToken(raw, user_id, family_id, absolute - current)


def _find(raw: str | None) -> tuple[RefreshToken, RefreshFamily] | None:
    if not tokens.looks_like_opaque_token(raw):
        return None
    return repository.refresh_token_with_family(tokens.digest(raw))


def rotate(raw: str | None, *, now: int | None = None) -> IssuedRefreshToken:
    """Use a refresh token once: the next token of its family; 401 (and family revoked) on reuse."""
    current = int(now if now is not None else time.time())
    found = _find(raw)
    if found is None:
        raise Unauthorized("The refresh token is not valid.")
    record, family = found
    if family.revoked_at:
        raise Unauthorized("The refresh token has been revoked.")
    if current >= int(family.absolute_expiry):
        raise Unauthorized("The refresh token has expired.")
    if record.used_at:
        _reused(family)
    absolute = int(family.absolute_expiry)
    following = tokens.new_opaque_token()
    if not repository.use_refresh_token(record, family, tokens.digest(following)):
        # the token was used (or the family revoked) between our read and our write
        _reused(family)
    return IssuedRefreshToken(following, record.user_id, record.family_id, absolute - current)


def _reused(family: RefreshFamily) -> None:
    repository.revoke_family(family, "reuse")
    count("RefreshTokenReuse")
    logger.warning("refresh token reuse: family revoked", extra={"user_id": family.user_id,
                                                                "family_id": family.family_id})
    raise Unauthorized("The refresh token was already used; the session has been revoked.")


def revoke(raw: str | None) -> None:
    """Logout: revoke the family of this token (whatever state the token is in)."""
    found = _find(raw)
    if found is not None:
        repository.revoke_family(found[1], "logout")


def revoke_all(user_id: str) -> int:
    """Revoke every family of a user (password reset). Returns how many were live."""
    revoked = 0
    for family in repository.families(user_id):
        if not family.revoked_at:
            repository.revoke_family(family, "password_reset")
            revoked += 1
    return revoked
