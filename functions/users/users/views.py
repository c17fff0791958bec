"""What the users service answers (model → answer dict)."""
from __future__ import annotations

from typing import Any

from meridian import pagination

from .models import ADDRESS_FIELDS, Address, Profile


def profile_view(profile: Profile, role: str) -> dict[str, Any]:
    """The profile, with the caller's token role (auth owns roles)."""
    return {"id": profile.user_id, "email": profile.email, "name": profile.name, "role": role,
            "locale": profile.locale, "currency": profile.currency, "created_at": profile.created_at,
            "updated_at": profile.updated_at}


def address_view(address: Address) -> dict[str, Any]:
    return {"id": address.address_id, **{f: getattr(address, f) for f in ADDRESS_FIELDS},
            "created_at": address.created_at, "updated_at": address.updated_at}


def addresses_page(addresses: list[Address], next_key: dict | None, cursor_purpose: str) -> dict[str, Any]:
    """{"items": [address_view], "next_cursor"} (the cursor only works for the purpose it was made for)."""
    return pagination.page([address_view(a) for a in addresses], next_key, cursor_purpose)
