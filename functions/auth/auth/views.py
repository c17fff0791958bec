"""What the auth service answers about an account (model → answer dict). Password hashes never leave."""
from __future__ import annotations

from typing import Any

from meridian import pagination

from .directory import CURSOR_PURPOSE
from .models import Account


def account_view(account: Account) -> dict[str, Any]:
    """An account's public facts (the internal API's `user`)."""
    return {"id": account.user_id, "user_id": account.user_id, "email": account.email, "role": account.role,
            "name": account.name, "locale": account.locale, "currency": account.currency,
            "email_verified": bool(account.email_verified), "created_at": account.created_at,
            "updated_at": account.updated_at}


def accounts_page(accounts: list[Account], next_key: dict | None) -> dict[str, Any]:
    """A page of accounts: {"items": [account_view], "next_cursor"}."""
    return pagination.page([account_view(account) for account in accounts], next_key, CURSOR_PURPOSE)


def role_change_view(account: Account, previous_role: str) -> dict[str, Any]:
    return {**account_view(account), "previous_role": previous_role}


def registered_view(account: Account) -> dict[str, str]:
    """POST /register's answer."""
    return {"user_id": account.user_id, "email": account.email}
