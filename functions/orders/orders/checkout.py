"""Checkout: a saga with compensation, once per Idempotency-Key.

    1. reserve stock           (products, reservation id = order id)     ← Conflict 409 when short
    2. price the reservation   (products' USD prices × one FX snapshot; pricing.py's rounding rule)
    3. create a payment intent (payments → gateway; idempotent per order)
    4. store the order         pending_payment, with the FX snapshot, the intent and its history

If anything after step 1 fails (or step 1's answer is lost), what was done is undone (the intent cancelled, the stock
released) and the error is answered (a gateway that is down → 503 + Retry-After). The
order is written last, so no order is ever pending without an intent.

The Idempotency-Key is the user's (meridian.idempotency, scope `orders:checkout:<user>`): two users may
use the same key; the request body is what must match on a repeat.
"""
from __future__ import annotations

import datetime as _dt
import uuid

from meridian import idempotency, shopper
from meridian.clock import iso, utcnow
from meridian.config import int_env
from meridian.errors import ServiceUnavailable
from meridian.observability import count, logger

from . import payments_api, pricing, products_api, state_machine
from .models import ShippingAddress
from .views import order_view


def payment_window() -> _dt.timedelta:
    return _dt.timedelta(minutes=int_env("PAYMENT_EXPIRY_MINUTES", 30))


def _compensate(order_id: str, payment: dict | None) -> None:
    if payment is not None:
        try:
            payments_api.cancel(payment["id"])
        except Exception as exc:  # noqa: BLE001 - compensation is best effort; reconciliation and sweeps follow up
            logger.warning("compensation: could not cancel the payment", extra={"order_id": order_id,
                                                                               "error": str(exc)})
    try:
        products_api.release(order_id)
    except Exception as exc:  # noqa: BLE001 - the products sweep returns the stock when the hold expires
        logger.warning("compensation: could not release the reservation", extra={"order_id": order_id,
                                                                                 "error": str(exc)})
    count("CheckoutsCompensated")


def place_order_once(who, *, key: str | None, body, order: dict, authorization: str | None) -> tuple[int, dict]:
    """Checkout once per (user, Idempotency-Key): (201, the order), or the first answer on a repeat."""
    email = (shopper.profile(authorization) or {}).get("email") or None
    actor = f"{who.role}:{who.user_id}"
    return idempotency.run_once(
        f"orders:checkout:{who.user_id}", key, body,
        lambda: (201, place_order(user_id=who.user_id, email=email, request=order, actor=actor)), required=True)


def place_order(*, user_id: str, email: str | None, request: dict, actor: str) -> dict:
    """Run the saga for a validated request; the 201 body."""
    order_id = str(uuid.uuid4())
    currency = request["currency"]
    window = payment_window()
    try:
        reservation = products_api.reserve(order_id, request["items"],
                                           ttl_seconds=int(window.total_seconds()) + 600)
    except ServiceUnavailable:
        _compensate(order_id, None)  # products may have reserved before its answer was lost
        raise
    payment = None
    try:
        priced = pricing.price(reservation["items"], currency)
        payment = payments_api.create_intent(order_id=order_id, user_id=user_id, amount=priced.total.amount,
                                             currency=currency)
        now = utcnow()
        order = state_machine.place(
            reason="order placed", actor=actor,
            id=order_id, user_id=user_id, email=email, currency=currency, **pricing.order_fields(priced),
            shipping_address=ShippingAddress(**request["shipping_address"]),
            reservation_id=order_id, payment_id=payment["id"], intent_id=payment["intent_id"],
            client_secret=payment["client_secret"], created_at=iso(now), updated_at=iso(now),
            expires_at=iso(now + window))
    except BaseException:
        _compensate(order_id, payment)
        raise
    count("OrdersPlaced", currency=currency)
    logger.info("order placed", extra={"order_id": order_id, "payment_id": payment["id"], "currency": currency})
    return order_view(order)
