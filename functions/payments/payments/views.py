"""What the payments API answers about a payment."""
from __future__ import annotations

from meridian.money import Money

from .models import Breakdown, PaymentModel


def payment_view(payment: PaymentModel) -> dict:
    return {"id": payment.id, "order_id": payment.order_id, "status": payment.status,
            "amount": Money(payment.amount, payment.currency).to_json(),
            "refunded_amount": Money(payment.refunded_amount, payment.currency).to_json(),
            "intent_id": payment.intent_id, "gateway": payment.gateway,
            "breakdown": breakdown_view(payment.breakdown, payment.currency),
            "created_at": payment.created_at, "updated_at": payment.updated_at}


def breakdown_view(breakdown: Breakdown | None, currency: str) -> dict | None:
    """The breakdown with its amounts as money objects; None for a payment without one (older callers)."""
    if breakdown is None:
        return None

    def money(amount) -> dict:
        return Money(amount, currency).to_json()

    return {"subtotal": money(breakdown.subtotal), "discount_total": money(breakdown.discount_total),
            "shipping_total": money(breakdown.shipping_total), "tax_total": money(breakdown.tax_total),
            "tax_included": breakdown.tax_included,
            "taxes": [{"name": tax.name, "rate": tax.rate, "amount": money(tax.amount)} for tax in breakdown.taxes],
            "lines": [{"product_id": line.product_id, "sku": line.sku, "name": line.name,
                       "quantity": int(line.quantity), "unit_price": money(line.unit_price),
                       "line_total": money(line.line_total)} for line in breakdown.lines]}


def intent_view(payment: PaymentModel) -> dict:
    return {**payment_view(payment), "client_secret": payment.client_secret}
