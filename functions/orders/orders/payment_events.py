"""Orders' reaction to payment events (bus → OrdersEventsQueue → OrdersEventsFunction).

    payment.succeeded → paid, stock committed, confirmation email queued
                        (an order cancelled meanwhile is refunded instead)
    payment.failed    → cancelled, stock and codes released, its cart open again (another card, a new order)
    payment.refunded  → refunded (when the whole amount was refunded)

Every reaction is safe to repeat: moves are conditional (a repeat is refused and
ignored), commit/release are idempotent at the products service, the email is sent once.
"""
from __future__ import annotations

from meridian.errors import DomainError
from meridian.observability import count, logger

from . import carts, emails, payments_api, products_api, repository
from .cancellation import release_holds
from .models import OrderModel
from .state_machine import CANCELLED, PAID, PENDING_PAYMENT, REFUNDED, move_unless_moved


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


def mark_refunded(order: OrderModel, *, actor: str, fully: bool) -> str:
    if not fully:
        logger.info("partial refund; the order stays as it is", extra={"order_id": order.id})
        return "ignored"
    if order.status == PAID:
        order = move_unless_moved(order, REFUNDED, reason="payment refunded", actor=actor)
    return "refunded" if order.status == REFUNDED else "ignored"


def apply(detail_type: str, detail: dict) -> str:
    order = repository.get(detail["order_id"])          # unknown order → NotFound → retried, then DLQ
    if detail_type == "payment.succeeded":
        return mark_paid(order, actor="payments")
    if detail_type == "payment.failed":
        return mark_failed(order, actor="payments", reason=f"payment failed ({detail.get('reason') or 'declined'})")
    if detail_type == "payment.refunded":
        return mark_refunded(order, actor="payments", fully=bool(detail.get("fully_refunded")))
    logger.warning("unknown payment event", extra={"detail_type": detail_type})
    return "ignored"
