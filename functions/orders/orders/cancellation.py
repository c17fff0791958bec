"""Cancelling an order: its intent is cancelled at the gateway first, then the order moves, then its stock and
codes return.

A paid order is not cancelled: an admin refunds it (POST /api/v1/payments/{id}/refund)
and the order becomes `refunded` when the gateway confirms.
"""
from __future__ import annotations

from meridian.audit import describe
from meridian.observability import count, logger

from . import payments_api, products_api, promotions, repository
from .models import OrderModel
from .state_machine import CANCELLED, PAID, MoveRefused, allowed, move
from .views import order_view


class PaidOrderNotCancellable(MoveRefused):
    def __init__(self, order: OrderModel):
        super().__init__(order.id, order.status, CANCELLED)
        self.detail = (f"A {order.status} order cannot be cancelled; an admin refunds it with "
                       f"POST /api/v1/payments/{order.payment_id}/refund.")
        self.extra["payment_id"] = order.payment_id


def release_holds(order: OrderModel) -> None:
    """What a cancelled order held goes back: its promotion codes (promotions.give_back, once) and its stock."""
    promotions.give_back([p.code for p in order.promotions or []], order_id=order.id)
    try:
        products_api.release(order.reservation_id)
    except Exception as exc:  # noqa: BLE001 - the products sweep returns it when the hold expires
        count("StockReleaseDeferred")
        logger.warning("stock release deferred to the reservation sweep",
                       extra={"order_id": order.id, "error": str(exc)})


def cancel(order: OrderModel, *, reason: str, actor: str) -> OrderModel:
    """Cancel a pending order: intent, then status, then stock. 409 when it can no longer be cancelled."""
    if order.status == PAID:
        raise PaidOrderNotCancellable(order)
    if not allowed(order.status, CANCELLED):
        raise MoveRefused(order.id, order.status, CANCELLED)
    payments_api.cancel(order.payment_id)          # 409 when the payment already succeeded
    move(order, CANCELLED, reason=reason, actor=actor)
    release_holds(order)
    count("OrdersCancelled")
    return order


def cancel_by_request(order_id: str, who, *, note: str | None = None) -> dict:
    order = repository.visible(order_id, who)
    role = "admin" if order.user_id != who.user_id else "customer"
    reason = f"cancelled by the {role}" + (f": {note}" if note else "")
    before = order.status
    cancel(order, reason=reason, actor=f"{who.role}:{who.user_id}")
    describe(action="order.cancelled", target=f"order:{order.id}", before={"status": before},
             after={"status": order.status, "reason": reason})
    return order_view(order)
