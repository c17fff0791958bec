"""What sibling services may ask auth about accounts (internal API, service-signed calls only).

The admin service lists accounts and changes roles; users (and any platform service) may
read one account's public facts (auth/views.py). The admin service decides who may change
roles; auth only checks the role exists and stores it.
"""
from __future__ import annotations

from meridian import pagination
from meridian.auth import ROLES
from meridian.errors import NotFound, ValidationFailed

from . import repository
from .accounts import email_key
from .models import Account

CURSOR_PURPOSE = "auth:accounts"


def get_account(user_id: str) -> Account:
    account = repository.account(user_id)
    if account is None:
        raise NotFound("No such user.")
    return account


def list_accounts(*, limit: int, cursor: str | None = None,
                  email_prefix: str | None = None) -> tuple[list[Account], dict | None]:
    """A page of accounts ordered by e-mail, and the key after it (None on the last page)."""
    start = pagination.decode_cursor(cursor, CURSOR_PURPOSE)
    accounts, last_key = repository.accounts_by_email(
        limit=limit, start=start, email_prefix=email_key(email_prefix) if email_prefix else None)
    return accounts, (last_key if len(accounts) >= limit else None)


def set_role(user_id: str, role: str) -> tuple[Account, str]:
    """Change an account's role (it shows in access tokens from the next login or refresh): the account and
    its previous role."""
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Must be one of: {', '.join(ROLES)}."]})
    account = get_account(user_id)
    previous = account.role
    if not repository.set_role(account, role):
        raise NotFound("No such user.")
    return account, previous
