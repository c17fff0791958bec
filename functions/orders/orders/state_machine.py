"""The order status machine: every status an order takes goes through here, each move conditional and recorded.

    (new)           → pending_payment   place(): checkout stores the order with its first entry
    pending_payment → paid → fulfilled
    pending_payment → cancelled          (customer, admin, payment failed or expired)
    paid            → refunded

A move is ONE conditional UpdateItem (repository.save_move): set the new status on condition
that the status is still the one we read, and append a history entry {status, at, reason,
actor} to the order's append-only history in the same write. Any other move, or a move that
loses a race, is a 409 Conflict and changes nothing. The history is part of the order item, so
the move and its entry are atomic without a transaction. The modules that decide WHEN an order
moves (checkout, cancellation, payment_events, reconciliation, queries) all call place() or
move(); none writes a status itself.
"""
from __future__ import annotations

from meridian.clock import iso
from meridian.errors import Conflict
from meridian.observability import count, logger

from . import repository
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


def place(*, reason: str, actor: str, **fields) -> OrderModel:
    """Store a new order, pending_payment, with its first history entry (one conditional put)."""
    order = repository.new_order(status=PENDING_PAYMENT, **fields)
    repository.create(order, history_entry(PENDING_PAYMENT, reason=reason, actor=actor, at=order.created_at))
    return order


def move(order: OrderModel, target: str, *, reason: str, actor: str) -> OrderModel:
    """Move `order` (as read) to `target`; MoveRefused (409) if not allowed or someone moved it first."""
    current = order.status
    if not allowed(current, target):
        raise MoveRefused(order.id, current, target)
    entry = history_entry(target, reason=reason, actor=actor, at=iso(), from_status=current)
    if not repository.save_move(order, entry):
        raise MoveRefused(order.id, repository.get(order.id).status, target)
    count("OrderStatusMoves", to=target)
    logger.info("order moved", extra={"order_id": order.id, "from": current, "to": target, "actor": actor,
                                      "reason": reason})
    return order


def move_unless_moved(order: OrderModel, target: str, *, reason: str, actor: str) -> OrderModel:
    """move(), but an order someone else moved first is no error: the order as it is now (an event's repeat)."""
    try:
        return move(order, target, reason=reason, actor=actor)
    except MoveRefused:
        return repository.get(order.id)


def note(order: OrderModel, *, reason: str, actor: str, event: str | None = None, changes: dict | None = None,
         appends: dict | None = None, data: dict | None = None) -> OrderModel:
    """PLACEHOLDER on the orphans branch until the lead's state_machine.note lands on main (take main's on merge):
    a step that keeps the status, recorded in history with `changes` set in the same conditional write."""
    from meridian.dynamo import condition_failed
    from pynamodb.exceptions import UpdateError

    entry = history_entry(order.status, reason=reason, actor=actor, at=iso(), from_status=order.status)
    actions = [OrderModel.updated_at.set(entry.at), OrderModel.history.set(OrderModel.history.append([entry]))]
    actions += [getattr(OrderModel, name).set(value) for name, value in (changes or {}).items()]
    try:
        order.update(actions=actions, condition=(OrderModel.status == order.status)
                     & (OrderModel.updated_at == order.updated_at))
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        raise MoveRefused(order.id, repository.get(order.id).status, order.status) from None
    return order
