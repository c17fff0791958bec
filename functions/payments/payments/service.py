"""Payments rules: one payment (and one gateway intent) per order, cancel, refund, queries."""
from __future__ import annotations

import uuid
from decimal import Decimal

from meridian import pagination
from meridian.audit import describe
from meridian.clock import iso
from meridian.dynamo import condition_failed
from meridian.errors import Conflict, NotFound, ValidationFailed
from meridian.money import Money
from meridian.observability import count, logger
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from . import states
from .gateways import GatewayRejected, gateway, wire_problem
from .models import IntentPointer, OrderPointer, PaymentModel


# ---------------------------------------------------------------------------- views
def payment_view(payment: PaymentModel) -> dict:
    return {"id": payment.id, "order_id": payment.order_id, "status": payment.status,
            "amount": Money(payment.amount, payment.currency).to_json(),
            "refunded_amount": Money(payment.refunded_amount, payment.currency).to_json(),
            "intent_id": payment.intent_id, "gateway": payment.gateway,
            "created_at": payment.created_at, "updated_at": payment.updated_at}


def intent_view(payment: PaymentModel) -> dict:
    return {**payment_view(payment), "client_secret": payment.client_secret}


# ---------------------------------------------------------------------------- reads
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


def visible_payment(payment_id: str, who) -> PaymentModel:
    """The payment if `who` owns it or is an admin; 404 otherwise (never reveal others' payments)."""
    payment = get_payment(payment_id)
    if not who.may_see(payment.user_id):
        raise NotFound("No such payment.")
    return payment


def list_by_status(status: str, *, since: str | None, limit: int, cursor: str | None) -> dict:
    condition = PaymentModel.gsi1sk >= since if since else None
    result = PaymentModel.by_status.query(f"STATUS#{status}", condition, limit=limit,
                                          last_evaluated_key=pagination.decode_cursor(cursor, "payments-status"))
    items = [payment_view(p) for p in result]
    return pagination.page(items, result.last_evaluated_key, "payments-status")


# ---------------------------------------------------------------------------- writes
def _status_fields(status: str, now: str, payment_id: str) -> dict:
    return {"status": status, "updated_at": now, "gsi1pk": f"STATUS#{status}", "gsi1sk": f"{now}#{payment_id}"}


def create_intent(*, order_id: str, user_id: str, amount: Decimal, currency: str) -> tuple[PaymentModel, bool]:
    """The order's payment, creating it and its gateway intent on the first call (idempotent per order).

    Single-item conditional writes, in an order that is safe to repeat: the order's claim
    (fixes the payment id), the gateway intent (idempotency key = order), the payment, the
    intent pointer. A repeat after a crash anywhere reuses the claim and finishes the rest.
    Returns (payment, created)."""
    problem = wire_problem(amount, currency)
    if problem:
        raise ValidationFailed({"amount": [problem]})
    claim = _claim(order_id, user_id=user_id, amount=amount, currency=currency)
    if (claim.user_id, claim.amount, claim.currency) != (user_id, amount, currency):
        raise Conflict("This order already has a payment for a different amount.")
    try:
        return get_payment(claim.payment_id), False
    except NotFound:
        pass
    payment_id = claim.payment_id
    intent = gateway().create_intent(amount=amount, currency=currency, idempotency_key=f"order-{order_id}",
                                     metadata={"order_id": order_id, "payment_id": payment_id})
    now = iso()
    payment = PaymentModel(PaymentModel.key(payment_id), "PAYMENT", id=payment_id, order_id=order_id,
                           user_id=user_id, gateway=gateway().name, intent_id=intent.id,
                           client_secret=intent.client_secret, amount=amount, currency=currency,
                           refunded_amount=Decimal(0), created_at=now,
                           **_status_fields(states.PENDING, now, payment_id))
    try:
        payment.save(condition=PaymentModel.pk.does_not_exist())
    except PutError:                          # a concurrent repeat finished first
        return get_payment(payment_id), False
    IntentPointer(IntentPointer.key(intent.id), "INTENT", payment_id=payment_id).save()
    count("PaymentIntentsCreated", gateway=payment.gateway)
    logger.info("payment intent created", extra={"payment_id": payment_id, "order_id": order_id,
                                                 "intent_id": intent.id})
    return payment, True


def _claim(order_id: str, **details) -> OrderPointer:
    claim = OrderPointer(OrderPointer.key(order_id), "PAYMENT", payment_id=str(uuid.uuid4()), **details)
    try:
        claim.save(condition=OrderPointer.pk.does_not_exist())
        return claim
    except PutError:
        return OrderPointer.get(OrderPointer.key(order_id), "PAYMENT", consistent_read=True)


def _move(payment: PaymentModel, target: str, **changes) -> PaymentModel:
    """Conditional status move (from the status we read); Conflict when someone moved it first."""
    now = iso()
    fields_ = {**_status_fields(target, now, payment.id), **changes}
    actions = [getattr(PaymentModel, name).set(value) for name, value in fields_.items()]
    try:
        payment.update(actions=actions, condition=PaymentModel.status == payment.status)
    except UpdateError as exc:
        if condition_failed(exc):
            raise Conflict("The payment changed meanwhile; try again.") from None
        raise
    return payment


def cancel(payment_id: str) -> PaymentModel:
    """Cancel a pending payment's intent at the gateway; 409 once it has succeeded."""
    payment = get_payment(payment_id)
    if payment.status == states.CANCELED:
        return payment
    if payment.status == states.FAILED:
        # a declined intent stays open at the gateway: close it so no later card can be charged
        try:
            gateway().cancel_intent(payment.intent_id)
        except GatewayRejected:
            pass
        return payment
    if payment.status != states.PENDING:
        raise Conflict(f"The payment is {payment.status}; it can no longer be cancelled.")
    try:
        intent = gateway().cancel_intent(payment.intent_id)
    except GatewayRejected as exc:
        current = gateway().retrieve_intent(payment.intent_id)
        if current.status == "canceled":
            intent = current
        else:
            raise Conflict(f"The gateway refused to cancel the payment ({exc.code or exc}).") from None
    if intent.status != "canceled":
        raise Conflict(f"The gateway reports the payment as {intent.status}.")
    try:
        return _move(payment, states.CANCELED, failure_reason="canceled")
    except Conflict:
        return get_payment(payment_id)


def refund(payment_id: str, amount: Decimal | None, *, idempotency_key: str | None = None) -> dict:
    """Ask the gateway to refund (all or part); the payment is `refund_pending` until its webhook confirms."""
    payment = get_payment(payment_id)
    if payment.status not in states.REACHABLE_FROM[states.REFUND_PENDING]:
        raise Conflict(f"A {payment.status} payment cannot be refunded.")
    remaining = payment.amount - payment.refunded_amount
    amount = remaining if amount is None else amount
    problem = wire_problem(amount, payment.currency)
    if problem:
        raise ValidationFailed({"amount": [problem]})
    if amount <= 0 or amount > remaining:
        raise ValidationFailed({"amount": [f"Must be more than 0 and at most {remaining} {payment.currency}."]})
    previous = payment.status
    _move(payment, states.REFUND_PENDING)
    # the gateway's key, namespaced by payment: a key the admin reuses elsewhere never meets another payment there
    key = f"refund-{payment.id}-{idempotency_key or format(payment.refunded_amount + amount, 'f')}"
    try:
        result = gateway().refund(intent_id=payment.intent_id, amount=amount, currency=payment.currency,
                                  idempotency_key=key)
    except Exception:
        try:  # the gateway never took it: put the payment back where it was
            _move(payment, previous)
        except Conflict:
            pass
        raise
    count("RefundsRequested")
    logger.info("refund requested", extra={"payment_id": payment.id, "refund_id": result.id})
    refund = {"id": result.id, "status": result.status, "amount": Money(amount, payment.currency).to_json()}
    describe(action="payment.refund_requested", target=f"payment:{payment.id}",
             before={"status": previous, "refunded_amount": Money(payment.refunded_amount, payment.currency).to_json()},
             after={"status": payment.status, "refund": refund})
    return {**payment_view(payment), "refund": refund}

