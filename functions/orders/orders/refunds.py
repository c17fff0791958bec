"""Refunds of an order: what may be refunded, how a refund is asked of the payment, and what the payment's
confirmation does to the order.

    request()  an admin's refund (POST /orders/{id}/refunds), a cancellation of a paid order, a return
               (source "return:<id>"): checked, recorded on the order as `pending` (a note, no event), THEN
               asked of payments with a key made from the refund's id (a repeat never refunds twice). If
               payments refuses or cannot answer, the refund becomes `failed` (a note) and the error is raised.
    settle()   payment.refunded (payment_events.py): `refunded_amount` is the payment's total refunded so far.
               What it adds to the refunds the order already counts as succeeded settles the pending ones
               it covers, oldest first (→ `succeeded`); what is left over was refunded at the payment itself
               (POST /api/v1/payments/{id}/refund) and is listed as a refund of its own ("refunded at the
               payment"). `refunded_total` is set, and the order moves to partially_refunded or refunded
               (from paid, partially_fulfilled, fulfilled, partially_refunded: state_machine.py), publishing
               order.partially_refunded / order.refunded with the refund as data; a second partial refund
               is a note with the same event. A cancelled order (refunded because it was cancelled) keeps
               its status. A repeat (nothing new refunded) changes nothing. Each settled refund e-mails
               the shopper once.

Rules of a refund: a reason (1–500 characters); an amount above 0, in the currency's minor units, at most
the total less what was refunded and what is pending (400 naming `amount`; left out: all of that); `lines`
(optional, what the refund is for) name lines of the order, each quantity at most the line's; the order is
one that may still become refunded (409 otherwise: state_machine's MoveRefused); one refund pending at a
time (409 `refund-pending`: the payment takes the next one once the gateway confirmed the last).
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from meridian import idempotency
from meridian.audit import describe
from meridian.clock import iso
from meridian.errors import Conflict, DomainError, ValidationFailed
from meridian.money import Money, fits_minor_units, precision_problem
from meridian.observability import count, logger

from . import emails, payments_api, repository
from .models import OrderModel, RefundAttribute, ShippedLine
from .order_events import line_id
from .state_machine import (
    CANCELLED,
    PARTIALLY_REFUNDED,
    REFUNDED,
    MoveRefused,
    OrderChanged,
    allowed,
    move,
    note,
)
from .views import order_view, refund_view

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
MAX_REASON = 500
AT_THE_PAYMENT = "refunded at the payment"
ATTEMPTS = 3
_IDS = uuid.UUID("5d1f3a2e-8c4b-4f6e-9a7d-0b1c2d3e4f50")     # refund ids: uuid5 of (order, key)


class RefundPending(Conflict):
    type_slug = "refund-pending"

    def __init__(self, order: OrderModel):
        super().__init__("A refund of this order is still pending; refund again once it is confirmed.",
                         order_id=order.id, headers={"Retry-After": "5"})


def _amount(refund) -> Decimal:
    return Decimal(refund.amount)


def refunds_of(order: OrderModel) -> list:
    return list(order.refunds or [])


def refunded_total(order: OrderModel) -> Decimal:
    return order.refunded_total if order.refunded_total is not None else Decimal(0)


def pending_total(order: OrderModel) -> Decimal:
    return sum((_amount(r) for r in refunds_of(order) if r.status == PENDING), Decimal(0))


def refundable(order: OrderModel) -> Decimal:
    """What may still be refunded: the total less what was refunded and what is pending."""
    return order.total - refunded_total(order) - pending_total(order)


# ---------------------------------------------------------------------------- asking for a refund
def _checked_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise ValidationFailed({"reason": [f"Say why, in 1 to {MAX_REASON} characters."]})
    return text


def _checked_lines(order: OrderModel, lines) -> list[ShippedLine]:
    quantities = {line_id(line, n): int(line.quantity) for n, line in enumerate(order.items)}
    checked, seen = [], set()
    for n, wanted in enumerate(lines or []):
        name, quantity = str(wanted["line_id"]), int(wanted["quantity"])
        if name not in quantities:
            raise ValidationFailed({f"lines.{n}.line_id": ["No such line on this order."]})
        if name in seen:
            raise ValidationFailed({f"lines.{n}.line_id": ["Each line may appear once."]})
        if not 1 <= quantity <= quantities[name]:
            raise ValidationFailed({f"lines.{n}.quantity": [f"From 1 to {quantities[name]} (the line's quantity)."]})
        seen.add(name)
        checked.append(ShippedLine(line_id=name, quantity=quantity))
    return checked


def _checked_amount(order: OrderModel, amount: Decimal | None) -> Decimal:
    left = refundable(order)
    amount = left if amount is None else Decimal(amount)
    currency = order.currency
    if not fits_minor_units(amount, currency):
        raise ValidationFailed({"amount": [precision_problem(currency)]})
    if amount <= 0 or amount > left:
        raise ValidationFailed({"amount": [f"Must be more than 0 and at most {format(left, 'f')} {currency} "
                                           "(the total less what was refunded or is pending)."]})
    return amount


def request(order: OrderModel, *, amount: Decimal | None, reason: str, actor: str, key: str, lines=None,
            source: str = "order") -> dict:
    """Refund `amount` of the order (None: all that is left) for `reason`, once per `key`: the refund as
    listed on the order (refund_view; `order` is updated in place). A repeat of a key answers the refund it
    made. 400 naming the field, 409 when the order may not be refunded or a refund is pending, 503 when
    payments cannot answer (the refund is then `failed`)."""
    reason = _checked_reason(reason)
    refund_id = str(uuid.uuid5(_IDS, f"{order.id}:{key}"))
    for attempt in range(ATTEMPTS):
        made = next((r for r in refunds_of(order) if r.id == refund_id), None)
        if made is not None:
            return refund_view(made, order.currency)
        if not allowed(order.status, REFUNDED):
            raise MoveRefused(order.id, order.status, REFUNDED)
        if pending_total(order) > 0:
            raise RefundPending(order)
        checked = _checked_amount(order, amount)
        refund = RefundAttribute(id=refund_id, amount=format(checked, "f"), reason=reason,
                                 lines=_checked_lines(order, lines), status=PENDING, requested_at=iso(),
                                 actor=actor, source=source)
        try:
            note(order, reason=f"refund of {format(checked, 'f')} {order.currency} requested: {reason}",
                 actor=actor, appends={"refunds": [refund]})
            break
        except OrderChanged:
            if attempt == ATTEMPTS - 1:
                raise
            order.refresh(consistent_read=True)
    try:
        payments_api.refund(order.payment_id, checked, key=f"order-refund-{refund_id}")
    except DomainError as exc:
        _fail(order, refund_id, why=exc.detail, actor=actor)
        raise
    count("OrderRefundsRequested", source=source.split(":")[0])
    logger.info("refund requested", extra={"order_id": order.id, "refund_id": refund_id, "amount": str(checked)})
    return refund_view(next(r for r in refunds_of(order) if r.id == refund_id), order.currency)


def refund_once(order_id: str, who, wanted: dict, *, key: str | None, body) -> tuple[int, dict]:
    """An admin's refund (POST /orders/{id}/refunds), once per Idempotency-Key: (202, the order), audited."""
    key = idempotency.checked_key(key)

    def act() -> tuple[int, dict]:
        order = repository.get(order_id)
        before = {"status": order.status, "refunded_total": Money(refunded_total(order), order.currency).to_json()}
        refund = request(order, amount=wanted["amount"], reason=wanted["reason"], actor=f"{who.role}:{who.user_id}",
                         key=key or str(uuid.uuid4()), lines=wanted["lines"])
        describe(action="order.refund_requested", target=f"order:{order.id}", before=before,
                 after={"status": order.status, "refund": refund})
        return 202, order_view(order)

    return idempotency.run_once("orders:refund", key, {"order": order_id, "body": body}, act)


def _fail(order: OrderModel, refund_id: str, *, why: str, actor: str) -> None:
    """Payments did not take the refund: it is `failed` on the order (which may be refunded again)."""
    for _ in range(ATTEMPTS):
        listed = refunds_of(order)
        for refund in listed:
            if refund.id == refund_id and refund.status == PENDING:
                refund.status, refund.settled_at = FAILED, iso()
        try:
            note(order, reason=f"refund failed: {why}", actor=actor, changes={"refunds": listed})
            count("OrderRefundsFailed")
            return
        except OrderChanged:
            order.refresh(consistent_read=True)
    logger.error("a failed refund could not be recorded", extra={"order_id": order.id, "refund_id": refund_id})


# ---------------------------------------------------------------------------- the payment's confirmation
def settle(order: OrderModel, *, refunded_amount: Decimal, fully: bool, actor: str) -> str:
    """payment.refunded: the payment has given back `refunded_amount` in all (see the module's docstring).
    `refunded` | `partially_refunded` | `noted` | `ignored` (a repeat, or an older event)."""
    for _ in range(ATTEMPTS):
        try:
            return _settle_once(order, refunded_amount=refunded_amount, fully=fully, actor=actor)
        except (OrderChanged, MoveRefused):
            order = repository.get(order.id)
    raise OrderChanged(order.id)


def _settle_once(order: OrderModel, *, refunded_amount: Decimal, fully: bool, actor: str) -> str:
    listed = refunds_of(order)
    counted = sum((_amount(r) for r in listed if r.status == SUCCEEDED), Decimal(0))
    news = refunded_amount - counted
    if news <= 0:
        return "ignored"
    now, settled = iso(), []
    for refund in sorted((r for r in listed if r.status == PENDING), key=lambda r: r.requested_at):
        if _amount(refund) <= news:
            refund.status, refund.settled_at = SUCCEEDED, now
            news -= _amount(refund)
            settled.append(refund)
    if news > 0:
        extra = RefundAttribute(id=str(uuid.uuid5(_IDS, f"{order.id}:payment:{format(refunded_amount, 'f')}")),
                                amount=format(news, "f"), reason=AT_THE_PAYMENT, lines=[], status=SUCCEEDED,
                                requested_at=now, settled_at=now, actor=actor, source="payment")
        listed.append(extra)
        settled.append(extra)
    total = sum((_amount(r) for r in settled), Decimal(0))
    changes = {"refunds": listed, "refunded_total": refunded_amount}
    target = REFUNDED if fully or refunded_amount >= order.total else PARTIALLY_REFUNDED
    reason = f"refunded {format(total, 'f')} {order.currency}" + (
        f": {settled[-1].reason}" if len(settled) == 1 else "")
    data = refund_view(settled[-1], order.currency)
    if order.status == target:
        note(order, reason=reason, actor=actor, event=f"order.{target}", changes=changes, data=data)
        outcome = "noted"
    elif allowed(order.status, target):
        move(order, target, reason=reason, actor=actor, changes=changes, data=data)
        outcome = target
    else:   # cancelled (refunded because it was), or an older refund arriving after the full one
        note(order, reason=reason, actor=actor, changes=changes)
        outcome = "noted"
    if order.status != CANCELLED:
        for refund in settled:
            emails.queue(order.id, emails.refund_kind(refund.id))
    count("OrderRefundsSettled", len(settled))
    return outcome
