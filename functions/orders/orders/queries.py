"""Order reads for the API, and the admin's plain moves."""
from __future__ import annotations

from meridian import pagination
from meridian.audit import describe
from meridian.errors import ValidationFailed

from . import repository
from .state_machine import STATUSES, move
from .views import order_view


def order_detail(order_id: str, who) -> dict:
    order = repository.visible(order_id, who)
    return order_view(order)


def list_orders(who, *, limit: int, cursor: str | None, user_id: str | None, status: str | None) -> dict:
    """A page of orders. The cursor is bound to the caller and the query (as every list's is): replayed by
    another caller, or with another ?user_id= or ?status=, it is a 400."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed({"status": [f"One of {', '.join(STATUSES)}."]})
    admin = who.is_at_least("admin")
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
