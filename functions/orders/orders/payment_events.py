"""Orders' reaction to payment events (bus → OrdersEventsQueue → OrdersEventsFunction).

    payment.succeeded → paid, stock committed, confirmation email queued
                        (an order cancelled meanwhile is refunded instead)
    payment.failed    → cancelled, stock and codes released, its cart open again (another card, a new order)
    payment.refunded  → the refunds it covers succeed; partially_refunded or refunded (refunds.settle)

Every reaction is safe to repeat: moves are conditional (a repeat is refused and
ignored), commit/release are idempotent at the products service, the email is sent once.
"""
from __future__ import annotations

from decimal import Decimal

from meridian.errors import DomainError
from meridian.observability import count, logger

from . import carts, emails, payments_api, products_api, refunds, repository
from .cancellation import release_holds
from .models import OrderModel
from .state_machine import CANCELLED, PAID, PENDING_PAYMENT, move_unless_moved


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


def mark_failed(order: OrderModel, *, actor: str, reason: str) -> str:
    if order.status == PENDING_PAYMENT:
        order = move_unless_moved(order, CANCELLED, reason=reason, actor=actor)
    if order.status == CANCELLED:
        release_holds(order)
        _close_intent(order)
        carts.reopen_for(order)
        return "cancelled"
    return "ignored"


def _close_intent(order: OrderModel) -> None:
    """After a decline the gateway would still take another card: close the intent (best effort)."""
    try:
        payments_api.cancel(order.payment_id)
    except DomainError as exc:
        logger.warning("could not close the intent of a cancelled order",
                       extra={"order_id": order.id, "error": exc.detail})


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
    order = repository.get(detail["order_id"])          # unknown order → NotFound → retried, then DLQ
    if detail_type == "payment.succeeded":
        return mark_paid(order, actor="payments")
    if detail_type == "payment.failed":
        return mark_failed(order, actor="payments", reason=f"payment failed ({detail.get('reason') or 'declined'})")
    if detail_type == "payment.refunded":
        return mark_refunded(order, actor="payments", fully=bool(detail.get("fully_refunded")),
                             refunded_amount=_refunded_amount(detail))
    logger.warning("unknown payment event", extra={"detail_type": detail_type})
    return "ignored"
