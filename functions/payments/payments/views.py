"""What the payments API answers about a payment."""
from __future__ import annotations

from meridian.money import Money

from .models import PaymentModel


def payment_view(payment: PaymentModel) -> dict:
    return {"id": payment.id, "order_id": payment.order_id, "status": payment.status,
            "amount": Money(payment.amount, payment.currency).to_json(),
            "refunded_amount": Money(payment.refunded_amount, payment.currency).to_json(),
            "intent_id": payment.intent_id, "gateway": payment.gateway,
            "created_at": payment.created_at, "updated_at": payment.updated_at}


def intent_view(payment: PaymentModel) -> dict:
    return {**payment_view(payment), "client_secret": payment.client_secret}
