"""Applies verified gateway events to payments, each event exactly once.

For one event: find the payment of its intent, decide whether the event moves it (an
event older than the payment's current state is ignored), then in ONE DynamoDB
transaction write the event's marker (condition: no marker yet) and the payment's new
status (condition: status unchanged since we read it). The marker doubles as an outbox:
it holds the bus event to publish and `published=false` until EventBridge took it, so a
crash between the two is repaired by the redelivery instead of losing the bus event.
"""
from __future__ import annotations

import json

from meridian import events, jsonutil
from meridian.clock import iso
from meridian.money import Money
from meridian.observability import count, logger
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from . import states
from .models import PaymentModel, ProcessedEvent, connection
from .service import payment_for_intent


class UnknownIntent(Exception):
    """An event that moves a payment we do not know (yet): retried, then dead-lettered."""


class PaymentChangedMeanwhile(Exception):
    """Another writer moved the payment between our read and our write: retried."""


def _bus_detail(payment: PaymentModel, event: states.GatewayEvent, target: str) -> dict:
    return {"payment_id": payment.id, "order_id": payment.order_id, "user_id": payment.user_id,
            "intent_id": payment.intent_id, "status": target,
            "amount": Money(payment.amount, payment.currency).to_json(),
            "refunded_amount": Money(event.refunded_amount if event.refunded_amount is not None
                                     else payment.refunded_amount, payment.currency).to_json(),
            "fully_refunded": target == states.REFUNDED,
            "reason": event.failure_reason, "gateway_event_id": event.id}


def _publish(marker: ProcessedEvent) -> None:
    events.publish("payments", marker.publish_type, json.loads(marker.publish_detail))
    marker.update(actions=[ProcessedEvent.published.set(True)])
    count("PaymentEventsPublished", type=marker.publish_type)


def _record_ignored(event: states.GatewayEvent, why: str) -> str:
    marker = ProcessedEvent(ProcessedEvent.key(event.id), "EVENT", event_type=event.type, intent_id=event.intent_id,
                            outcome="ignored", published=True, received_at=iso())
    try:
        marker.save(condition=ProcessedEvent.pk.does_not_exist())
    except PutError:
        return _resume_duplicate(event.id)
    logger.info("gateway event ignored", extra={"event_id": event.id, "type": event.type, "why": why})
    count("PaymentEventsIgnored")
    return "ignored"


def _resume_duplicate(event_id: str) -> str:
    """A marker exists: the event was applied before; finish its publication if that was cut short."""
    try:
        marker = ProcessedEvent.get(ProcessedEvent.key(event_id), "EVENT", consistent_read=True)
    except DoesNotExist:  # pragma: no cover - the marker was just seen
        return "duplicate"
    if not marker.published and marker.publish_type:
        _publish(marker)
        return "republished"
    count("PaymentEventsDuplicate")
    return "duplicate"


def apply_event(body: dict) -> str:
    """Apply one gateway event; returns what happened (applied, ignored, duplicate, republished)."""
    event = states.GatewayEvent.parse(body)
    # no "seen before?" read first: a repeat fails one of the conditional writes below and is resumed there
    if event.target is None:
        return _record_ignored(event, "announces no payment status")
    payment = payment_for_intent(event.intent_id) if event.intent_id else None
    if payment is None:
        raise UnknownIntent(f"no payment for intent {event.intent_id}")
    if not states.may_move(payment.status, event.target, refunded_now=event.refunded_amount,
                           refunded_before=payment.refunded_amount):
        return _record_ignored(event, f"older than the payment's state ({payment.status} → {event.target})")

    publish_type = states.PUBLISHED_AS.get(event.target)
    marker = ProcessedEvent(ProcessedEvent.key(event.id), "EVENT", event_type=event.type, intent_id=event.intent_id,
                            outcome="applied", published=publish_type is None, publish_type=publish_type,
                            publish_detail=jsonutil.dumps(_bus_detail(payment, event, event.target)),
                            received_at=iso())
    now = iso()
    actions = [PaymentModel.status.set(event.target), PaymentModel.updated_at.set(now),
               PaymentModel.gsi1pk.set(f"STATUS#{event.target}"), PaymentModel.gsi1sk.set(f"{now}#{payment.id}")]
    if event.refunded_amount is not None:
        actions.append(PaymentModel.refunded_amount.set(event.refunded_amount))
    if event.failure_reason:
        actions.append(PaymentModel.failure_reason.set(event.failure_reason))
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(marker, condition=ProcessedEvent.pk.does_not_exist())
            tx.update(payment, actions=actions, condition=PaymentModel.status == payment.status)
    except TransactWriteError as exc:
        reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return _resume_duplicate(event.id)
        raise PaymentChangedMeanwhile(str(exc)) from None
    logger.info("payment moved", extra={"payment_id": payment.id, "from": payment.status, "to": event.target,
                                        "event_id": event.id})
    count("PaymentEventsApplied", status=event.target)
    if publish_type:
        _publish(marker)
    return "applied"
