"""Applies verified gateway events to payments, each event exactly once.

For one event, with single-item conditional writes only (no transactions):

1. record the event: put `EVENT#<id>` on condition that it does not exist. If it does,
   this is a repeat: finish whatever the first delivery left undone (below) and stop;
2. decide: an event older than the payment's current state (`created` after
   `succeeded`, …) is marked `ignored`;
3. move the payment: update its status on condition that it is still the status we
   read, stamping `last_event_id` (so a repeat can tell the move happened);
4. publish the bus event, then mark the event `applied`. A crash between any two steps
   leaves the marker `pending`; the redelivery repeats steps 2–4, sees from the payment's
   `last_event_id` that the move was made, and publishes (at least once; orders' moves
   are idempotent, so a second copy changes nothing).
"""
from __future__ import annotations

from meridian import events
from meridian.clock import iso
from meridian.errors import NotFound
from meridian.money import Money
from meridian.observability import count, logger

from . import repository, states
from .models import PaymentModel, ProcessedEvent
from .repository import get_payment, payment_for_intent

MAX_ATTEMPTS = 3


class UnknownIntent(Exception):
    """An event that moves a payment we do not know (yet): retried, then dead-lettered."""


class PaymentChangedMeanwhile(Exception):
    """Another writer kept moving the payment between our read and our write: retried."""


def _bus_detail(payment: PaymentModel, event: states.GatewayEvent) -> dict:
    return {"payment_id": payment.id, "order_id": payment.order_id, "user_id": payment.user_id,
            "intent_id": payment.intent_id, "status": event.target,
            "amount": Money(payment.amount, payment.currency).to_json(),
            "refunded_amount": Money(event.refunded_amount if event.refunded_amount is not None
                                     else payment.refunded_amount, payment.currency).to_json(),
            "fully_refunded": event.target == states.REFUNDED,
            "reason": event.failure_reason, "decline_code": event.decline_code, "gateway_event_id": event.id}


def _payment_of(event: states.GatewayEvent) -> PaymentModel | None:
    """The event's payment: by the payment id we put in the intent's metadata (one read), else by the intent."""
    if event.payment_id:
        try:
            payment = get_payment(event.payment_id)
            if payment.intent_id == event.intent_id:
                return payment
        except NotFound:
            pass
    return payment_for_intent(event.intent_id) if event.intent_id else None


def _move_payment(marker: ProcessedEvent, event: states.GatewayEvent) -> str:
    """Steps 2–4 for a recorded event; safe to run again for the same event."""
    for _ in range(MAX_ATTEMPTS):
        payment = _payment_of(event)
        if payment is None:
            raise UnknownIntent(f"no payment for intent {event.intent_id}")
        if payment.last_event_id == event.id:            # moved by an earlier delivery of this event
            break
        if not states.may_move(payment.status, event.target, refunded_now=event.refunded_amount,
                               refunded_before=payment.refunded_amount):
            repository.finish_event(marker, "ignored", published=True)
            logger.info("gateway event ignored", extra={"event_id": event.id, "type": event.type,
                                                        "why": f"older than {payment.status}"})
            count("PaymentEventsIgnored")
            return "ignored"
        changes = {"last_event_id": event.id}
        if event.refunded_amount is not None:
            changes["refunded_amount"] = event.refunded_amount
        if event.failure_reason:
            changes["failure_reason"] = event.failure_reason
        previous = payment.status
        if not repository.move(payment, event.target, **changes):
            continue                                      # moved meanwhile: decide again
        logger.info("payment moved", extra={"payment_id": payment.id, "from": previous, "to": event.target,
                                            "event_id": event.id})
        count("PaymentEventsApplied", status=event.target)
        break
    else:
        raise PaymentChangedMeanwhile(event.id)
    publish_type = states.PUBLISHED_AS.get(event.target)
    if publish_type:
        # at least once: if we die before the marker says so, the redelivery publishes again
        # (the payment's last_event_id tells it the move itself is done); orders' moves are idempotent
        events.publish("payments", publish_type, _bus_detail(payment, event))
        count("PaymentEventsPublished", type=publish_type)
    repository.finish_event(marker, "applied", published=True, publish_type=publish_type)
    return "applied"


def _resume(event: states.GatewayEvent) -> str:
    """A repeat: the event was recorded before; finish what its first delivery left undone."""
    marker = repository.get_event(event.id)
    if marker is None:  # pragma: no cover - the marker was just seen
        return "duplicate"
    if marker.outcome == "pending":
        _move_payment(marker, event)
        return "resumed"
    count("PaymentEventsDuplicate")
    return "duplicate"


def apply_event(body: dict) -> str:
    """Apply one gateway event; returns what happened (applied, ignored, duplicate, resumed, republished)."""
    event = states.GatewayEvent.parse(body)
    announces = event.target is not None
    marker = repository.new_event(event.id, event_type=event.type, intent_id=event.intent_id,
                                  outcome="pending" if announces else "ignored", target=event.target,
                                  published=not announces, received_at=iso())
    if not repository.record_event(marker):
        return _resume(event)
    if not announces:
        count("PaymentEventsIgnored")
        return "ignored"
    return _move_payment(marker, event)
