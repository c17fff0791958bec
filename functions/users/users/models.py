"""The users table: a profile and an address book per user, all in the user's partition.

| item    | pk             | sk                  |
|---------|----------------|---------------------|
| Profile | USER#<user_id> | PROFILE             |
| Address | USER#<user_id> | ADDRESS#<address_id>|
| AddressBook | USER#<user_id> | ADDRESSBOOK     |  how many addresses (the cap's conditional counter)

Every read and write names the caller's own partition, so one user can never reach
another's items: a foreign address id simply is not found (404).
"""
from __future__ import annotations

from meridian.config import require_env
from meridian.dynamo import share_connection, table_meta
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

TABLE_NAME = require_env("TABLE_NAME")
ADDRESS_PREFIX = "ADDRESS#"
# an address's fields: those of meridian.fields.AddressSchema
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")


class _UsersItem(Model):
    Meta = table_meta(TABLE_NAME)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class Profile(_UsersItem):
    Meta = table_meta(TABLE_NAME)
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    source = UnicodeAttribute(null=True)       # "event" (user.registered) or "lazy" (first read)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "PROFILE"


class Address(_UsersItem):
    Meta = table_meta(TABLE_NAME)
    address_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    line1 = UnicodeAttribute()
    line2 = UnicodeAttribute(null=True)
    city = UnicodeAttribute()
    region = UnicodeAttribute(null=True)
    postal_code = UnicodeAttribute()
    country = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, address_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"{ADDRESS_PREFIX}{address_id}"


class AddressBook(_UsersItem):
    """How many addresses a user has: moved in the same transaction as each add and delete."""
    entries = NumberAttribute(default=0)
    SK = "ADDRESSBOOK"

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", AddressBook.SK


_connection = share_connection(Profile, Address, AddressBook)


def transaction() -> TransactWrite:
    return TransactWrite(connection=_connection)
