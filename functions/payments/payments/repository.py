"""Reading and writing the payments table: the only module that touches it (single-item conditional writes).

Payments (status moves conditional on the status read), the order's claim on its one payment, the
intent → payment pointer, and the gateway events' markers (see models.py for the item layout).
"""
from __future__ import annotations

import uuid

from meridian.clock import iso
from meridian.dynamo import applied
from meridian.errors import NotFound
from pynamodb.exceptions import DoesNotExist, PutError

from .models import Breakdown, BreakdownLine, BreakdownTax, IntentPointer, OrderPointer, PaymentModel, ProcessedEvent


# ---------------------------------------------------------------------------- payments
def get_payment(payment_id: str) -> PaymentModel:
    try:
        return PaymentModel.get(PaymentModel.key(payment_id), "PAYMENT", consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such payment.") from None


def payment_for_intent(intent_id: str) -> PaymentModel | None:
    try:
        pointer = IntentPointer.get(IntentPointer.key(intent_id), "INTENT", consistent_read=True)
    except DoesNotExist:
        return None
    return get_payment(pointer.payment_id)


def payment_for_order(order_id: str) -> PaymentModel | None:
    try:
        pointer = OrderPointer.get(OrderPointer.key(order_id), "PAYMENT", consistent_read=True)
        return get_payment(pointer.payment_id)
    except (DoesNotExist, NotFound):
        return None


def page_by_status(status: str, *, since: str | None, limit: int, start: dict | None,
                   before: str | None = None) -> tuple[list[PaymentModel], dict | None]:
    """Payments in `status` changed at or after `since` and before `before` (gsi1), oldest first, one page.
    (A payment's gsi1 time is its last change, never earlier than its creation: `before` finds payments
    created before it that have not changed since.)"""
    sort = PaymentModel.gsi1sk
    if since and before:
        condition = sort.between(since, before)
    else:
        condition = sort >= since if since else (sort < before if before else None)
    result = PaymentModel.by_status.query(f"STATUS#{status}", condition, limit=limit, last_evaluated_key=start)
    found = [p for p in result if not before or p.gsi1sk < before]
    return found, result.last_evaluated_key


OPEN_CLAIMS = "CLAIM#open"


def page_open_claims(*, before: str | None, limit: int,
                     start: dict | None) -> tuple[list[OrderPointer], dict | None]:
    """Claims without a payment yet (sparse gsi1 partition CLAIM#open) made before `before`, oldest first."""
    condition = OrderPointer.gsi1sk < before if before else None
    result = OrderPointer.by_status.query(OPEN_CLAIMS, condition, limit=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def get_claim(order_id: str) -> OrderPointer | None:
    try:
        return OrderPointer.get(OrderPointer.key(order_id), "PAYMENT", consistent_read=True)
    except DoesNotExist:
        return None


def close_claim(claim: OrderPointer) -> None:
    """The claim has its payment now: out of the open-claims index (idempotent)."""
    if claim.gsi1pk is not None:
        claim.update(actions=[OrderPointer.gsi1pk.remove(), OrderPointer.gsi1sk.remove()])


def status_fields(status: str, now: str, payment_id: str) -> dict:
    """A payment's status with the attributes that index it (gsi1: STATUS#<status> / <updated_at>#<id>)."""
    return {"status": status, "updated_at": now, "gsi1pk": f"STATUS#{status}", "gsi1sk": f"{now}#{payment_id}"}


def claim_order(order_id: str, **details) -> OrderPointer:
    """The order's claim on its one payment: a new one (a fresh payment id, open until its payment is stored:
    close_claim), or the one made before."""
    now = iso()
    claim = OrderPointer(OrderPointer.key(order_id), "PAYMENT", payment_id=str(uuid.uuid4()), created_at=now,
                         gsi1pk=OPEN_CLAIMS, gsi1sk=f"{now}#{order_id}", **details)
    try:
        claim.save(condition=OrderPointer.pk.does_not_exist())
        return claim
    except PutError:
        return OrderPointer.get(OrderPointer.key(order_id), "PAYMENT", consistent_read=True)


def new_payment(*, payment_id: str, status: str, now: str, breakdown: dict | None = None, **fields) -> PaymentModel:
    """A payment not yet stored; `breakdown`: the canonical breakdown (payments/breakdown.py) or None."""
    return PaymentModel(PaymentModel.key(payment_id), "PAYMENT", id=payment_id, created_at=now,
                        breakdown=_breakdown_attribute(breakdown), **status_fields(status, now, payment_id), **fields)


def _breakdown_attribute(breakdown: dict | None) -> Breakdown | None:
    if breakdown is None:
        return None
    return Breakdown(**{**breakdown, "taxes": [BreakdownTax(**tax) for tax in breakdown["taxes"]],
                        "lines": [BreakdownLine(**line) for line in breakdown["lines"]]})


def create_payment(payment: PaymentModel) -> bool:
    """Store a new payment and its intent pointer; False (nothing written) when it exists already."""
    try:
        payment.save(condition=PaymentModel.pk.does_not_exist())
    except PutError:
        return False
    IntentPointer(IntentPointer.key(payment.intent_id), "INTENT", payment_id=payment.id).save()
    return True


def move(payment: PaymentModel, target: str, **changes) -> bool:
    """Set `target` (and `changes`) on condition that the status is still the one read; False when someone
    moved it first (nothing written)."""
    now = iso()
    fields = {**status_fields(target, now, payment.id), **changes}
    actions = [getattr(PaymentModel, name).set(value) for name, value in fields.items()]
    return applied(lambda: payment.update(actions=actions, condition=PaymentModel.status == payment.status))


# ---------------------------------------------------------------------------- gateway events
def record_event(marker: ProcessedEvent) -> bool:
    """Put a gateway event's marker; False when the event was recorded before (a repeat)."""
    try:
        marker.save(condition=ProcessedEvent.pk.does_not_exist())
        return True
    except PutError:
        return False


def new_event(event_id: str, **fields) -> ProcessedEvent:
    return ProcessedEvent(ProcessedEvent.key(event_id), "EVENT", **fields)


def get_event(event_id: str) -> ProcessedEvent | None:
    try:
        return ProcessedEvent.get(ProcessedEvent.key(event_id), "EVENT", consistent_read=True)
    except DoesNotExist:
        return None


def finish_event(marker: ProcessedEvent, outcome: str, **fields) -> None:
    actions = [ProcessedEvent.outcome.set(outcome)]
    actions += [getattr(ProcessedEvent, name).set(value) for name, value in fields.items()]
    marker.update(actions=actions)
