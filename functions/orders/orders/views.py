"""What the API answers about an order."""
from __future__ import annotations

from decimal import Decimal

from meridian.money import BASE_CURRENCY, Money

from .models import OrderModel
from .state_machine import PENDING_PAYMENT


def _money(amount: str | Decimal, currency: str) -> dict:
    return Money(Decimal(str(amount)), currency).to_json()


def order_view(order: OrderModel) -> dict:
    payment = {"id": order.payment_id, "intent_id": order.intent_id}
    if order.status == PENDING_PAYMENT:
        payment["client_secret"] = order.client_secret
    view = {
        "id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "items": [{"product_id": line.product_id, "sku": line.sku, "name": line.name, "quantity": int(line.quantity),
                   "unit_price": _money(line.unit_price, order.currency),
                   "line_total": _money(line.line_total, order.currency),
                   "base_unit_price": _money(line.base_unit_price, BASE_CURRENCY)} for line in order.items],
        "total": _money(order.total, order.currency),
        "base_total": _money(order.base_total, BASE_CURRENCY),
        "fx": {"rate": order.fx.rate, "as_of": order.fx.as_of, "source": order.fx.source,
               "snapshot_id": order.fx.snapshot_id, "stale": bool(order.fx.stale)},
        "payment": payment,
        "shipping_address": {k: v for k, v in order.shipping_address.as_dict().items() if v is not None},
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "expires_at": order.expires_at if order.status == PENDING_PAYMENT else None,
    }
    view["history"] = [{"status": h.status, "at": h.at, "reason": h.reason, "actor": h.actor}
                       for h in (order.history or [])]
    return view
