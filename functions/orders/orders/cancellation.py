"""Cancelling an order: who may cancel it when, and what goes back.

    pending_payment  the customer or an admin: the intent is cancelled at the gateway first, then the order
                     moves, then its stock and codes return
    paid             (nothing shipped) an admin only: refunded in full (refunds.request), its committed stock
                     put back (products' restock, once per order), then cancelled. A customer is answered
                     409 with what they can do: ask the shop
    later            (anything shipped or refunded) 409: an admin refunds it (POST /orders/{id}/refunds) and
                     the shopper returns what shipped
"""
from __future__ import annotations

import uuid

from meridian.audit import describe
from meridian.observability import count, logger

from . import payments_api, products_api, promotions, refunds, repository
from .models import OrderModel
from .state_machine import CANCELLED, PAID, PAID_STATUSES, MoveRefused, allowed, move
from .views import order_view


class PaidOrderNotCancellable(MoveRefused):
    """A paid order the caller may not cancel: the detail says what they can do instead."""

    def __init__(self, order: OrderModel, *, by_admin: bool):
        super().__init__(order.id, order.status, CANCELLED)
        if by_admin:
            self.detail = (f"A {order.status} order is not cancelled: refund it (POST /api/v1/orders/{order.id}"
                           "/refunds) and have what shipped returned.")
        else:
            self.detail = ("This order is already paid, so it can no longer be cancelled here. Contact us to "
                           "cancel it and get your money back, or return the items once they arrive.")


def restock(order: OrderModel) -> None:
    """A paid order's stock was committed (sold): put every line back, once per order (products' restock)."""
    products_api.restock(str(uuid.uuid5(uuid.NAMESPACE_URL, f"meridian:cancel:{order.id}")),
                         [{"product_id": line.product_id, "sku": line.sku, "quantity": int(line.quantity)}
                          for line in order.items])


def release_holds(order: OrderModel) -> None:
    """What a cancelled order held goes back: its promotion codes (promotions.give_back, once) and its stock."""
    promotions.give_back([p.code for p in order.promotions or []], order_id=order.id)
    try:
        products_api.release(order.reservation_id)
    except Exception as exc:  # noqa: BLE001 - the products sweep returns it when the hold expires
        count("StockReleaseDeferred")
        logger.warning("stock release deferred to the reservation sweep",
                       extra={"order_id": order.id, "error": str(exc)})


def cancel(order: OrderModel, *, reason: str, actor: str, by_admin: bool = False) -> OrderModel:
    """Cancel an order (see the module's docstring). 409 when the caller can no longer cancel it."""
    if order.status == PAID and by_admin:
        refunds.request(order, amount=None, reason=reason, actor=actor, key=f"cancel-{order.id}",
                        source="cancellation")
        restock(order)                             # 503 when products is down: the admin cancels again
        move(order, CANCELLED, reason=reason, actor=actor)
        count("PaidOrdersCancelled")
        return order
    if order.status in PAID_STATUSES:
        raise PaidOrderNotCancellable(order, by_admin=by_admin)
    if not allowed(order.status, CANCELLED):
        raise MoveRefused(order.id, order.status, CANCELLED)
    payments_api.cancel(order.payment_id)          # 409 when the payment already succeeded
    move(order, CANCELLED, reason=reason, actor=actor)
    release_holds(order)
    count("OrdersCancelled")
    return order


def cancel_by_request(order_id: str, who, *, note: str | None = None) -> dict:
    order = repository.visible(order_id, who)
    by_admin = who.is_at_least("admin") and order.user_id != who.user_id
    reason = f"cancelled by the {'admin' if by_admin else 'customer'}" + (f": {note}" if note else "")
    before = order.status
    cancel(order, reason=reason, actor=f"{who.role}:{who.user_id}", by_admin=by_admin)
    describe(action="order.cancelled", target=f"order:{order.id}", before={"status": before},
             after={"status": order.status, "reason": reason})
    return order_view(order)
