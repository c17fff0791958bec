"""The order status machine: exactly the contract's moves, each one conditional and recorded.

    pending_payment → paid → fulfilled
    pending_payment → cancelled      (customer, admin, payment failed or expired)
    paid            → refunded

A move is ONE conditional UpdateItem: set the new status on condition that the status is
still the one we read, and append a history entry {status, at, reason, actor} to the
order's append-only history in the same write. Any other move, or a move that loses a
race, is a 409 Conflict and changes nothing. The history is part of the order item, so the
move and its entry are atomic without a transaction.
"""
from __future__ import annotations

from meridian.clock import iso
from meridian.dynamo import condition_failed
from meridian.errors import Conflict
from meridian.observability import count, logger
from pynamodb.exceptions import UpdateError

from .models import HistoryEntry, OrderModel

PENDING_PAYMENT, PAID, FULFILLED, CANCELLED, REFUNDED = "pending_payment", "paid", "fulfilled", "cancelled", "refunded"
STATUSES = (PENDING_PAYMENT, PAID, FULFILLED, CANCELLED, REFUNDED)
TRANSITIONS: frozenset[tuple[str, str]] = frozenset({
    (PENDING_PAYMENT, PAID),
    (PENDING_PAYMENT, CANCELLED),
    (PAID, FULFILLED),
    (PAID, REFUNDED),
})


class MoveRefused(Conflict):
    type_slug = "order-state"

    def __init__(self, order_id: str, current: str, target: str):
        super().__init__(f"An order that is {current} cannot become {target}.", order_id=order_id,
                         order_status=current)
        self.current, self.target = current, target


def allowed(current: str, target: str) -> bool:
    return (current, target) in TRANSITIONS


def history_entry(status: str, *, reason: str, actor: str, at: str, from_status: str | None = None) -> HistoryEntry:
    return HistoryEntry(status=status, from_status=from_status, at=at, reason=reason, actor=actor)


def status_index_key(order: OrderModel, status: str, at: str) -> str:
    return f"{order.expires_at if status == PENDING_PAYMENT else at}#{order.id}"


def move(order: OrderModel, target: str, *, reason: str, actor: str) -> OrderModel:
    """Move `order` (as read) to `target`; MoveRefused (409) if not allowed or someone moved it first."""
    current = order.status
    if not allowed(current, target):
        raise MoveRefused(order.id, current, target)
    now = iso()
    entry = history_entry(target, reason=reason, actor=actor, at=now, from_status=current)
    try:
        order.update(actions=[OrderModel.status.set(target), OrderModel.updated_at.set(now),
                              OrderModel.gsi2pk.set(f"STATUS#{target}"),
                              OrderModel.gsi2sk.set(status_index_key(order, target, now)),
                              OrderModel.history.set(OrderModel.history.append([entry]))],
                     condition=OrderModel.status == current)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        fresh = OrderModel.get(OrderModel.key(order.id), "ORDER", consistent_read=True)
        raise MoveRefused(order.id, fresh.status, target) from None
    order.status, order.updated_at = target, now
    count("OrderStatusMoves", to=target)
    logger.info("order moved", extra={"order_id": order.id, "from": current, "to": target, "actor": actor,
                                      "reason": reason})
    return order
