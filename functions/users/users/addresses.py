"""A user's address book. Every operation is scoped to the caller's own partition."""
from __future__ import annotations

import uuid
from typing import Any

from meridian import pagination
from meridian.clock import iso
from meridian.config import int_env
from meridian.dynamo import cancellation_codes
from meridian.errors import Conflict, NotFound
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from .models import ADDRESS_PREFIX, Address, AddressBook, transaction

MAX_ADDRESSES = int_env("MAX_ADDRESSES_PER_USER", 50)
FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")


def view(address: Address) -> dict[str, Any]:
    return {"id": address.address_id, **{f: getattr(address, f) for f in FIELDS},
            "created_at": address.created_at, "updated_at": address.updated_at}


def _cursor_purpose(user_id: str) -> str:
    return f"users:addresses:{user_id}"   # a cursor only works for the user it was issued to


def _valid_id(address_id: str) -> str:
    try:
        return str(uuid.UUID(address_id))
    except (ValueError, TypeError, AttributeError):
        raise NotFound("No such address.") from None


def list_page(user_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
    start = pagination.decode_cursor(cursor, _cursor_purpose(user_id))
    results = Address.query(f"USER#{user_id}", Address.sk.startswith(ADDRESS_PREFIX), limit=limit,
                             last_evaluated_key=start)
    items = [view(a) for a in results]
    next_key = results.last_evaluated_key if len(items) >= limit else None
    return pagination.page(items, next_key, _cursor_purpose(user_id))


def get(user_id: str, address_id: str) -> Address:
    try:
        return Address.get(*Address.key(user_id, _valid_id(address_id)))
    except Address.DoesNotExist:
        raise NotFound("No such address.") from None


def add(user_id: str, data: dict[str, Any]) -> Address:
    """The cap holds under concurrent adds: the address and its book's counter change in one transaction,
    on condition that the counter is below MAX_ADDRESSES."""
    _ensure_address_book(user_id)
    address_id, now = str(uuid.uuid4()), iso()
    address = Address(*Address.key(user_id, address_id), address_id=address_id, user_id=user_id,
                      created_at=now, updated_at=now, **{f: data.get(f) for f in FIELDS})
    book = AddressBook(*AddressBook.key(user_id))
    try:
        with transaction() as writes:
            writes.update(book, actions=[AddressBook.entries.add(1)],
                          condition=AddressBook.entries < MAX_ADDRESSES)
            writes.save(address, condition=Address.pk.does_not_exist())
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise Conflict(f"The address book is full ({MAX_ADDRESSES} addresses); delete one first.") from None
        raise
    return address


def change(user_id: str, address_id: str, changes: dict[str, Any]) -> Address:
    address = get(user_id, address_id)
    if not changes:
        return address
    actions = [getattr(Address, f).remove() if v is None else getattr(Address, f).set(v)
               for f, v in changes.items() if f in FIELDS]
    actions.append(Address.updated_at.set(iso()))
    try:
        address.update(actions=actions, condition=Address.pk.exists())
    except UpdateError:
        raise NotFound("No such address.") from None
    return address


def remove(user_id: str, address_id: str) -> None:
    _ensure_address_book(user_id)
    address = Address(*Address.key(user_id, _valid_id(address_id)))
    try:
        with transaction() as writes:
            writes.delete(address, condition=Address.pk.exists())
            writes.update(AddressBook(*AddressBook.key(user_id)), actions=[AddressBook.entries.add(-1)])
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise NotFound("No such address.") from None
        raise


def _ensure_address_book(user_id: str) -> None:
    """Create the counter, from a count of the addresses, when the user has none yet (created once)."""
    try:
        AddressBook.get(*AddressBook.key(user_id), attributes_to_get=["pk"])
        return
    except AddressBook.DoesNotExist:
        pass
    existing = Address.count(f"USER#{user_id}", Address.sk.startswith(ADDRESS_PREFIX), consistent_read=True)
    try:
        AddressBook(*AddressBook.key(user_id), entries=existing).save(condition=AddressBook.pk.does_not_exist())
    except PutError:
        pass                                   # a concurrent request created it first

