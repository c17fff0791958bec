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
from dataclasses import dataclass

from meridian import events, locales
from meridian.errors import Unauthorized, ValidationFailed
from meridian.observability import count, logger

from . import emails, lockout, passwords, repository, sessions, settings, tokens
from .models import Account, OneTimeToken

VERIFY_EMAIL, PASSWORD_RESET = "verify_email", "password_reset"
CUSTOMER, SUPER_ADMIN = "customer", "super_admin"


def email_key(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Login:
    access: tokens.AccessToken
    refresh: sessions.IssuedRefreshToken
    role: str


# ---------------------------------------------------------------------------- registration
def register(email: str, password: str, *, name: str | None = None, locale: str | None = None,
             currency: str | None = None, accept_language: str | None = None) -> Account:
    """A customer's account, its e-mail not yet verified (409 if the e-mail is taken); queues the verification
    e-mail, publishes user.registered. `locale` and `currency` come checked by RegisterSchema (preferences).
    The e-mail is in the locale the shopper registered with, else their browser's (Accept-Language), else en."""
    account = _open(email, password, name=name, locale=locale, currency=currency, role=CUSTOMER,
                    email_verified=False)
    _send_one_time_token(account, VERIFY_EMAIL, settings.VERIFY_EMAIL_TTL_SECONDS,
                         email_locale(locale, accept_language, None))
    _announce(account)
    return account


def register_first_super_admin(email: str, password: str, *, name: str | None = None) -> Account:
    """The stack's first super_admin (auth/bootstrap.py, the deployed bootstrap): a super_admin whose e-mail
    counts as verified (the operator who may invoke the bootstrap typed it), written with the one-time
    marker; FirstSuperAdminExists when that marker exists, EmailTaken when the e-mail is. Publishes
    user.registered (the users service builds the profile)."""
    account = _open(email, password, name=name, role=SUPER_ADMIN, email_verified=True, first_super_admin=True)
    _announce(account)
    return account


def _open(email: str, password: str, *, role: str, email_verified: bool, name: str | None = None,
          locale: str | None = None, currency: str | None = None, first_super_admin: bool = False) -> Account:
    account = repository.create_account(email=email.strip(), email_key=email_key(email),
                                        password_hash=passwords.hash_password(password), role=role,
                                        email_verified=email_verified, name=name, locale=locale, currency=currency,
                                        first_super_admin=first_super_admin)
    count("UserRegistered")
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
def login(email: str, password: str) -> Login:
    key = email_key(email)
    lockout.ensure_not_locked(key)
    account = repository.account_by_email(key)
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
        repository.set_password_hash(account, passwords.hash_password(password))
    count("LoginSucceeded")
    return Login(access=tokens.issue_access_token(account.user_id, account.role, account.email,
                                                   email_verified=bool(account.email_verified)),
                 refresh=sessions.start(account.user_id), role=account.role)


def refresh(raw_refresh_token: str | None) -> Login:
    issued = sessions.rotate(raw_refresh_token)
    account = repository.account(issued.user_id)
    if account is None:
        raise Unauthorized("The account no longer exists.")
    return Login(access=tokens.issue_access_token(account.user_id, account.role, account.email,
                                                   email_verified=bool(account.email_verified)), refresh=issued,
                 role=account.role)


def logout(raw_refresh_token: str | None) -> None:
    sessions.revoke(raw_refresh_token)


# ---------------------------------------------------------------------------- one-time tokens
def email_locale(chosen: str | None, accept_language: str | None, saved: str | None) -> str:
    """The locale of an account e-mail, by the platform's rule (meridian.locales): the one the request chose
    (the page's), the account's saved one and the browser's Accept-Language, then en."""
    return locales.resolve_locale(chosen, accept_language, saved)


def _send_one_time_token(account: Account, purpose: str, ttl: int, locale: str | None = None) -> None:
    raw = tokens.new_opaque_token()
    expires = dt.datetime.fromtimestamp(int(time.time()) + ttl, tz=dt.timezone.utc)
    repository.save_one_time_token(tokens.digest(raw), purpose=purpose, user_id=account.user_id, expires_at=expires)
    try:
        emails.enqueue(purpose, account.email, raw, locale)
    except Exception:  # the request itself succeeded; the e-mail can be asked for again
        logger.exception("could not queue an account e-mail", extra={"user_id": account.user_id, "kind": purpose})
        count("AccountEmailNotQueued")


def _invalid_token() -> ValidationFailed:
    return ValidationFailed({"token": ["The token is invalid, expired or already used."]})


def _lookup(raw: str, purpose: str) -> OneTimeToken:
    """The token's record; 400 when unknown, used, expired or meant for another purpose."""
    if not tokens.looks_like_opaque_token(raw):
        raise _invalid_token()
    record = repository.one_time_token(tokens.digest(raw))
    if record is None or record.purpose != purpose:
        raise _invalid_token()
    if record.expires_at is None or record.expires_at <= dt.datetime.now(dt.timezone.utc):
        _use(record, quiet=True)  # DynamoDB's TTL deletes late: expiry is checked here
        raise _invalid_token()
    return record


def _use(record: OneTimeToken, *, quiet: bool = False) -> None:
    """Delete the token; of two concurrent uses only the first delete succeeds."""
    if not repository.use_one_time_token(record) and not quiet:
        raise _invalid_token()


def verify_email(raw_token: str) -> None:
    record = _lookup(raw_token, VERIFY_EMAIL)
    _use(record)
    if not repository.mark_email_verified(record.user_id):  # the account was deleted meanwhile
        logger.info("verification token of a deleted account", extra={"user_id": record.user_id})
        raise _invalid_token()


def forgot_password(email: str, *, locale: str | None = None, accept_language: str | None = None) -> None:
    """Queue a reset e-mail if the account exists; the caller answers 202 either way. The e-mail is in the
    locale of the request (the page's), else the account's saved one, else the browser's, else en."""
    account = repository.account_by_email(email_key(email))
    if account is not None:
        _send_one_time_token(account, PASSWORD_RESET, settings.PASSWORD_RESET_TTL_SECONDS,
                             email_locale(locale, accept_language, account.locale))


def reset_password(raw_token: str, new_password: str) -> None:
    record = _lookup(raw_token, PASSWORD_RESET)
    account = repository.account(record.user_id)
    if account is None:
        raise _invalid_token()
    problems = passwords.policy_problems(new_password, email=account.email)
    if problems:
        raise ValidationFailed({"password": problems})  # the token stays usable
    _use(record)
    repository.replace_password(account, passwords.hash_password(new_password))
    sessions.revoke_all(account.user_id)   # every session of the old password ends
    lockout.unlock(account.email_key)
    count("PasswordReset")
