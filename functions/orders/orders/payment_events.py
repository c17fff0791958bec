"""Orders' reaction to payment events (bus → OrdersEventsQueue → OrdersEventsFunction).

    payment.succeeded → paid, stock committed, confirmation email queued
                        (an order cancelled meanwhile is refunded instead)
    payment.failed    → a note: the order stays pending_payment (the intent stays open: another card may
                        still pay until the payment window ends); the decline code is `payment.last_error`
    payment.requires_action → a note: authentication required
    payment.canceled  → cancelled, stock and codes released, its cart open again (the shopper starts over);
                        for an order never stored (an orphaned payment reconciliation abandoned) nothing to do
    payment.refunded  → the refunds it covers succeed; partially_refunded or refunded (refunds.settle)

Every reaction is safe to repeat: moves are conditional (a repeat is refused and
ignored), a note is written once per gateway event (`last_payment_event`), commit/release are
idempotent at the products service, the email is sent once. The payment window's end is
reconciliation's (it cancels the intent, releases the holds and reopens the cart).
"""
from __future__ import annotations

from decimal import Decimal

from meridian.errors import Conflict, NotFound
from meridian.observability import count, logger

from . import carts, emails, payments_api, products_api, refunds, repository, state_machine
from .cancellation import release_holds
from .models import OrderModel
from .state_machine import CANCELLED, PAID, PENDING_PAYMENT, MoveRefused, OrderChanged, move_unless_moved


def mark_paid(order: OrderModel, *, actor: str, reason: str = "payment succeeded") -> str:
    if order.status == PENDING_PAYMENT:
        order = move_unless_moved(order, PAID, reason=reason, actor=actor)
    if order.status == PAID:
        if not products_api.commit(order.reservation_id):
            count("PaidWithoutReservation")
            logger.error("order paid but its reservation could not be committed", extra={"order_id": order.id})
        emails.queue_confirmation(order)
        return "paid"
    if order.status == CANCELLED:
        # the shopper paid after the order was cancelled (or expired): give the money back
        payments_api.refund_in_full(order.payment_id)
        count("PaidAfterCancelRefunded")
        logger.warning("payment succeeded for a cancelled order; refund started", extra={"order_id": order.id})
        return "refund_started"
    return "ignored"


def note_declined(order: OrderModel, *, actor: str, reason: str, event_id: str | None = None) -> str:
    """A declined card keeps the order pending until its payment window ends: the shopper may try another card
    on the same intent. The decline is a note (history, `payment.last_error`, order.payment_failed)."""
    return _note(order, actor=actor, reason=f"payment failed ({reason})", event="order.payment_failed",
                 event_id=event_id, changes={"last_payment_error": reason})


def note_requires_action(order: OrderModel, *, actor: str, event_id: str | None = None) -> str:
    """The card asks the shopper to authenticate (3-D Secure): noted, the order stays pending."""
    return _note(order, actor=actor, reason="authentication required", event=None, event_id=event_id, changes={})


def _note(order: OrderModel, *, actor: str, reason: str, event: str | None, event_id: str | None,
          changes: dict) -> str:
    """Note a payment step on a pending order, once per gateway event (a repeat changes nothing); an order that
    is no longer pending ignores it (a late decline never undoes a payment)."""
    for _ in range(3):
        if order.status != PENDING_PAYMENT:
            return "ignored"
        if event_id and order.last_payment_event == event_id:
            return "noted"
        try:
            state_machine.note(order, reason=reason, actor=actor, event=event,
                               changes={**changes, **({"last_payment_event": event_id} if event_id else {})},
                               data={"reason": reason})
            return "noted"
        except (OrderChanged, MoveRefused):         # written meanwhile: read it again and decide again
            order = repository.get(order.id)
    raise Conflict("The order kept changing; the event is retried.")


def mark_canceled(order: OrderModel, *, actor: str, reason: str) -> str:
    """The intent was cancelled (by us, the gateway or an operator): a pending order is cancelled, its stock and
    codes go back and its cart opens again (the shopper starts over)."""
    if order.status == PENDING_PAYMENT:
        order = move_unless_moved(order, CANCELLED, reason=reason, actor=actor)
    if order.status == CANCELLED:
        release_holds(order)
        carts.reopen_for(order)
        return "cancelled"
    return "ignored"


def mark_refunded(order: OrderModel, *, actor: str, fully: bool, refunded_amount: Decimal | None = None) -> str:
    """The payment gave back `refunded_amount` in all (an event without it: the whole order when `fully`,
    otherwise nothing can be said). refunds.settle decides what the order records and where it moves."""
    if refunded_amount is None:
        if not fully:
            logger.warning("payment.refunded without refunded_amount; ignored", extra={"order_id": order.id})
            return "ignored"
        refunded_amount = order.total
    return refunds.settle(order, refunded_amount=refunded_amount, fully=fully, actor=actor)


def _refunded_amount(detail: dict) -> Decimal | None:
    found = detail.get("refunded_amount")
    amount = found.get("amount") if isinstance(found, dict) else found
    return None if amount is None else Decimal(str(amount))


def apply(detail_type: str, detail: dict) -> str:
    try:
        order = repository.get(detail["order_id"])
    except NotFound:
        if detail_type == "payment.canceled":           # an orphan reconciliation abandoned: no order to cancel
            logger.info("payment canceled for an order never stored", extra={"order_id": detail["order_id"]})
            return "ignored"
        raise                                           # any other event for an unknown order: retried, then DLQ
    event_id = detail.get("gateway_event_id")
    if detail_type == "payment.succeeded":
        return mark_paid(order, actor="payments")
    if detail_type == "payment.failed":
        return note_declined(order, actor="payments", reason=detail.get("reason") or "declined", event_id=event_id)
    if detail_type == "payment.canceled":
        return mark_canceled(order, actor="payments",
                             reason=f"payment canceled ({detail.get('reason') or 'canceled'})")
    if detail_type == "payment.requires_action":
        return note_requires_action(order, actor="payments", event_id=event_id)
    if detail_type == "payment.refunded":
        return mark_refunded(order, actor="payments", fully=bool(detail.get("fully_refunded")),
                             refunded_amount=_refunded_amount(detail))
    logger.warning("unknown payment event", extra={"detail_type": detail_type})
    return "ignored"
