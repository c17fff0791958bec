"""Order reads for the API, and the admin's plain moves."""
from __future__ import annotations

from meridian import pagination
from meridian.audit import describe
from meridian.errors import NotFound, Unauthorized, ValidationFailed

from . import guest_links, repository
from .state_machine import STATUSES, move
from .views import order_view


def order_detail(order_id: str, who, *, link_token: str | None = None) -> dict:
    """An order for its owner or an admin, or for whoever holds its signed guest link (guest_links.py)."""
    if link_token is not None:
        if not guest_links.valid(order_id, link_token):
            raise NotFound("No such order.")
        return order_view(repository.get(order_id))
    if who is None:
        raise Unauthorized("An access token (or the order's link) is required.")
    return order_view(repository.visible(order_id, who))


def claim_guest_orders(who) -> None:
    """A customer whose e-mail address is verified sees the orders placed as a guest with it."""
    if who.email and who.claims.get("email_verified") is True:
        repository.claim_guest_orders(who.email, who.user_id)


def list_orders(who, *, limit: int, cursor: str | None, user_id: str | None, status: str | None) -> dict:
    """A page of orders. The cursor is bound to the caller and the query (as every list's is): replayed by
    another caller, or with another ?user_id= or ?status=, it is a 400."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed({"status": [f"One of {', '.join(STATUSES)}."]})
    admin = who.is_at_least("admin")
    if cursor is None and not admin:
        claim_guest_orders(who)
    purpose = f"orders:{who.user_id}:{user_id or ''}:{status or ''}"
    start = pagination.decode_cursor(cursor, purpose)
    if not admin or user_id:
        orders, last = repository.page_for_user(user_id if admin and user_id else who.user_id, limit=limit,
                                                start=start)
        if status:
            orders = [o for o in orders if o.status == status]
    elif status:
        orders, last = repository.page_by_status(status, limit=limit, start=start)
    else:
        orders, last = repository.page_of_all(limit=limit, start=start)
    items = [order_view(o) for o in orders]
    return pagination.page(items, last, purpose)


def move_by_admin(order_id: str, target: str, who, *, reason: str) -> dict:
    order = repository.get(order_id)
    before = order.status
    move(order, target, reason=reason, actor=f"{who.role}:{who.user_id}")
    describe(action=f"order.{target}", target=f"order:{order.id}", before={"status": before},
             after={"status": order.status, "reason": reason})
    return order_view(order)
