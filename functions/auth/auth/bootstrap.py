"""The first super_admin of a stack (`AuthBootstrapFunction`, invoked by `make create-admin`).

A fresh stack has no account that may grant roles: the admin API needs a super_admin for
that. This makes the first one, once per stack:

* **Input** `{"email", "password", "name"?, "promote_existing"?}` is checked by registration's own
  schema (the same e-mail normalisation, the same password policy); anything else is refused.
* **Once.** The account (or the promotion) is written in one transaction with the marker item
  `BOOTSTRAP#super_admin / MARKER`, on the condition that the marker does not exist. While it
  exists every later call is refused, even if that super_admin was since demoted or deleted:
  from then on super_admins grant roles through the admin API (PUT /api/v1/admin/users/{id}/role).
* **New account**: created by `accounts.register_first_super_admin`, registration's own path
  (argon2id hash, e-mail claim, item shapes, `user.registered` so the users service builds the
  profile), role super_admin, e-mail marked verified.
* **E-mail already registered**: refused, unless `promote_existing` is true *and* the password
  is that account's password; then that account becomes super_admin (e-mail marked verified),
  nothing else about it changes, and no event is published (its profile exists).

Results are plain dicts: `{"user_id", "email", "role", "promoted"}`, or
`{"error": <code>, "message": …, "errors"?: {field: [...]}}` with code `invalid`,
`super_admin_exists`, `email_taken` or `password_mismatch`. A refusal writes nothing.
The password is never logged or returned.
"""
from __future__ import annotations

from typing import Any

from meridian.errors import ValidationFailed
from meridian.observability import logger
from meridian.validation import load

from . import accounts, passwords, repository, schemas
from .errors import AccountChanged, EmailTaken, FirstSuperAdminExists
from .models import Account, BootstrapMarker

ROLE = accounts.SUPER_ADMIN
FIELDS = ("email", "password", "name", "promote_existing")


class Refused(Exception):
    """The bootstrap said no; nothing was written."""

    def __init__(self, code: str, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.errors:
            result["errors"] = self.errors
        return result


def _already_done(marker: BootstrapMarker | None = None) -> Refused:
    when = f" on {marker.created_at} ({marker.email})" if marker is not None else ""
    return Refused("super_admin_exists",
                   f"The first super_admin of this stack was already created{when}. Further admins are granted "
                   "by a super_admin through the admin API (PUT /api/v1/admin/users/{user_id}/role).")


def _parse(event: Any) -> tuple[dict, bool]:
    if not isinstance(event, dict):
        raise Refused("invalid", 'The event must be a JSON object {"email", "password", "name"?}.')
    unknown = sorted(set(event) - set(FIELDS))
    if unknown:
        raise Refused("invalid", f"Unknown field(s): {', '.join(unknown)}.",
                      {name: ["Unknown field."] for name in unknown})
    promote = event.get("promote_existing", False)
    if not isinstance(promote, bool):
        raise Refused("invalid", "promote_existing must be true or false.",
                      {"promote_existing": ["Must be true or false."]})
    body = {key: event[key] for key in ("email", "password", "name") if key in event}
    try:
        data = load(schemas.RegisterSchema(), body)
    except ValidationFailed as error:
        problems = error.extra["errors"]
        detail = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in problems.items())
        raise Refused("invalid", f"Not acceptable: {detail}", problems) from None
    return data, promote


def create_first_super_admin(event: Any) -> dict[str, Any]:
    """Create (or, when allowed, promote) the stack's first super_admin; see the module docstring."""
    try:
        data, promote = _parse(event)
        marker = repository.first_super_admin_marker()
        if marker is not None:
            raise _already_done(marker)
        existing = repository.claimed_user_id(accounts.email_key(data["email"]), consistent=True)
        if existing is None:
            account = _create(data)
        elif promote:
            account = _promote(existing, data["password"])
        else:
            raise Refused("email_taken", "An account with this e-mail address already exists. To make it the "
                          "super_admin, invoke again with \"promote_existing\": true and that account's password.")
    except Refused as refused:
        logger.warning("first super_admin refused", extra={"reason": refused.code})
        return refused.to_json()
    promoted = existing is not None
    logger.info("first super_admin created", extra={"user_id": account.user_id, "email": account.email,
                                                    "promoted": promoted})
    return {"user_id": account.user_id, "email": account.email, "role": account.role, "promoted": promoted}


def _create(data: dict) -> Account:
    """Registration's own path, with the marker in its transaction."""
    try:
        return accounts.register_first_super_admin(data["email"], data["password"], name=data["name"])
    except FirstSuperAdminExists:  # a racing bootstrap wrote the marker after our first read
        raise _already_done() from None
    except EmailTaken:  # the e-mail was registered between the check above and the transaction
        raise Refused("email_taken", "An account with this e-mail address already exists.") from None


def _promote(user_id: str, password: str) -> Account:
    """The existing account becomes super_admin, if `password` is its password (marker in the same transaction)."""
    account = repository.account(user_id, consistent=True)
    if account is None:
        raise Refused("email_taken", "The e-mail address is claimed by an account that no longer exists; "
                      "use another address.")
    if not passwords.verify_password(account.password_hash, password):
        raise Refused("password_mismatch", "The password is not this account's password; nothing was changed.")
    try:
        # conditional on the hash just verified: a password reset in between refuses the promotion
        repository.promote_to_first_super_admin(account, ROLE)
    except FirstSuperAdminExists:
        raise _already_done() from None
    except AccountChanged:
        raise Refused("password_mismatch", "The account changed while it was being promoted (its password "
                      "was reset, or it was deleted); nothing was changed.") from None
    return account
