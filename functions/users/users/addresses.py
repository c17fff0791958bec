"""A user's address book. Every operation is scoped to the caller's own partition (users/repository.py)."""
from __future__ import annotations

import uuid
from typing import Any

from meridian import pagination
from meridian.config import int_env
from meridian.errors import Conflict, NotFound

from . import repository
from .models import Address

MAX_ADDRESSES = int_env("MAX_ADDRESSES_PER_USER", 50)


def cursor_purpose(user_id: str) -> str:
    return f"users:addresses:{user_id}"   # a cursor only works for the user it was issued to


def _not_found() -> NotFound:
    return NotFound("No such address.")


def _valid_id(address_id: str) -> str:
    try:
        return str(uuid.UUID(address_id))
    except (ValueError, TypeError, AttributeError):
        raise _not_found() from None


def list_page(user_id: str, *, limit: int, cursor: str | None) -> tuple[list[Address], dict | None]:
    """A page of the user's addresses, and the key after it (None on the last page)."""
    start = pagination.decode_cursor(cursor, cursor_purpose(user_id))
    found, last_key = repository.addresses(user_id, limit=limit, start=start)
    return found, (last_key if len(found) >= limit else None)


def get(user_id: str, address_id: str) -> Address:
    address = repository.address(user_id, _valid_id(address_id))
    if address is None:
        raise _not_found()
    return address


def add(user_id: str, data: dict[str, Any]) -> Address:
    """At most MAX_ADDRESSES per user, also under concurrent adds (a conditional counter)."""
    address = repository.add_address(user_id, data, cap=MAX_ADDRESSES)
    if address is None:
        raise Conflict(f"The address book is full ({MAX_ADDRESSES} addresses); delete one first.")
    return address


def change(user_id: str, address_id: str, changes: dict[str, Any]) -> Address:
    address = get(user_id, address_id)
    if not changes:
        return address
    if not repository.change_address(address, changes):
        raise _not_found()
    return address


def remove(user_id: str, address_id: str) -> None:
    if not repository.remove_address(user_id, _valid_id(address_id)):
        raise _not_found()
