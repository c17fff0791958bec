"""The order events orders publishes on the platform bus (Source `meridian.orders`), for merchants' systems
(the webhooks service) and any other consumer.

    order.placed, order.paid, order.partially_fulfilled, order.fulfilled, order.cancelled,
    order.partially_refunded, order.refunded, order.payment_failed, return.requested, return.approved,
    return.rejected, return.received, return.refunded

Every event is published by state_machine.py right after the change it announces was written, and carries
the order's `version` after that change (it grows by one with every change), so a consumer can put events in
order and drop a repeat. Detail: {event_id, occurred_at, order_id, version, status, previous_status, reason,
order: the order's summary, data: what the event is about (the shipment, the refund, the return)}. The
summary never holds the payment's client_secret nor any token.

Publishing follows the write: if the bus refuses after the order was written, the event is lost for
consumers (logged and counted as `OrderEventsUnpublished`); the order itself is right. See the README.
"""
from __future__ import annotations

from meridian import events
from meridian.observability import count, logger

from .models import OrderModel

SOURCE = "orders"


def line_id(line, index: int) -> str:
    """How an order line is named (orders placed before lines had ids: their position)."""
    return line.line_id or str(index)


def summary(order: OrderModel) -> dict:
    """What every order event says about the order (no secrets)."""
    currency = order.currency
    return {
        "id": order.id, "status": order.status, "fulfillment_status": order.fulfillment_status or "unfulfilled",
        "currency": currency, "total": {"amount": format(order.total, "f"), "currency": currency},
        "email": order.email, "user_id": order.user_id, "created_at": order.created_at, "locale": order.locale,
        "items": [{"line_id": line_id(line, n), "product_id": line.product_id, "sku": line.sku, "name": line.name,
                   "quantity": int(line.quantity),
                   "unit_price": {"amount": line.unit_price, "currency": currency},
                   "line_total": {"amount": line.line_total, "currency": currency}}
                  for n, line in enumerate(order.items)],
        "shipping_address": {k: v for k, v in order.shipping_address.as_dict().items() if v is not None},
    }


def publish(order: OrderModel, detail_type: str, *, previous_status: str | None, reason: str,
            data: dict | None = None) -> None:
    detail = {"order_id": order.id, "version": int(order.version or 0), "status": order.status,
              "previous_status": previous_status, "reason": reason, "order": summary(order), "data": data or {}}
    try:
        events.publish(SOURCE, detail_type, detail)
    except Exception as exc:  # noqa: BLE001 - the order is written; a lost event is counted, not an order lost
        count("OrderEventsUnpublished", type=detail_type)
        logger.error("order event not published", extra={"order_id": order.id, "type": detail_type,
                                                         "version": detail["version"], "error": str(exc)})
        return
    count("OrderEventsPublished", type=detail_type)
