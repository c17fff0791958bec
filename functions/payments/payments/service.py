"""Payments rules: one payment (and one gateway intent) per order, cancel, refund, queries."""
from __future__ import annotations

from decimal import Decimal

from meridian import idempotency, pagination
from meridian.audit import describe
from meridian.clock import iso
from meridian.errors import Conflict, NotFound, ValidationFailed
from meridian.money import Money
from meridian.observability import count, logger

from . import breakdown as price_breakdown
from . import repository, states
from .gateways import GatewayRejected, gateway, wire_problem
from .models import PaymentModel
from .views import intent_view, payment_view

CLAIMED = "claimed"   # the listing's name for a claim without its payment yet (repository.page_open_claims)


# ---------------------------------------------------------------------------- reads
def payment_detail(payment_id: str, who) -> dict:
    """The payment if `who` owns it or is an admin; 404 otherwise (never reveal others' payments)."""
    payment = repository.get_payment(payment_id)
    if not who.may_see(payment.user_id):
        raise NotFound("No such payment.")
    return payment_view(payment)


def list_by_status(status: str, *, since: str | None, limit: int, cursor: str | None) -> dict:
    payments, last = repository.page_by_status(status, since=since, limit=limit,
                                               start=pagination.decode_cursor(cursor, "payments-status"))
    return pagination.page([payment_view(p) for p in payments], last, "payments-status")


# ---------------------------------------------------------------------------- writes
def create_intent(*, order_id: str, user_id: str, amount: Decimal, currency: str,
                  breakdown: dict | None = None) -> tuple[dict, bool]:
    """The order's payment, creating it and its gateway intent on the first call (idempotent per order).

    `breakdown`: what the amount is made of (None from older callers); it must add up to the amount
    (payments/breakdown.py, 422), and a repeat with another breakdown is refused like another amount (409).
    Single-item conditional writes, in an order that is safe to repeat: the order's claim
    (fixes the payment id), the gateway intent (idempotency key = order), the payment, the
    intent pointer. A repeat after a crash anywhere reuses the claim and finishes the rest.
    Returns (the payment with its client secret, created)."""
    problem = wire_problem(amount, currency)
    if problem:
        raise ValidationFailed({"amount": [problem]})
    breakdown = price_breakdown.checked(breakdown, amount=amount, currency=currency)
    fingerprint = price_breakdown.digest(breakdown)
    claim = repository.claim_order(order_id, user_id=user_id, amount=amount, currency=currency,
                                   breakdown_digest=fingerprint,
                                   intent_metadata=price_breakdown.metadata(breakdown))
    if (claim.user_id, claim.amount, claim.currency) != (user_id, amount, currency):
        raise Conflict("This order already has a payment for a different amount.")
    if claim.breakdown_digest != fingerprint:
        raise Conflict("This order already has a payment with a different breakdown of its amount.")
    payment, created = _payment_of_claim(order_id, claim, metadata=price_breakdown.metadata(breakdown),
                                         breakdown=breakdown)
    return intent_view(payment), created


def _payment_of_claim(order_id: str, claim, *, metadata: dict, breakdown: dict | None) -> tuple[PaymentModel, bool]:
    """The claim's payment, creating its gateway intent (key order-<id>, the same request every time, so the
    gateway answers the same intent) and the payment when there is none yet; then the claim is closed."""
    try:
        payment = repository.get_payment(claim.payment_id)
        repository.close_claim(claim)
        return payment, False
    except NotFound:
        pass
    payment_id = claim.payment_id
    intent = gateway().create_intent(amount=claim.amount, currency=claim.currency,
                                     idempotency_key=f"order-{order_id}",
                                     metadata={"order_id": order_id, "payment_id": payment_id,
                                               **metadata})
    payment = repository.new_payment(payment_id=payment_id, status=states.PENDING, now=iso(), order_id=order_id,
                                     user_id=claim.user_id, gateway=gateway().name, intent_id=intent.id,
                                     client_secret=intent.client_secret, amount=claim.amount,
                                     currency=claim.currency, refunded_amount=Decimal(0),
                                     breakdown=breakdown)
    created = repository.create_payment(payment)
    if not created:  # a concurrent repeat finished first
        payment = repository.get_payment(payment_id)
    repository.close_claim(claim)
    if created:
        count("PaymentIntentsCreated", gateway=payment.gateway)
        logger.info("payment intent created", extra={"payment_id": payment_id, "order_id": order_id,
                                                     "intent_id": intent.id})
    return payment, created


def _move(payment: PaymentModel, target: str, **changes) -> PaymentModel:
    """Conditional status move (from the status we read); Conflict when someone moved it first."""
    if not repository.move(payment, target, **changes):
        raise Conflict("The payment changed meanwhile; try again.")
    return payment


def cancel(payment_id: str) -> dict:
    """Cancel an open payment's intent at the gateway (pending, failed after a decline, or waiting for the
    shopper's authentication: no later card can then be charged); 409 once it has succeeded. The payment as
    it is then."""
    return payment_view(_cancel(payment_id))


def _cancel(payment_id: str) -> PaymentModel:
    payment = repository.get_payment(payment_id)
    if payment.status == states.CANCELED:
        return payment
    if payment.status not in states.OPEN:
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
        return repository.get_payment(payment_id)


def abandon(order_id: str) -> dict:
    """Orders gave up on `order_id` (its checkout answered 503, or reconciliation found no order): whatever
    payment was made for it is cancelled, even one whose answer never reached orders. No claim: nothing was
    made ({"payment": null}). A claim without its payment yet (a crash or timeout between claim and gateway):
    the intent is fetched-or-created with the same gateway idempotency key, so the one the gateway may have
    made is the one cancelled. 409 once the payment succeeded (the money is never dropped here). Idempotent."""
    claim = repository.get_claim(order_id)
    if claim is None:
        return {"order_id": order_id, "payment": None}
    if claim.amount is None:           # a claim of an older release: no amount to repeat the gateway call with
        raise Conflict("This order's payment claim cannot be repeated at the gateway; cancel it by its payment.")
    stored = claim.intent_metadata
    metadata = stored.as_dict() if hasattr(stored, "as_dict") else dict(stored or {})
    payment, _ = _payment_of_claim(order_id, claim, metadata=metadata, breakdown=None)
    payment = _cancel(payment.id)
    count("PaymentsAbandoned")
    logger.info("payment abandoned", extra={"order_id": order_id, "payment_id": payment.id,
                                            "status": payment.status})
    return {"order_id": order_id, "payment": payment_view(payment)}


def list_open_before(status: str, *, before: str, limit: int, cursor: str | None) -> dict:
    """Payments in `status` not changed since before `before`; `claimed`: claims without a payment yet (made
    before `before`), as {order_id, payment_id, status: claimed, created_at}."""
    if status == CLAIMED:
        claims, last = repository.page_open_claims(before=before, limit=limit,
                                                   start=pagination.decode_cursor(cursor, "payments-claims"))
        return pagination.page([{"order_id": c.pk.removeprefix("ORDER#"), "payment_id": c.payment_id,
                                 "status": CLAIMED, "created_at": c.created_at} for c in claims],
                               last, "payments-claims")
    payments, last = repository.page_by_status(status, since=None, before=before, limit=limit,
                                               start=pagination.decode_cursor(cursor, "payments-status"))
    return pagination.page([payment_view(p) for p in payments], last, "payments-status")


def refund(payment_id: str, amount: Decimal | None, *, idempotency_key: str | None = None) -> dict:
    """Ask the gateway to refund (all or part); the payment is `refund_pending` until its webhook confirms."""
    payment = repository.get_payment(payment_id)
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
    except Exception as error:
        try:  # the gateway never took it: put the payment back where it was
            _move(payment, previous)
        except Conflict:
            pass
        if isinstance(error, GatewayRejected):   # e.g. a disputed charge, or an intent it does not see as paid
            raise Conflict(f"The payment gateway refused the refund: {error}") from None
        raise
    count("RefundsRequested")
    logger.info("refund requested", extra={"payment_id": payment.id, "refund_id": result.id})
    refund = {"id": result.id, "status": result.status, "amount": Money(amount, payment.currency).to_json()}
    describe(action="payment.refund_requested", target=f"payment:{payment.id}",
             before={"status": previous, "refunded_amount": Money(payment.refunded_amount, payment.currency).to_json()},
             after={"status": payment.status, "refund": refund})
    return {**payment_view(payment), "refund": refund}



def refund_once(payment_id: str, amount: Decimal | None, *, key: str | None, body) -> tuple[int, dict]:
    """An admin's refund, once per Idempotency-Key (meridian.idempotency): (202, the payment with its refund).
    The key reused for another payment or body → 422."""
    key = idempotency.checked_key(key)
    return idempotency.run_once("payments:refund", key, {"payment": payment_id, "body": body},
                                lambda: (202, refund(payment_id, amount, idempotency_key=key)))


def refund_in_full(payment_id: str) -> dict:
    """Refund what is left of a payment (orders: an order paid after it was cancelled); a payment already
    being refunded, or refunded, is answered as it is."""
    payment = repository.get_payment(payment_id)
    if payment.status in (states.REFUND_PENDING, states.REFUNDED):
        return payment_view(payment)
    return refund(payment_id, None, idempotency_key=f"auto-refund-{payment_id}")
