"""Reading and writing orders (the only module that queries the table directly)."""
from __future__ import annotations

from meridian.errors import NotFound
from pynamodb.exceptions import DoesNotExist

from .models import ORDER_SK, OrderModel
from .state_machine import PENDING_PAYMENT, history_entry, status_index_key


def create(order: OrderModel, *, reason: str, actor: str) -> None:
    """Store a new order with its first history entry (one conditional put; never overwrites)."""
    order.history = [history_entry(order.status, reason=reason, actor=actor, at=order.created_at)]
    order.save(condition=OrderModel.pk.does_not_exist())


def new_order(**fields) -> OrderModel:
    order = OrderModel(OrderModel.key(fields["id"]), ORDER_SK, **fields)
    order.gsi1pk = f"USER#{order.user_id}"
    order.gsi1sk = f"{order.created_at}#{order.id}"
    order.gsi2pk = f"STATUS#{order.status}"
    order.gsi2sk = status_index_key(order, order.status, order.created_at)
    return order


def get(order_id: str) -> OrderModel:
    try:
        return OrderModel.get(OrderModel.key(order_id), ORDER_SK, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such order.") from None


def visible(order_id: str, who) -> OrderModel:
    """The order when `who` owns it or is an admin; 404 otherwise (another user's order does not exist)."""
    order = get(order_id)
    if not who.may_see(order.user_id):
        raise NotFound("No such order.")
    return order


def page_for_user(user_id: str, *, limit: int, start: dict | None) -> tuple[list[OrderModel], dict | None]:
    result = OrderModel.by_user.query(f"USER#{user_id}", scan_index_forward=False, limit=limit,
                                      last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def page_by_status(status: str, *, limit: int, start: dict | None) -> tuple[list[OrderModel], dict | None]:
    result = OrderModel.by_status.query(f"STATUS#{status}", scan_index_forward=False, limit=limit,
                                        last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def expired_pending(now_iso: str, *, limit: int = 100) -> list[OrderModel]:
    """Pending orders whose payment window closed before `now_iso` (oldest first, at most `limit`).

    One Query of gsi2's `STATUS#pending_payment` partition, whose sort key starts with the order's
    `expires_at`: it reads only the orders that are due, however many orders the table holds.
    """
    return list(OrderModel.by_status.query(f"STATUS#{PENDING_PAYMENT}", OrderModel.gsi2sk < now_iso, limit=limit))


def count_by_status(status: str) -> int:
    """How many orders have `status` (gsi2 Select=COUNT query, all pages: reads the whole partition)."""
    return OrderModel.count(f"STATUS#{status}", index_name=OrderModel.by_status.Meta.index_name)


def totals_by_status(status: str):
    """(currency, total) of every order with `status` (gsi2 query, only those two attributes returned)."""
    for order in OrderModel.by_status.query(f"STATUS#{status}", attributes_to_get=["currency", "total"]):
        yield order.currency, order.total
