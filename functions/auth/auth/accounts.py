"""Account rules: register, log in, refresh, log out, verify e-mail, reset a password.

* E-mails are unique case-insensitively: registering writes the account and an EmailClaim
  keyed by the lower-case address in one transaction, conditional on the claim not existing,
  so of two racing registrations exactly one wins (the other gets 409).
* A wrong password and an unknown e-mail answer the same 401, after the same work: the same
  two table reads, and an argon2 verification (against a dummy hash for unknown e-mails).
* The access token's role is read from the account at every login and refresh, so a role
  change takes effect on the next one.
"""
from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from meridian import events, preferences
from meridian.clock import iso
from meridian.errors import Conflict, Unauthorized, ValidationFailed
from meridian.observability import count, logger
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError

from . import emails, lockout, passwords, sessions, settings, tokens
from .models import Account, EmailClaim, OneTimeToken, cancellation_codes, transaction

VERIFY_EMAIL, PASSWORD_RESET = "verify_email", "password_reset"
_NO_SUCH_USER = "00000000-0000-0000-0000-000000000000"


def email_key(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Login:
    access: tokens.AccessToken
    refresh: sessions.IssuedRefreshToken
    role: str


# ---------------------------------------------------------------------------- registration
@dataclass(frozen=True)
class Guard:
    """One more item, `item(account)`, written in the registration's transaction on `condition`; when that
    condition fails, the registration fails with `error` and writes nothing (the bootstrap's one-time marker)."""
    item: Callable[[Account], Any]
    condition: Any
    error: Exception


def register(email: str, password: str, *, name: str | None = None, locale: str | None = None,
             currency: str | None = None, role: str = "customer", email_verified: bool = False,
             guards: Sequence[Guard] = ()) -> Account:
    """Create an account (409 if the e-mail is taken); queues the verification e-mail, publishes user.registered."""
    errors: dict[str, list[str]] = {}
    if locale is not None:
        try:
            locale = preferences.validate_locale(locale)
        except ValidationFailed as error:
            errors.update(error.extra["errors"])
    if currency is not None:
        try:
            currency = preferences.validate_currency(currency)
        except ValidationFailed as error:
            errors.update(error.extra["errors"])
    if errors:
        raise ValidationFailed(errors)
    display, key = email.strip(), email_key(email)
    user_id, now = str(uuid.uuid4()), iso()
    account = Account(*Account.key(user_id), user_id=user_id, email=display, email_key=key,
                      password_hash=passwords.hash_password(password), role=role, name=name, locale=locale,
                      currency=currency, email_verified=email_verified, created_at=now, updated_at=now,
                      gsi1sk=f"{key}#{user_id}")
    claim = EmailClaim(*EmailClaim.key(key), user_id=user_id)
    try:
        with transaction() as tx:
            tx.save(claim, condition=EmailClaim.pk.does_not_exist())
            tx.save(account, condition=Account.pk.does_not_exist())
            for guard in guards:
                tx.save(guard.item(account), condition=guard.condition)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        for guard, code in zip(guards, codes[2:], strict=False):  # no reasons: none matched
            if code in ("ConditionalCheckFailed", "TransactionConflict"):
                raise guard.error from None
        # a racing registration of the same e-mail shows up as a failed condition or a transaction conflict
        if not codes or {"ConditionalCheckFailed", "TransactionConflict"} & set(codes):
            raise Conflict("An account with this e-mail address already exists.") from None
        raise
    count("UserRegistered")
    if not email_verified:
        _send_one_time_token(account, VERIFY_EMAIL, settings.VERIFY_EMAIL_TTL_SECONDS)
    _announce(account)
    return account


def _announce(account: Account) -> None:
    """Tell the platform (users builds the profile from it). Profiles are also created lazily."""
    try:
        events.publish("auth", "user.registered", {
            "user_id": account.user_id, "email": account.email, "name": account.name,
            "locale": account.locale, "currency": account.currency, "role": account.role,
            "created_at": account.created_at})
    except Exception:  # the account exists; users creates the profile lazily on first read
        logger.exception("could not publish user.registered", extra={"user_id": account.user_id})


# ---------------------------------------------------------------------------- login
def _account_by_email(key: str) -> Account | None:
    try:
        user_id = EmailClaim.get(*EmailClaim.key(key)).user_id
    except EmailClaim.DoesNotExist:
        user_id = _NO_SUCH_USER  # read anyway: the same work as for a real account
    try:
        return Account.get(*Account.key(user_id))
    except Account.DoesNotExist:
        return None


def login(email: str, password: str) -> Login:
    key = email_key(email)
    lockout.ensure_not_locked(key)
    account = _account_by_email(key)
    if account is None:
        passwords.burn_verification(password)
        valid = False
    else:
        valid = passwords.verify_password(account.password_hash, password)
    if not valid:
        lockout.record_failure(key)
        count("LoginFailed")
        raise Unauthorized("The e-mail address or the password is wrong.")
    lockout.clear_failures(key)
    if passwords.needs_rehash(account.password_hash):
        account.update(actions=[Account.password_hash.set(passwords.hash_password(password))])
    count("LoginSucceeded")
    return Login(access=tokens.issue_access_token(account.user_id, account.role, account.email),
                 refresh=sessions.start(account.user_id), role=account.role)


def refresh(raw_refresh_token: str | None) -> Login:
    issued = sessions.rotate(raw_refresh_token)
    try:
        account = Account.get(*Account.key(issued.user_id))
    except Account.DoesNotExist:
        raise Unauthorized("The account no longer exists.") from None
    return Login(access=tokens.issue_access_token(account.user_id, account.role, account.email), refresh=issued,
                 role=account.role)


def logout(raw_refresh_token: str | None) -> None:
    sessions.revoke(raw_refresh_token)


# ---------------------------------------------------------------------------- one-time tokens
def _send_one_time_token(account: Account, purpose: str, ttl: int) -> None:
    raw = tokens.new_opaque_token()
    expires = dt.datetime.fromtimestamp(int(time.time()) + ttl, tz=dt.timezone.utc)
    OneTimeToken(*OneTimeToken.key(tokens.digest(raw)), purpose=purpose, user_id=account.user_id,
                 expires_at=expires).save(condition=OneTimeToken.pk.does_not_exist())
    try:
        emails.enqueue(purpose, account.email, raw)
    except Exception:  # the request itself succeeded; the e-mail can be asked for again
        logger.exception("could not queue an account e-mail", extra={"user_id": account.user_id, "kind": purpose})
        count("AccountEmailNotQueued")


def _invalid_token() -> ValidationFailed:
    return ValidationFailed({"token": ["The token is invalid, expired or already used."]})


def _lookup(raw: str, purpose: str) -> OneTimeToken:
    """The token's record; 400 when unknown, used, expired or meant for another purpose."""
    if not tokens.looks_like_opaque_token(raw):
        raise _invalid_token()
    try:
        record = OneTimeToken.get(*OneTimeToken.key(tokens.digest(raw)), consistent_read=True)
    except OneTimeToken.DoesNotExist:
        raise _invalid_token() from None
    if record.purpose != purpose:
        raise _invalid_token()
    if record.expires_at is None or record.expires_at <= dt.datetime.now(dt.timezone.utc):
        _use(record, quiet=True)  # DynamoDB's TTL deletes late: expiry is checked here
        raise _invalid_token()
    return record


def _use(record: OneTimeToken, *, quiet: bool = False) -> None:
    """Delete the token; of two concurrent uses only the first delete succeeds."""
    try:
        record.delete(condition=OneTimeToken.pk.exists())
    except DeleteError:
        if not quiet:
            raise _invalid_token() from None


def verify_email(raw_token: str) -> None:
    record = _lookup(raw_token, VERIFY_EMAIL)
    _use(record)
    try:
        Account(*Account.key(record.user_id)).update(
            actions=[Account.email_verified.set(True), Account.updated_at.set(iso())],
            condition=Account.pk.exists())
    except UpdateError:  # the account was deleted meanwhile
        logger.info("verification token of a deleted account", extra={"user_id": record.user_id})
        raise _invalid_token() from None


def forgot_password(email: str) -> None:
    """Queue a reset e-mail if the account exists; the caller answers 202 either way."""
    account = _account_by_email(email_key(email))
    if account is not None:
        _send_one_time_token(account, PASSWORD_RESET, settings.PASSWORD_RESET_TTL_SECONDS)


def reset_password(raw_token: str, new_password: str) -> None:
    record = _lookup(raw_token, PASSWORD_RESET)
    try:
        account = Account.get(*Account.key(record.user_id))
    except Account.DoesNotExist:
        raise _invalid_token() from None
    problems = passwords.policy_problems(new_password, email=account.email)
    if problems:
        raise ValidationFailed({"password": problems})  # the token stays usable
    _use(record)
    now = iso()
    account.update(actions=[Account.password_hash.set(passwords.hash_password(new_password)),
                            Account.password_changed_at.set(now), Account.updated_at.set(now),
                            Account.email_verified.set(True)])
    sessions.revoke_all(account.user_id)   # every session of the old password ends
    lockout.unlock(account.email_key)
    count("PasswordReset")
