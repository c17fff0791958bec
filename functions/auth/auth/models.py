"""The auth table (one table, several item kinds, keyed pk/sk).

| item             | pk                      | sk            | notes                                        |
|------------------|-------------------------|---------------|----------------------------------------------|
| Account          | USER#<user_id>          | ACCOUNT       | password hash, role; gsi1 lists accounts      |
| EmailClaim       | EMAIL#<lower-case email>| CLAIM         | makes emails unique (conditional put)         |
| RefreshFamily    | USER#<user_id>          | FAMILY#<id>   | one login session; revoked as a whole         |
| RefreshToken     | REFRESH#<sha256 hex>    | TOKEN         | only the hash is stored; used_at once used    |
| OneTimeToken     | OTT#<sha256 hex>        | TOKEN         | e-mail verification / password reset          |
| LoginThrottle    | THROTTLE#<lower email>  | LOGIN         | failed logins and lockouts of one account     |
| BootstrapMarker  | BOOTSTRAP#super_admin   | MARKER        | the first super_admin was made (once a stack) |

`expires_at` is the table's TTL attribute. DynamoDB deletes late (moto never does), so every
reader checks expiry itself.
"""
from __future__ import annotations

from meridian.config import require_env
from meridian.dynamo import cancellation_codes, generic_index, share_connection, table_meta
from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

TABLE_NAME = require_env("TABLE_NAME")
ACCOUNTS_PARTITION = "ACCOUNTS"


class _AuthItem(Model):
    Meta = table_meta(TABLE_NAME)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


AccountsByEmail = generic_index(1, "AccountsByEmail")


class Account(_AuthItem):
    Meta = table_meta(TABLE_NAME)
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    email_key = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    role = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    email_verified = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    password_changed_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(default=ACCOUNTS_PARTITION)
    gsi1sk = UnicodeAttribute()
    by_email = AccountsByEmail()

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "ACCOUNT"


class EmailClaim(_AuthItem):
    Meta = table_meta(TABLE_NAME)
    user_id = UnicodeAttribute()

    @staticmethod
    def key(email_key: str) -> tuple[str, str]:
        return f"EMAIL#{email_key}", "CLAIM"


class RefreshFamily(_AuthItem):
    Meta = table_meta(TABLE_NAME)
    family_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    absolute_expiry = NumberAttribute()          # epoch seconds; no refresh after this
    revoked_at = UnicodeAttribute(null=True)
    revoked_reason = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, family_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"FAMILY#{family_id}"


class RefreshToken(_AuthItem):
    Meta = table_meta(TABLE_NAME)
    user_id = UnicodeAttribute()
    family_id = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    used_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(digest: str) -> tuple[str, str]:
        return f"REFRESH#{digest}", "TOKEN"


class OneTimeToken(_AuthItem):
    Meta = table_meta(TABLE_NAME)
    purpose = UnicodeAttribute()                 # verify_email | password_reset
    user_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(digest: str) -> tuple[str, str]:
        return f"OTT#{digest}", "TOKEN"


class LoginThrottle(_AuthItem):
    Meta = table_meta(TABLE_NAME)
    window_start = NumberAttribute(default=0)    # epoch seconds of the first failure in the window
    failures = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)
    lockouts = NumberAttribute(default=0)        # locks in a row (the next lock lasts longer)
    last_locked_at = NumberAttribute(default=0)
    version = VersionAttribute()
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(email_key: str) -> tuple[str, str]:
        return f"THROTTLE#{email_key}", "LOGIN"


class BootstrapMarker(_AuthItem):
    """Written with the first super_admin by `handlers.create_first_super_admin` (conditional put, same
    transaction as the account): while it exists, the bootstrap refuses."""
    Meta = table_meta(TABLE_NAME)
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    created_at = UnicodeAttribute()
    promoted = BooleanAttribute(default=False)   # an existing account was promoted rather than created

    @staticmethod
    def key() -> tuple[str, str]:
        return "BOOTSTRAP#super_admin", "MARKER"


_connection = share_connection(Account, _AuthItem, EmailClaim, RefreshFamily, RefreshToken, OneTimeToken,
                               LoginThrottle, BootstrapMarker)


def transaction() -> TransactWrite:
    """A DynamoDB transaction on this table (the models' own connection)."""
    return TransactWrite(connection=_connection)


__all__ = ["Account", "EmailClaim", "RefreshFamily", "RefreshToken", "OneTimeToken", "LoginThrottle",
           "BootstrapMarker", "transaction", "cancellation_codes", "TABLE_NAME"]
