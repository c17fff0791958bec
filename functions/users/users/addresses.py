"""A user's address book. Every operation is scoped to the caller's own partition."""
from __future__ import annotations

import uuid
from typing import Any

from meridian import pagination
from meridian.clock import iso
from meridian.config import int_env
from meridian.errors import Conflict, NotFound
from pynamodb.exceptions import DeleteError, UpdateError

from .models import ADDRESS_PREFIX, Address

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
    existing = Address.count(f"USER#{user_id}", Address.sk.startswith(ADDRESS_PREFIX))
    if existing >= MAX_ADDRESSES:
        raise Conflict(f"The address book is full ({MAX_ADDRESSES} addresses); delete one first.")
    address_id, now = str(uuid.uuid4()), iso()
    address = Address(*Address.key(user_id, address_id), address_id=address_id, user_id=user_id,
                      created_at=now, updated_at=now, **{f: data.get(f) for f in FIELDS})
    address.save(condition=Address.pk.does_not_exist())
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
    address = Address(*Address.key(user_id, _valid_id(address_id)))
    try:
        address.delete(condition=Address.pk.exists())
    except DeleteError:
        raise NotFound("No such address.") from None
