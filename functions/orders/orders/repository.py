"""Reading and writing orders (the only module that queries the table directly)."""
from __future__ import annotations

from meridian import pagination
from meridian.errors import NotFound
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from .models import ORDER_SK, OrderHistoryModel, OrderModel, connection
from .state_machine import PENDING_PAYMENT, history_item, status_index_key


def create(order: OrderModel, *, reason: str, actor: str) -> list[OrderHistoryModel]:
    """Store a new order with its first history item (one transaction; never overwrites); its history."""
    first = history_item(order.id, order.status, reason=reason, actor=actor, at=order.created_at)
    with TransactWrite(connection=connection()) as tx:
        tx.save(order, condition=OrderModel.pk.does_not_exist())
        tx.save(first, condition=OrderHistoryModel.sk.does_not_exist())
    return [first]


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


def history(order_id: str) -> list[OrderHistoryModel]:
    return list(OrderHistoryModel.query(OrderModel.key(order_id), OrderHistoryModel.sk.startswith("HISTORY#"),
                                        consistent_read=True))


def visible(order_id: str, who) -> OrderModel:
    """The order when `who` owns it or is an admin; 404 otherwise (another user's order does not exist)."""
    try:
        order = get(order_id)
    except NotFound:
        raise NotFound("No such order.") from None
    if order.user_id != who.user_id and not who.is_at_least("admin"):
        raise NotFound("No such order.")
    return order


def page_for_user(user_id: str, *, limit: int, cursor: str | None) -> tuple[list[OrderModel], dict | None]:
    result = OrderModel.by_user.query(f"USER#{user_id}", scan_index_forward=False, limit=limit,
                                      last_evaluated_key=pagination.decode_cursor(cursor, "orders-user"))
    return list(result), result.last_evaluated_key


def page_by_status(status: str, *, limit: int, cursor: str | None) -> tuple[list[OrderModel], dict | None]:
    result = OrderModel.by_status.query(f"STATUS#{status}", scan_index_forward=False, limit=limit,
                                        last_evaluated_key=pagination.decode_cursor(cursor, "orders-status"))
    return list(result), result.last_evaluated_key


def expired_pending(now_iso: str, *, limit: int = 100) -> list[OrderModel]:
    """Pending orders whose payment window closed before `now_iso` (oldest first)."""
    return list(OrderModel.by_status.query(f"STATUS#{PENDING_PAYMENT}", OrderModel.gsi2sk < now_iso, limit=limit))
