"""The order status machine: every change an order goes through passes here, each one conditional, recorded,
versioned and published.

    (new)               → pending_payment       place(): checkout stores the order with its first entry
    pending_payment     → paid | cancelled      (paid by webhook; cancelled by the customer, an admin, expiry)
    paid                → partially_fulfilled | fulfilled | partially_refunded | refunded | cancelled
    partially_fulfilled → fulfilled | partially_refunded | refunded
    fulfilled           → partially_refunded | refunded
    partially_refunded  → refunded

Money outranks shipping in the status: once anything was refunded the status says so, and the shipping
state stays readable in `fulfillment_status`. A step that keeps the status (a declined card on a pending
order, a second shipment, a second partial refund, a return's progress) is a *note*: recorded, versioned and
published like a move, with the status unchanged.

A change is ONE conditional UpdateItem (repository.save_change): the new status (for a move), the order's
`version` + 1, its history entry {status, at, reason, actor} appended, and whatever the caller changes with it
(`changes`: attributes set, `appends`: entries added to list attributes), on condition that status and version
are still the ones read. A move the table above does not hold, or a change that loses a race, is a 409
Conflict and changes nothing. Then the order event is published on the bus (order_events.py), carrying the new
version. The modules that decide WHEN an order changes (checkout, cancellation, payment_events,
reconciliation, shipments, refunds, returns) call place(), move() or note(); none writes an order itself.
"""
from __future__ import annotations

from meridian.clock import iso
from meridian.errors import Conflict
from meridian.observability import count, logger

from . import order_events, repository
from .models import HistoryEntry, OrderModel

PENDING_PAYMENT, PAID, CANCELLED = "pending_payment", "paid", "cancelled"
PARTIALLY_FULFILLED, FULFILLED = "partially_fulfilled", "fulfilled"
PARTIALLY_REFUNDED, REFUNDED = "partially_refunded", "refunded"
STATUSES = (PENDING_PAYMENT, PAID, PARTIALLY_FULFILLED, FULFILLED, PARTIALLY_REFUNDED, REFUNDED, CANCELLED)
TRANSITIONS: frozenset[tuple[str, str]] = frozenset({
    (PENDING_PAYMENT, PAID), (PENDING_PAYMENT, CANCELLED),
    (PAID, PARTIALLY_FULFILLED), (PAID, FULFILLED), (PAID, PARTIALLY_REFUNDED), (PAID, REFUNDED), (PAID, CANCELLED),
    (PARTIALLY_FULFILLED, FULFILLED), (PARTIALLY_FULFILLED, PARTIALLY_REFUNDED), (PARTIALLY_FULFILLED, REFUNDED),
    (FULFILLED, PARTIALLY_REFUNDED), (FULFILLED, REFUNDED),
    (PARTIALLY_REFUNDED, REFUNDED),
})
# the statuses an order has been paid in (and not given back in full): what revenue counts, what ships
PAID_STATUSES = (PAID, PARTIALLY_FULFILLED, FULFILLED, PARTIALLY_REFUNDED)


class MoveRefused(Conflict):
    type_slug = "order-state"

    def __init__(self, order_id: str, current: str, target: str):
        super().__init__(f"An order that is {current} cannot become {target}.", order_id=order_id,
                         order_status=current)
        self.current, self.target = current, target


class OrderChanged(Conflict):
    type_slug = "order-changed"

    def __init__(self, order_id: str):
        super().__init__("The order changed meanwhile; read it again.", order_id=order_id,
                         headers={"Retry-After": "1"})


def allowed(current: str, target: str) -> bool:
    return (current, target) in TRANSITIONS


def history_entry(status: str, *, reason: str, actor: str, at: str, from_status: str | None = None) -> HistoryEntry:
    return HistoryEntry(status=status, from_status=from_status, at=at, reason=reason, actor=actor)


def place(*, reason: str, actor: str, **fields) -> OrderModel:
    """Store a new order, pending_payment, version 1, with its first history entry (one conditional put);
    publish order.placed."""
    order = repository.new_order(status=PENDING_PAYMENT, version=1, **fields)
    repository.create(order, history_entry(PENDING_PAYMENT, reason=reason, actor=actor, at=order.created_at))
    order_events.publish(order, "order.placed", previous_status=None, reason=reason)
    return order


def move(order: OrderModel, target: str, *, reason: str, actor: str, changes: dict | None = None,
         appends: dict | None = None, data: dict | None = None) -> OrderModel:
    """Move `order` (as read) to `target`, with `changes`/`appends` in the same write; publish order.<target>.
    MoveRefused (409) if the move is not allowed or someone moved the order first."""
    current = order.status
    if not allowed(current, target):
        raise MoveRefused(order.id, current, target)
    _save(order, target, reason=reason, actor=actor, changes=changes, appends=appends,
          refused=lambda now: MoveRefused(order.id, now.status, target) if now.status != current else None)
    count("OrderStatusMoves", to=target)
    logger.info("order moved", extra={"order_id": order.id, "from": current, "to": target, "actor": actor,
                                      "reason": reason, "version": order.version})
    order_events.publish(order, f"order.{target}", previous_status=current, reason=reason, data=data)
    return order


def note(order: OrderModel, *, reason: str, actor: str, event: str | None = None, changes: dict | None = None,
         appends: dict | None = None, data: dict | None = None) -> OrderModel:
    """Record a step that keeps the order's status (with `changes`/`appends` in the same write); publish `event`
    if given. OrderChanged (409) if the order changed since it was read."""
    current = order.status
    _save(order, current, reason=reason, actor=actor, changes=changes, appends=appends,
          refused=lambda now: None)
    logger.info("order noted", extra={"order_id": order.id, "status": current, "actor": actor, "reason": reason,
                                      "version": order.version})
    if event:
        order_events.publish(order, event, previous_status=current, reason=reason, data=data)
    return order


def _save(order: OrderModel, target: str, *, reason: str, actor: str, changes, appends, refused) -> None:
    current = order.status
    entry = history_entry(target, reason=reason, actor=actor, at=iso(), from_status=current)
    if not repository.save_change(order, entry, changes=changes or {}, appends=appends or {}):
        now = repository.get(order.id)
        raise refused(now) or OrderChanged(order.id)


def move_unless_moved(order: OrderModel, target: str, *, reason: str, actor: str, **extra) -> OrderModel:
    """move(), but an order someone else moved first is no error: the order as it is now (an event's repeat)."""
    try:
        return move(order, target, reason=reason, actor=actor, **extra)
    except MoveRefused:
        return repository.get(order.id)

