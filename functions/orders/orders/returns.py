"""Returns: a customer sends shipped lines back; staff approve, receive (restocking chosen per line) and refund.

The return status machine (the moves below, and no others; any other is a 409 naming the return's status):

    (new)     → requested       request(): the order's customer (or an admin)
    requested → approved | rejected
    approved  → received | rejected
    received  → refunded        refund(): the order's refund, for the received lines

What may be returned (request): lines of the order (`line_id`), each quantity at most what was shipped of the
line less what its other returns (any not rejected) already ask back — 400 naming `items.<n>.line_id` /
`items.<n>.quantity` otherwise; each line within RETURN_WINDOW_DAYS (default 30) of its last shipment — 409
`return-window-closed` after; never on a cancelled or refunded order (409). Shipped means in a shipment of the
order (`order.shipments`); an order fulfilled before shipments were recorded shipped every line in full when
it became fulfilled (its history says when).

receive(): per line of the return, how many came back (at most the return's quantity) and whether they go back
in stock; the units to restock are put back by products ONCE (products_api.restock, the restock id is the
return's id: a retry after a failure adds nothing twice) BEFORE the return is marked received, so a products
outage (503) leaves the return approved, to receive again.

refund(): the order's refund (refunds.request, source `return:<id>`, its key made from the return, so a retry
never refunds twice) of `amount`, by default the received lines' unit prices × quantities capped by what is
left to refund (refunds.refundable); then the return is `refunded` with the refund's id and amount. The order
becomes partially_refunded / refunded when the payment confirms (refunds.settle), as for any refund.

Each step is a note on the order (state_machine.note): a history entry, the version + 1 and the event
return.<status> with the return as data, the order's `returns` list rewritten in the same conditional write.
Each return also keeps its own steps (`history`). A write that loses a race is read again and retried.
"""
from __future__ import annotations

import datetime as _dt
import uuid
from decimal import Decimal

from meridian.audit import describe
from meridian.clock import iso, parse_iso, utcnow
from meridian.config import int_env
from meridian.errors import Conflict, NotFound, ValidationFailed
from meridian.observability import count, logger

from . import products_api, repository
from .models import OrderModel, ReturnAttribute, ReturnLine, ReturnStep
from .order_events import line_id
from .state_machine import CANCELLED, FULFILLED, REFUNDED, OrderChanged, note
from .views import order_view, return_view

REQUESTED, APPROVED, REJECTED, RECEIVED = "requested", "approved", "rejected", "received"
RETURN_REFUNDED = "refunded"
STATUSES = (REQUESTED, APPROVED, REJECTED, RECEIVED, RETURN_REFUNDED)
TRANSITIONS: frozenset[tuple[str | None, str]] = frozenset({
    (None, REQUESTED),
    (REQUESTED, APPROVED), (REQUESTED, REJECTED),
    (APPROVED, RECEIVED), (APPROVED, REJECTED),
    (RECEIVED, RETURN_REFUNDED),
})
EVENTS = {status: f"return.{status}" for status in STATUSES}     # return.requested, return.approved, …
NOT_RETURNABLE = (CANCELLED, REFUNDED)                            # order statuses that take no return
ATTEMPTS = 3


def window_days() -> int:
    return int_env("RETURN_WINDOW_DAYS", 30)


def allowed(current: str | None, target: str) -> bool:
    return (current, target) in TRANSITIONS


class ReturnMoveRefused(Conflict):
    type_slug = "return-state"

    def __init__(self, order_id: str, ret: ReturnAttribute, target: str):
        super().__init__(f"A return that is {ret.status} cannot become {target}.", order_id=order_id,
                         return_id=ret.id, return_status=ret.status)


class ReturnWindowClosed(Conflict):
    type_slug = "return-window-closed"

    def __init__(self, order_id: str, lines: list[str], days: int):
        super().__init__(f"The return window closed: lines {', '.join(lines)} shipped more than {days} days ago.",
                         order_id=order_id, line_ids=lines, return_window_days=days)


class OrderNotReturnable(Conflict):
    type_slug = "order-state"

    def __init__(self, order: OrderModel):
        super().__init__(f"A {order.status} order takes no returns.", order_id=order.id,
                         order_status=order.status)


# ---------------------------------------------------------------------------- what may be returned
def shipped(order: OrderModel) -> dict[str, tuple[int, str]]:
    """Per line: (units shipped, when it last shipped)."""
    found: dict[str, tuple[int, str]] = {}
    for shipment in getattr(order, "shipments", None) or []:
        for line in shipment.items or []:
            quantity, last = found.get(line.line_id, (0, ""))
            found[line.line_id] = (quantity + int(line.quantity), max(last, shipment.shipped_at))
    if found:
        return found
    fulfilled_at = next((entry.at for entry in order.history or [] if entry.status == FULFILLED), None)
    if fulfilled_at is None:
        return {}
    return {line_id(line, n): (int(line.quantity), fulfilled_at) for n, line in enumerate(order.items)}


def in_returns(order: OrderModel) -> dict[str, int]:
    """Per line: units that returns (any not rejected) already ask back."""
    asked: dict[str, int] = {}
    for ret in order.returns or []:
        if ret.status != REJECTED:
            for line in ret.items:
                asked[line.line_id] = asked.get(line.line_id, 0) + int(line.quantity)
    return asked


def _checked_request(order: OrderModel, items: list[dict], now: _dt.datetime) -> list[ReturnLine]:
    if order.status in NOT_RETURNABLE:
        raise OrderNotReturnable(order)
    sent, asked = shipped(order), in_returns(order)
    ordered = {line_id(line, n) for n, line in enumerate(order.items)}
    errors, lines, seen, closed = {}, [], set(), []
    cutoff = now - _dt.timedelta(days=window_days())
    for n, item in enumerate(items):
        name, quantity = str(item["line_id"]), int(item["quantity"])
        if name not in ordered:
            errors[f"items.{n}.line_id"] = ["No such line on this order."]
            continue
        if name in seen:
            errors[f"items.{n}.line_id"] = ["Each line may appear once."]
            continue
        seen.add(name)
        left = sent.get(name, (0, ""))[0] - asked.get(name, 0)
        if quantity > left:
            errors[f"items.{n}.quantity"] = [f"At most {max(left, 0)}: what was shipped of this line and is not "
                                             "already in a return."]
            continue
        if parse_iso(sent[name][1]) < cutoff:
            closed.append(name)
        lines.append(ReturnLine(line_id=name, quantity=quantity, reason=item.get("reason")))
    if errors:
        raise ValidationFailed(errors)
    if closed:
        raise ReturnWindowClosed(order.id, closed, window_days())
    return lines


# ---------------------------------------------------------------------------- the steps
def _actor(who) -> str:
    return f"{who.role}:{who.user_id}"


def _find(order: OrderModel, return_id: str) -> ReturnAttribute:
    found = next((ret for ret in order.returns or [] if ret.id == return_id), None)
    if found is None:
        raise NotFound("No such return.", return_id=return_id)
    return found


def _short(return_id: str) -> str:
    return return_id[:8]


def request(order_id: str, who, *, items: list[dict], note_text: str | None = None) -> dict:
    """The customer's (or an admin's) return of shipped lines: 201 the order with the return `requested`."""
    order = repository.visible(order_id, who)
    actor = _actor(who)
    for attempt in range(ATTEMPTS):
        now = utcnow()
        lines = _checked_request(order, items, now)
        stamp = iso(now)
        ret = ReturnAttribute(id=str(uuid.uuid4()), status=REQUESTED, items=lines, note=note_text,
                              requested_at=stamp, requested_by=actor, updated_at=stamp,
                              history=[ReturnStep(status=REQUESTED, at=stamp, actor=actor, reason=note_text)])
        try:
            note(order, reason=f"return {_short(ret.id)} requested", actor=actor, event=EVENTS[REQUESTED],
                 changes={"returns": [*(order.returns or []), ret]}, data=return_view(ret, order))
            break
        except OrderChanged:
            if attempt == ATTEMPTS - 1:
                raise
            order.refresh(consistent_read=True)
    count("ReturnsRequested")
    describe(action="return.requested", target=f"order:{order.id}", after={"return_id": ret.id})
    return order_view(order)


def _step(order: OrderModel, return_id: str, target: str, *, actor: str, reason: str | None = None,
          change=None) -> ReturnAttribute:
    """Move the return to `target` (TRANSITIONS) with `change(ret)` applied, as a note on the order."""
    for attempt in range(ATTEMPTS):
        listed = list(order.returns or [])
        ret = _find(order, return_id)
        before = ret.status
        if not allowed(before, target):
            raise ReturnMoveRefused(order.id, ret, target)
        stamp = iso()
        if change is not None:
            change(ret)
        ret.status, ret.updated_at = target, stamp
        ret.history = [*(ret.history or []), ReturnStep(status=target, at=stamp, actor=actor, reason=reason)]
        try:
            note(order, reason=f"return {_short(ret.id)} {target}" + (f": {reason}" if reason else ""),
                 actor=actor, event=EVENTS[target], changes={"returns": listed}, data=return_view(ret, order))
        except OrderChanged:
            if attempt == ATTEMPTS - 1:
                raise
            order.refresh(consistent_read=True)
            continue
        count("ReturnSteps", to=target)
        logger.info("return moved", extra={"order_id": order.id, "return_id": ret.id, "from": before,
                                           "to": target, "actor": actor})
        describe(action=f"return.{target}", target=f"order:{order.id}",
                 before={"return_id": ret.id, "status": before}, after={"return_id": ret.id, "status": target})
        return ret
    raise OrderChanged(order.id)


def approve(order_id: str, return_id: str, who) -> dict:
    order = repository.get(order_id)
    _step(order, return_id, APPROVED, actor=_actor(who))
    return order_view(order)


def reject(order_id: str, return_id: str, who, *, reason: str) -> dict:
    order = repository.get(order_id)

    def rejected(ret):
        ret.rejected_reason = reason

    _step(order, return_id, REJECTED, actor=_actor(who), reason=reason, change=rejected)
    return order_view(order)


def _checked_receipt(order: OrderModel, ret: ReturnAttribute, items: list[dict]) -> dict[str, tuple[int, bool]]:
    asked = {line.line_id: int(line.quantity) for line in ret.items}
    received, errors = {}, {}
    for n, item in enumerate(items):
        name, quantity = str(item["line_id"]), int(item["quantity"])
        if name not in asked:
            errors[f"items.{n}.line_id"] = ["Not a line of this return."]
        elif name in received:
            errors[f"items.{n}.line_id"] = ["Each line may appear once."]
        elif quantity > asked[name]:
            errors[f"items.{n}.quantity"] = [f"At most {asked[name]} (the return's quantity)."]
        else:
            received[name] = (quantity, bool(item["restock"]))
    if errors:
        raise ValidationFailed(errors)
    return received


def restock_lines(order: OrderModel, received: dict[str, tuple[int, bool]]) -> list[dict]:
    """The units to put back in stock: [{product_id, sku, quantity}] of the received lines chosen to restock."""
    by_id = {line_id(line, n): line for n, line in enumerate(order.items)}
    return [{"product_id": by_id[name].product_id, "sku": by_id[name].sku, "quantity": quantity}
            for name, (quantity, restock) in received.items() if restock and quantity > 0]


def receive(order_id: str, return_id: str, who, *, items: list[dict]) -> dict:
    """The return came back: per line how many and whether to restock (products, once), then `received`."""
    order = repository.get(order_id)
    ret = _find(order, return_id)
    if not allowed(ret.status, RECEIVED):
        raise ReturnMoveRefused(order.id, ret, RECEIVED)
    received = _checked_receipt(order, ret, items)
    units = restock_lines(order, received)
    if units:
        products_api.restock(ret.id, units)          # once per return: a retry adds nothing twice

    def arrived(ret):
        for line in ret.items:
            line.received, line.restock = received.get(line.line_id, (0, False))
        ret.restock_id = ret.id if units else None

    _step(order, return_id, RECEIVED, actor=_actor(who), change=arrived)
    return order_view(order)


def refund_amount(order: OrderModel, ret: ReturnAttribute) -> Decimal:
    """The default refund of a received return: its received lines' unit prices × quantities, capped by what is
    left to refund."""
    from .refunds import refundable

    prices = {line_id(line, n): Decimal(line.unit_price) for n, line in enumerate(order.items)}
    owed = sum((prices[line.line_id] * int(line.received or 0) for line in ret.items), Decimal(0))
    return min(owed, refundable(order))


def refund(order_id: str, return_id: str, who, *, amount: Decimal | None = None, reason: str | None = None) -> dict:
    """Refund a received return (refunds.request, once per return), then mark it `refunded`."""
    order = repository.get(order_id)
    ret = _find(order, return_id)
    if not allowed(ret.status, RETURN_REFUNDED):
        raise ReturnMoveRefused(order.id, ret, RETURN_REFUNDED)
    from . import refunds
    lines = [{"line_id": line.line_id, "quantity": int(line.received)} for line in ret.items
             if int(line.received or 0) > 0]
    made = refunds.request(order, amount=refund_amount(order, ret) if amount is None else amount,
                           reason=reason or f"return {_short(ret.id)}", actor=_actor(who), key=f"return:{ret.id}",
                           lines=lines, source=f"return:{ret.id}")

    def refunded(ret):
        ret.refund_id, ret.refund_amount = made["id"], made["amount"]["amount"]

    _step(order, return_id, RETURN_REFUNDED, actor=_actor(who), reason=reason, change=refunded)
    return order_view(order)
