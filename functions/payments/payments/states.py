"""Payment statuses, and which gateway event moves a payment where.

A payment only moves forward. An event that would move it to a status it may not reach
from where it is (it is older than the payment's current state, e.g. `succeeded`
arriving after `refunded`, or `created` after `succeeded`) is recorded and ignored.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .gateways import from_minor

PENDING, SUCCEEDED, FAILED, CANCELED = "pending", "succeeded", "failed", "canceled"
REFUND_PENDING, PARTIALLY_REFUNDED, REFUNDED = "refund_pending", "partially_refunded", "refunded"

# target status → the statuses it may be reached from
# (a declined card leaves the intent open at the gateway: a second card may still succeed)
REACHABLE_FROM: dict[str, set[str]] = {
    SUCCEEDED: {PENDING, FAILED},
    FAILED: {PENDING},
    CANCELED: {PENDING},
    REFUND_PENDING: {SUCCEEDED, PARTIALLY_REFUNDED},
    PARTIALLY_REFUNDED: {SUCCEEDED, REFUND_PENDING, PARTIALLY_REFUNDED},
    REFUNDED: {SUCCEEDED, REFUND_PENDING, PARTIALLY_REFUNDED},
}

# bus events published when a payment reaches a status (orders consumes them)
PUBLISHED_AS = {SUCCEEDED: "payment.succeeded", FAILED: "payment.failed", CANCELED: "payment.failed",
                REFUNDED: "payment.refunded", PARTIALLY_REFUNDED: "payment.refunded"}


@dataclass(frozen=True)
class GatewayEvent:
    """A verified webhook event, reduced to what moves a payment."""
    id: str
    type: str
    intent_id: str | None
    target: str | None                 # the payment status it announces, None if it announces none
    refunded_amount: Decimal | None = None
    failure_reason: str | None = None
    payment_id: str | None = None      # ours, from the intent's metadata (set when we created it)

    @classmethod
    def parse(cls, body: dict) -> GatewayEvent:
        event_id, event_type = str(body["id"]), str(body["type"])
        obj = body["data"]["object"]
        intent_id = intent_id_of(body)
        target, refunded, reason = None, None, None
        if event_type == "payment_intent.succeeded":
            target = SUCCEEDED
        elif event_type == "payment_intent.payment_failed":
            target = FAILED
            reason = ((obj.get("last_payment_error") or {}).get("code")) or "payment_failed"
        elif event_type == "payment_intent.canceled":
            target, reason = CANCELED, obj.get("cancellation_reason") or "canceled"
        elif event_type == "charge.refunded":
            currency = str(obj["currency"]).upper()
            refunded = from_minor(obj["amount_refunded"], currency)
            target = REFUNDED if int(obj["amount_refunded"]) >= int(obj["amount"]) else PARTIALLY_REFUNDED
        payment_id = (obj.get("metadata") or {}).get("payment_id") if obj.get("object") == "payment_intent" else None
        return cls(event_id, event_type, intent_id, target, refunded, reason, payment_id)


def intent_id_of(body: dict) -> str | None:
    """The payment intent an event is about (a payment_intent object, or a charge/refund pointing to one)."""
    obj = (body.get("data") or {}).get("object") or {}
    if obj.get("object") == "payment_intent":
        return obj.get("id")
    intent = obj.get("payment_intent")
    return intent if isinstance(intent, str) else None


def may_move(current: str, target: str, *, refunded_now: Decimal | None = None,
             refunded_before: Decimal = Decimal(0)) -> bool:
    if current not in REACHABLE_FROM.get(target, set()):
        return False
    if target == PARTIALLY_REFUNDED and current == PARTIALLY_REFUNDED:
        return refunded_now is not None and refunded_now > refunded_before
    return True
