"""Reading and writing the orders table: the only module that touches it.

An order is ONE item with its append-only history (see models.py): a new order is one conditional
put, a status move one conditional update (the new status on condition that the status is still
the one read, its history entry appended in the same write). Which moves are allowed, and what
they record, is state_machine.py's; this module only writes them.
"""
from __future__ import annotations

from meridian.dynamo import condition_failed
from meridian.errors import NotFound
from pynamodb.exceptions import DoesNotExist, UpdateError

from .models import ORDER_SK, EmailMarker, HistoryEntry, OrderModel


# ---------------------------------------------------------------------------- writes
def new_order(**fields) -> OrderModel:
    """An order not stored yet, indexed: gsi1 by user and creation, gsi2 by status and, in the status it is
    created in (awaiting payment), by `expires_at` (so the due ones are a Query up to now); a move re-sorts
    it by the time of the move (save_move)."""
    order = OrderModel(OrderModel.key(fields["id"]), ORDER_SK, **fields)
    order.gsi1pk = f"USER#{order.user_id}"
    order.gsi1sk = f"{order.created_at}#{order.id}"
    order.gsi2pk = f"STATUS#{order.status}"
    order.gsi2sk = f"{order.expires_at}#{order.id}"
    return order


def create(order: OrderModel, first: HistoryEntry) -> None:
    """Store a new order with its first history entry (one conditional put; never overwrites)."""
    order.history = [first]
    order.save(condition=OrderModel.pk.does_not_exist())


def save_move(order: OrderModel, entry: HistoryEntry) -> bool:
    """Move `order` from its status as read to `entry.status`, appending `entry`, in ONE conditional update;
    False when the order's status is no longer the one read (nothing written)."""
    current, target, now = order.status, entry.status, entry.at
    try:
        order.update(actions=[OrderModel.status.set(target), OrderModel.updated_at.set(now),
                              OrderModel.gsi2pk.set(f"STATUS#{target}"),
                              OrderModel.gsi2sk.set(f"{now}#{order.id}"),
                              OrderModel.history.set(OrderModel.history.append([entry]))],
                     condition=OrderModel.status == current)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        return False
    order.status, order.updated_at = target, now
    return True


def email_sent(order_id: str, kind: str) -> bool:
    try:
        EmailMarker.get(OrderModel.key(order_id), f"EMAIL#{kind}", consistent_read=True)
        return True
    except DoesNotExist:
        return False


def mark_email_sent(order_id: str, kind: str, *, at: str, message_id: str | None) -> None:
    EmailMarker(OrderModel.key(order_id), f"EMAIL#{kind}", sent_at=at, message_id=message_id).save()


# ---------------------------------------------------------------------------- reads
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


def page_of_all(*, limit: int, start: dict | None) -> tuple[list[OrderModel], dict | None]:
    """Every order, in table order (an admin's unfiltered list)."""
    result = OrderModel.scan(OrderModel.sk == ORDER_SK, limit=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def expired(status: str, now_iso: str, *, limit: int = 100) -> list[OrderModel]:
    """Orders in `status` (the one new orders start in, sorted by `expires_at`) whose payment window closed
    before `now_iso`, oldest first, at most `limit`.

    One Query of gsi2's `STATUS#<status>` partition, whose sort key starts with the order's `expires_at`:
    it reads only the orders that are due, however many orders the table holds.
    """
    return list(OrderModel.by_status.query(f"STATUS#{status}", OrderModel.gsi2sk < now_iso, limit=limit))


def count_by_status(status: str) -> int:
    """How many orders have `status` (gsi2 Select=COUNT query, all pages: reads the whole partition)."""
    return OrderModel.count(f"STATUS#{status}", index_name=OrderModel.by_status.Meta.index_name)


def totals_by_status(status: str):
    """(currency, total) of every order with `status` (gsi2 query, only those two attributes returned)."""
    for order in OrderModel.by_status.query(f"STATUS#{status}", attributes_to_get=["currency", "total"]):
        yield order.currency, order.total
