"""The auth table's reads and writes: the only module that touches it (its item kinds: models.py).

The rules live in accounts, sessions, lockout, directory and bootstrap; this module knows the
keys, the conditions and the transactions, and reports a condition that did not hold as a
value (None, False) or as an error of auth/errors.py, never as a pynamodb exception.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

from meridian.clock import iso
from meridian.dynamo import applied, cancellation_codes, condition_failed
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

from .errors import AccountChanged, EmailTaken, FirstSuperAdminExists
from .models import (
    ACCOUNTS_PARTITION,
    Account,
    BootstrapMarker,
    EmailClaim,
    LoginThrottle,
    OneTimeToken,
    RefreshFamily,
    RefreshToken,
    transaction,
)

# read for an e-mail nobody registered: the same work as for a real account (accounts.login)
_NO_SUCH_USER = "00000000-0000-0000-0000-000000000000"
# a transaction's item refused because its condition failed, or because a racing transaction held it
_REFUSED = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
FAMILY_KEPT_SECONDS = 86400      # a family's item outlives its absolute expiry by a day (then TTL deletes it)


def _at(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)


# ---------------------------------------------------------------------------- accounts
def account(user_id: str, *, consistent: bool = False) -> Account | None:
    try:
        return Account.get(*Account.key(user_id), consistent_read=consistent)
    except Account.DoesNotExist:
        return None


def claimed_user_id(email_key: str, *, consistent: bool = False) -> str | None:
    """Whose the (lower-case) e-mail address is; None when nobody registered it."""
    try:
        return EmailClaim.get(*EmailClaim.key(email_key), consistent_read=consistent).user_id
    except EmailClaim.DoesNotExist:
        return None


def account_by_email(email_key: str) -> Account | None:
    """The account of an e-mail address: two reads whether or not it is registered."""
    return account(claimed_user_id(email_key) or _NO_SUCH_USER)


def _marker(account_: Account, *, promoted: bool) -> BootstrapMarker:
    return BootstrapMarker(*BootstrapMarker.key(), user_id=account_.user_id, email=account_.email, created_at=iso(),
                           promoted=promoted)


def create_account(*, email: str, email_key: str, password_hash: str, role: str, email_verified: bool,
                   name: str | None = None, locale: str | None = None, currency: str | None = None,
                   first_super_admin: bool = False) -> Account:
    """Write a new account and its e-mail claim in one transaction, on condition that the claim does not
    exist (EmailTaken otherwise: of two racing registrations exactly one wins). `first_super_admin`:
    the bootstrap's marker is written in the same transaction, on condition that it does not exist
    (FirstSuperAdminExists otherwise). A refusal writes nothing."""
    user_id, now = str(uuid.uuid4()), iso()
    created = Account(*Account.key(user_id), user_id=user_id, email=email, email_key=email_key,
                      password_hash=password_hash, role=role, name=name, locale=locale, currency=currency,
                      email_verified=email_verified, created_at=now, updated_at=now, gsi1sk=f"{email_key}#{user_id}")
    claim = EmailClaim(*EmailClaim.key(email_key), user_id=user_id)
    try:
        with transaction() as tx:
            tx.save(claim, condition=EmailClaim.pk.does_not_exist())
            tx.save(created, condition=Account.pk.does_not_exist())
            if first_super_admin:
                tx.save(_marker(created, promoted=False), condition=BootstrapMarker.pk.does_not_exist())
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if first_super_admin and len(codes) > 2 and codes[2] in _REFUSED:
            raise FirstSuperAdminExists() from None
        # a racing registration of the same e-mail shows up as a failed condition or a transaction conflict
        if not codes or _REFUSED & set(codes):
            raise EmailTaken() from None
        raise
    return created


def set_password_hash(account_: Account, password_hash: str) -> None:
    account_.update(actions=[Account.password_hash.set(password_hash)])


def replace_password(account_: Account, password_hash: str) -> None:
    """A reset: the new hash, and the e-mail verified (the owner proved the mailbox)."""
    now = iso()
    account_.update(actions=[Account.password_hash.set(password_hash), Account.password_changed_at.set(now),
                             Account.updated_at.set(now), Account.email_verified.set(True)])


def mark_email_verified(user_id: str) -> bool:
    """False when the account no longer exists."""
    return applied(lambda: Account(*Account.key(user_id)).update(
        actions=[Account.email_verified.set(True), Account.updated_at.set(iso())],
        condition=Account.pk.exists()))


def set_role(account_: Account, role: str) -> bool:
    """False when the account no longer exists."""
    return applied(lambda: account_.update(actions=[Account.role.set(role), Account.updated_at.set(iso())],
                                           condition=Account.pk.exists()))


def accounts_by_email(*, limit: int, start: dict | None, email_prefix: str | None) -> tuple[list[Account], dict | None]:
    """A page of accounts ordered by (lower-case) e-mail, those starting with `email_prefix` when given,
    and the key to continue after it."""
    condition = Account.gsi1sk.startswith(email_prefix) if email_prefix else None
    results = Account.by_email.query(ACCOUNTS_PARTITION, condition, limit=limit, last_evaluated_key=start)
    return list(results), results.last_evaluated_key


# ---------------------------------------------------------------------------- the first super_admin
def first_super_admin_marker() -> BootstrapMarker | None:
    try:
        return BootstrapMarker.get(*BootstrapMarker.key(), consistent_read=True)
    except BootstrapMarker.DoesNotExist:
        return None


def promote_to_first_super_admin(account_: Account, role: str) -> None:
    """`account_` gets `role` (e-mail verified) with the marker, in one transaction: on condition that the
    marker does not exist (FirstSuperAdminExists) and that the account still has the password hash
    just read (AccountChanged: reset or deleted meanwhile)."""
    now = iso()
    try:
        with transaction() as tx:
            tx.update(account_, actions=[Account.role.set(role), Account.email_verified.set(True),
                                         Account.updated_at.set(now)],
                      condition=Account.pk.exists() & (Account.password_hash == account_.password_hash))
            tx.save(_marker(account_, promoted=True), condition=BootstrapMarker.pk.does_not_exist())
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if len(codes) > 1 and codes[1] in _REFUSED:
            raise FirstSuperAdminExists() from None
        if codes and codes[0] in _REFUSED:
            raise AccountChanged() from None
        raise
    account_.role, account_.email_verified, account_.updated_at = role, True, now


# ---------------------------------------------------------------------------- one-time tokens
def save_one_time_token(digest: str, *, purpose: str, user_id: str, expires_at: dt.datetime) -> None:
    OneTimeToken(*OneTimeToken.key(digest), purpose=purpose, user_id=user_id,
                 expires_at=expires_at).save(condition=OneTimeToken.pk.does_not_exist())


def one_time_token(digest: str) -> OneTimeToken | None:
    try:
        return OneTimeToken.get(*OneTimeToken.key(digest), consistent_read=True)
    except OneTimeToken.DoesNotExist:
        return None


def use_one_time_token(record: OneTimeToken) -> bool:
    """Delete it; False when it is gone already (of two concurrent uses only the first delete succeeds)."""
    return applied(lambda: record.delete(condition=OneTimeToken.pk.exists()))


# ---------------------------------------------------------------------------- refresh-token families
def _refresh_token_item(digest: str, user_id: str, family_id: str, absolute_expiry: int) -> RefreshToken:
    return RefreshToken(*RefreshToken.key(digest), user_id=user_id, family_id=family_id, issued_at=iso(),
                        expires_at=_at(absolute_expiry))


def start_family(user_id: str, family_id: str, *, absolute_expiry: int, first_token_digest: str) -> None:
    """A new family and its first refresh token, in one transaction."""
    family = RefreshFamily(*RefreshFamily.key(user_id, family_id), family_id=family_id, user_id=user_id,
                           created_at=iso(), absolute_expiry=absolute_expiry,
                           expires_at=_at(absolute_expiry + FAMILY_KEPT_SECONDS))
    with transaction() as tx:
        tx.save(family, condition=RefreshFamily.pk.does_not_exist())
        tx.save(_refresh_token_item(first_token_digest, user_id, family_id, absolute_expiry),
                condition=RefreshToken.pk.does_not_exist())


def refresh_token_with_family(digest: str) -> tuple[RefreshToken, RefreshFamily] | None:
    try:
        record = RefreshToken.get(*RefreshToken.key(digest), consistent_read=True)
        family = RefreshFamily.get(*RefreshFamily.key(record.user_id, record.family_id), consistent_read=True)
    except (RefreshToken.DoesNotExist, RefreshFamily.DoesNotExist):
        return None
    return record, family


def revoke_family(family: RefreshFamily, reason: str) -> None:
    """Revoked now, unless it was already (then nothing changes)."""
    try:
        family.update(actions=[RefreshFamily.revoked_at.set(iso()), RefreshFamily.revoked_reason.set(reason)],
                      condition=RefreshFamily.revoked_at.does_not_exist())
    except UpdateError as error:
        if not condition_failed(error):
            raise


def use_refresh_token(record: RefreshToken, family: RefreshFamily, next_digest: str) -> bool:
    """Mark `record` used and store the family's next token, in one transaction that also checks the family
    is not revoked; False when the token was used (or the family revoked) since it was read."""
    try:
        with transaction() as tx:
            tx.update(record, actions=[RefreshToken.used_at.set(iso())],
                      condition=RefreshToken.used_at.does_not_exist())
            tx.condition_check(RefreshFamily, family.pk, family.sk,
                               condition=RefreshFamily.revoked_at.does_not_exist())
            tx.save(_refresh_token_item(next_digest, record.user_id, record.family_id, int(family.absolute_expiry)),
                    condition=RefreshToken.pk.does_not_exist())
    except TransactWriteError:
        return False
    return True


def families(user_id: str) -> Iterator[RefreshFamily]:
    return RefreshFamily.query(RefreshFamily.key(user_id, "")[0], RefreshFamily.sk.startswith("FAMILY#"))


# ---------------------------------------------------------------------------- login throttles
def login_throttle(email_key: str) -> LoginThrottle:
    """The e-mail's throttle (a new, unsaved one when it has none)."""
    pk, sk = LoginThrottle.key(email_key)
    try:
        return LoginThrottle.get(pk, sk, consistent_read=True)
    except LoginThrottle.DoesNotExist:
        return LoginThrottle(pk, sk)


def existing_login_throttle(email_key: str) -> LoginThrottle | None:
    try:
        return LoginThrottle.get(*LoginThrottle.key(email_key), consistent_read=True)
    except LoginThrottle.DoesNotExist:
        return None


def save_login_throttle(throttle: LoginThrottle) -> bool:
    """Conditional on the version read; False when someone else saved it meanwhile."""
    try:
        throttle.save()
    except PutError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def delete_login_throttle(email_key: str) -> None:
    try:
        LoginThrottle(*LoginThrottle.key(email_key)).delete(add_version_condition=False)
    except DeleteError:
        pass  # nothing to unlock

