"""Payment statuses, and which gateway event moves a payment where.

A payment only moves forward. An event that would move it to a status it may not reach
from where it is (it is older than the payment's current state, e.g. `succeeded`
arriving after `refunded`, or `created` after `succeeded`) is recorded and ignored.

Until it succeeds or is cancelled, the intent stays open at the gateway: a declined card
(`failed`) may be followed by another card, which may decline again (`failed` → `failed`, a
new reason), demand strong customer authentication (`requires_action`: the shopper's bank
challenges them, 3-D Secure) or succeed. A challenge completed or failed ends in
`succeeded` or `failed` like any confirm.

Gateway events (Stripe's names; the sandbox sends the same) → status → bus event:
  payment_intent.requires_action → requires_action → payment.requires_action
  payment_intent.succeeded       → succeeded       → payment.succeeded
  payment_intent.payment_failed  → failed          → payment.failed (detail.reason: Stripe's error code, card_declined
                                                     or payment_intent_authentication_failure for a failed challenge;
                                                     detail.decline_code: the bank's reason, insufficient_funds, …)
  payment_intent.canceled        → canceled        → payment.canceled (the intent is gone: no card can pay it)
  charge.refunded                → partially_refunded / refunded → payment.refunded
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .gateways import from_minor

PENDING, SUCCEEDED, FAILED, CANCELED = "pending", "succeeded", "failed", "canceled"
REQUIRES_ACTION = "requires_action"
REFUND_PENDING, PARTIALLY_REFUNDED, REFUNDED = "refund_pending", "partially_refunded", "refunded"

# target status → the statuses it may be reached from
# (a declined card leaves the intent open at the gateway: a second card may still succeed, decline again or
# demand authentication)
OPEN = {PENDING, FAILED, REQUIRES_ACTION}                # the intent can still be paid, or cancelled
REACHABLE_FROM: dict[str, set[str]] = {
    REQUIRES_ACTION: {PENDING, FAILED},
    SUCCEEDED: set(OPEN),
    FAILED: set(OPEN),
    CANCELED: set(OPEN),
    REFUND_PENDING: {SUCCEEDED, PARTIALLY_REFUNDED},
    PARTIALLY_REFUNDED: {SUCCEEDED, REFUND_PENDING, PARTIALLY_REFUNDED},
    REFUNDED: {SUCCEEDED, REFUND_PENDING, PARTIALLY_REFUNDED},
}

# bus events published when a payment reaches a status (orders consumes them)
PUBLISHED_AS = {SUCCEEDED: "payment.succeeded", FAILED: "payment.failed", REQUIRES_ACTION: "payment.requires_action",
                CANCELED: "payment.canceled", REFUNDED: "payment.refunded", PARTIALLY_REFUNDED: "payment.refunded"}


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
    decline_code: str | None = None    # a declined card's reason at the bank (insufficient_funds, generic_decline, …)

    @classmethod
    def parse(cls, body: dict) -> GatewayEvent:
        event_id, event_type = str(body["id"]), str(body["type"])
        obj = body["data"]["object"]
        intent_id = intent_id_of(body)
        target, refunded, reason, decline_code = None, None, None, None
        if event_type == "payment_intent.succeeded":
            target = SUCCEEDED
        elif event_type == "payment_intent.requires_action":
            target = REQUIRES_ACTION
        elif event_type == "payment_intent.payment_failed":
            target = FAILED
            error = obj.get("last_payment_error") or {}
            reason = str(error.get("code") or "payment_failed")
            decline_code = error.get("decline_code") or None
        elif event_type == "payment_intent.canceled":
            target, reason = CANCELED, obj.get("cancellation_reason") or "canceled"
        elif event_type == "charge.refunded":
            currency = str(obj["currency"]).upper()
            refunded = from_minor(obj["amount_refunded"], currency)
            target = REFUNDED if int(obj["amount_refunded"]) >= int(obj["amount"]) else PARTIALLY_REFUNDED
        payment_id = (obj.get("metadata") or {}).get("payment_id") if obj.get("object") == "payment_intent" else None
        return cls(event_id, event_type, intent_id, target, refunded, reason, payment_id, decline_code)


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
