"""The users table's reads and writes: the only module that touches it (its item kinds: models.py).

Every read and write names one user's own partition. A condition that did not hold comes back as
a value (None, False), never as a pynamodb exception.
"""
from __future__ import annotations

import uuid
from typing import Any

from meridian.clock import iso
from meridian.dynamo import applied, cancellation_codes, condition_failed
from pynamodb.exceptions import PutError, TransactWriteError

from .models import ADDRESS_FIELDS, ADDRESS_PREFIX, Address, AddressBook, Profile, transaction


def _changes(model, changes: dict[str, Any], fields) -> list:
    """Update actions for {field: value} (None removes the attribute), and updated_at."""
    actions = [getattr(model, f).remove() if v is None else getattr(model, f).set(v)
               for f, v in changes.items() if f in fields]
    actions.append(model.updated_at.set(iso()))
    return actions


# ---------------------------------------------------------------------------- profiles
PROFILE_FIELDS = ("name", "locale", "currency")


def profile(user_id: str, *, consistent: bool = False) -> Profile | None:
    try:
        return Profile.get(*Profile.key(user_id), consistent_read=consistent)
    except Profile.DoesNotExist:
        return None


def create_profile_once(user_id: str, email: str, *, name: str | None, locale: str | None, currency: str | None,
                        created_at: str | None, source: str) -> tuple[Profile, bool]:
    """Create the profile unless it exists (conditional put): the stored profile, and whether this call made it."""
    now = iso()
    created = Profile(*Profile.key(user_id), user_id=user_id, email=email, name=name, locale=locale,
                      currency=currency, created_at=created_at or now, updated_at=now, source=source)
    try:
        created.save(condition=Profile.pk.does_not_exist())
        return created, True
    except PutError as error:
        if not condition_failed(error):
            raise
    return profile(user_id, consistent=True), False


def update_profile(stored: Profile, changes: dict[str, Any]) -> Profile:
    """Apply {name?, locale?, currency?} (None clears one)."""
    stored.update(actions=_changes(Profile, changes, PROFILE_FIELDS), condition=Profile.pk.exists())
    return stored


# ---------------------------------------------------------------------------- addresses
def addresses(user_id: str, *, limit: int, start: dict | None) -> tuple[list[Address], dict | None]:
    """A page of the user's addresses, and the key to continue after it."""
    results = Address.query(f"USER#{user_id}", Address.sk.startswith(ADDRESS_PREFIX), limit=limit,
                            last_evaluated_key=start)
    return list(results), results.last_evaluated_key


def address(user_id: str, address_id: str) -> Address | None:
    try:
        return Address.get(*Address.key(user_id, address_id))
    except Address.DoesNotExist:
        return None


def add_address(user_id: str, data: dict[str, Any], *, cap: int) -> Address | None:
    """The new address, or None when the book already holds `cap`: the address and its book's counter change
    in one transaction, on condition that the counter is below `cap` (so the cap holds under concurrent adds)."""
    _ensure_address_book(user_id)
    address_id, now = str(uuid.uuid4()), iso()
    created = Address(*Address.key(user_id, address_id), address_id=address_id, user_id=user_id,
                      created_at=now, updated_at=now, **{f: data.get(f) for f in ADDRESS_FIELDS})
    book = AddressBook(*AddressBook.key(user_id))
    try:
        with transaction() as writes:
            writes.update(book, actions=[AddressBook.entries.add(1)], condition=AddressBook.entries < cap)
            writes.save(created, condition=Address.pk.does_not_exist())
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            return None
        raise
    return created


def change_address(stored: Address, changes: dict[str, Any]) -> bool:
    """Apply the changes (None clears a field); False when the address is gone meanwhile."""
    return applied(lambda: stored.update(actions=_changes(Address, changes, ADDRESS_FIELDS),
                                         condition=Address.pk.exists()))


def remove_address(user_id: str, address_id: str) -> bool:
    """Delete it and count it out of the book, in one transaction; False when there is no such address."""
    _ensure_address_book(user_id)
    gone = Address(*Address.key(user_id, address_id))
    try:
        with transaction() as writes:
            writes.delete(gone, condition=Address.pk.exists())
            writes.update(AddressBook(*AddressBook.key(user_id)), actions=[AddressBook.entries.add(-1)])
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            return False
        raise
    return True


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
    except PutError as error:
        if not condition_failed(error):
            raise                              # else: a concurrent request created it first
