"""What sibling services may ask auth about accounts (internal API, service-signed calls only).

The admin service lists accounts and changes roles; users (and any platform service) may
read one account's public facts. Password hashes never leave this module.
"""
from __future__ import annotations

from meridian import pagination
from meridian.auth import ROLES
from meridian.clock import iso
from meridian.errors import NotFound, ValidationFailed
from pynamodb.exceptions import UpdateError

from .models import ACCOUNTS_PARTITION, Account

CURSOR_PURPOSE = "auth:accounts"


def view(account: Account) -> dict:
    return {"id": account.user_id, "user_id": account.user_id, "email": account.email, "role": account.role,
            "name": account.name, "locale": account.locale, "currency": account.currency,
            "email_verified": bool(account.email_verified), "created_at": account.created_at,
            "updated_at": account.updated_at}


def get_account(user_id: str) -> Account:
    try:
        return Account.get(*Account.key(user_id))
    except Account.DoesNotExist:
        raise NotFound("No such user.") from None


def list_accounts(*, limit: int, cursor: str | None = None, email_prefix: str | None = None) -> dict:
    """A page of accounts ordered by e-mail: {"items", "next_cursor"}."""
    start = pagination.decode_cursor(cursor, CURSOR_PURPOSE)
    condition = Account.gsi1sk.startswith(email_prefix.strip().lower()) if email_prefix else None
    results = Account.by_email.query(ACCOUNTS_PARTITION, condition, limit=limit, last_evaluated_key=start)
    items = [view(account) for account in results]
    next_key = results.last_evaluated_key if len(items) >= limit else None
    return pagination.page(items, next_key, CURSOR_PURPOSE)


def set_role(user_id: str, role: str) -> dict:
    """Change an account's role; it shows in access tokens from the next login or refresh."""
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Must be one of: {', '.join(ROLES)}."]})
    account = get_account(user_id)
    previous = account.role
    try:
        account.update(actions=[Account.role.set(role), Account.updated_at.set(iso())],
                       condition=Account.pk.exists())
    except UpdateError:
        raise NotFound("No such user.") from None
    return {**view(account), "previous_role": previous}
