"""Checkout: a saga with compensation, once per Idempotency-Key.

A cart (`{cart_id}`):
    0. quote the cart now      (quoting.py) and compare with what the shopper was last shown: any figure of
                               the total that moved (price, rate, stock, code, shipping) → 409 `quote-changed`
                               with the new quote (which the shopper has now seen: a retry goes through)
    1. claim the cart          (open → ordered, conditional on its version: one order per cart)
    2. reserve stock           (products, reservation id = order id)     ← Conflict 409 when short
    3. redeem its codes        (promotions.py: exactly once, never past a limit) ← 409 with the new quote
    4. create a payment intent (payments → gateway; idempotent per order) for the quote's total, with its breakdown
    5. store the order         pending_payment: the quote's lines, shipping, discounts, tax lines and total

The items body (`{items, currency, shipping_address}`, kept for older clients): stock is reserved, then the
reserved lines are priced by the same rule (pricing.py, taxes of the address; no shipping method, no codes).

If anything after the reservation fails (or its answer is lost), what was done is undone (the intent
cancelled, the stock released, the codes given back, the cart reopened) and the error is answered (a
gateway that is down → 503 + Retry-After). The intent call is safe to repeat (one intent per order) and
retried; an intent whose answer never came is abandoned by order id (payments cancels whatever it made),
and reconciliation abandons what that could not reach. The order is written last, so no order is ever
pending without an intent.

The Idempotency-Key is the shopper's (meridian.idempotency, scope `orders:checkout:<user>`, or
`orders:checkout:cart:<cart>` for a guest): two shoppers may use the same key; the request body is what
must match on a repeat. An answer that is an error (a 409 with a new quote) is not kept: the same key
may try again.
"""
from __future__ import annotations

import datetime as _dt
import uuid
from decimal import Decimal

from meridian import fx, idempotency, shopper
from meridian.clock import iso, utcnow
from meridian.config import int_env
from meridian.errors import Conflict, ServiceUnavailable, Unprocessable
from meridian.observability import count, logger
from meridian.rates import RateSnapshot

from . import (
    carts,
    guest_links,
    payments_api,
    pricing,
    products_api,
    promotions,
    quoting,
    repository,
    state_machine,
    taxes,
)
from .models import CartModel, ShippingAddress
from .views import cart_view, order_view


class QuoteChanged(Conflict):
    """What the shopper would pay is not what they were last shown: here is the new quote (now shown)."""
    type_slug = "quote-changed"

    def __init__(self, quoted: quoting.CartQuote, reason: str):
        super().__init__(f"The cart changed since you last saw it ({reason}); check the new quote and order again.",
                         quote=cart_view(quoted), reason=reason)


def payment_window() -> _dt.timedelta:
    return _dt.timedelta(minutes=int_env("PAYMENT_EXPIRY_MINUTES", 30))


def _compensate(order_id: str, payment: dict | None, codes: list[str] = (), *, intent_asked: bool = False) -> None:
    """Undo what a checkout did. An intent asked for whose answer never came (a timeout, a 503) may exist all
    the same: payments is told to abandon the order's payment (it cancels whatever it made for the order);
    if that fails too, reconciliation abandons it once the order's payment window and a grace have passed."""
    if payment is not None or intent_asked:
        try:
            if payment is not None:
                payments_api.cancel(payment["id"])
            else:
                payments_api.abandon(order_id, retry=False)
        except payments_api.PaymentRefused as exc:    # it succeeded: the money is not dropped here
            count("CompensationFoundPaidIntent")
            logger.error("compensation: the payment of an order never stored succeeded",
                         extra={"order_id": order_id, "error": exc.detail})
        except Exception as exc:  # noqa: BLE001 - compensation is best effort; reconciliation and sweeps follow up
            logger.warning("compensation: could not cancel the payment", extra={"order_id": order_id,
                                                                               "error": str(exc)})
    try:
        products_api.release(order_id)
    except Exception as exc:  # noqa: BLE001 - the products sweep returns the stock when the hold expires
        logger.warning("compensation: could not release the reservation", extra={"order_id": order_id,
                                                                                 "error": str(exc)})
    promotions.give_back(codes, order_id=order_id)
    count("CheckoutsCompensated")


def _open_order(*, order_id: str, user_id: str, email: str | None, actor: str, currency: str,
                quote: pricing.Quote, snapshot: RateSnapshot, method, shipping_address: dict,
                **extra) -> dict:
    """Steps 4–5 of either checkout: the intent for the quote's total, then the order; the 201 body."""
    window = payment_window()
    payment = None
    try:
        payment = payments_api.create_intent(order_id=order_id, user_id=user_id, amount=quote.total,
                                             currency=currency, breakdown=pricing.breakdown(quote))
        now = utcnow()
        order = state_machine.place(
            reason="order placed", actor=actor,
            id=order_id, user_id=user_id, email=email, currency=currency,
            **pricing.order_fields(quote, snapshot, method),
            shipping_address=ShippingAddress(**shipping_address), reservation_id=order_id, payment_id=payment["id"],
            intent_id=payment["intent_id"], client_secret=payment["client_secret"], created_at=iso(now),
            updated_at=iso(now), expires_at=iso(now + window), **extra)
    except BaseException:
        _compensate(order_id, payment, [d.code for d in quote.discounts], intent_asked=True)
        raise
    count("OrdersPlaced", currency=currency)
    logger.info("order placed", extra={"order_id": order_id, "payment_id": payment["id"], "currency": currency})
    return order_view(order)


def _reserve(order_id: str, items: list[dict]) -> dict:
    """Hold the lines' stock (products); refused (409) holds nothing; a lost answer is compensated here."""
    try:
        return products_api.reserve(order_id, items, ttl_seconds=int(payment_window().total_seconds()) + 600)
    except ServiceUnavailable:
        _compensate(order_id, None)  # products may have reserved before its answer was lost
        raise


# ---------------------------------------------------------------------------- a cart
def place_cart_order_once(who, *, key: str | None, body, cart_id: str, cart_token: str | None) -> tuple[int, dict]:
    """Check the cart out once per (customer or cart, Idempotency-Key)."""
    scope = f"orders:checkout:{who.user_id}" if who is not None else f"orders:checkout:cart:{cart_id}"
    return idempotency.run_once(scope, key, body,
                                lambda: (201, place_cart_order(cart_id, who, cart_token)), required=True)


def _require_complete(cart: CartModel, quoted: quoting.CartQuote) -> None:
    missing = {}
    if not cart.lines:
        missing["items"] = ["The cart is empty."]
    if not cart.email:
        missing["email"] = ["An e-mail address is needed for the order (PATCH the cart)."]
    if cart.shipping_address is None:
        missing["shipping_address"] = ["Set a shipping address."]
    elif not quoted.offers:
        missing["shipping_address"] = [f"We do not ship this cart to {cart.shipping_address.country}."]
    elif quoted.method is None:
        missing["shipping_method"] = ["Choose a shipping method."]
    if missing:
        raise Unprocessable("The cart is not ready to order.", errors=missing)


def place_cart_order(cart_id: str, who, token: str | None) -> dict:
    cart = carts.find(cart_id, who, token)
    if cart.status != carts.OPEN:
        raise carts.CartClosed(cart)
    quoted = quoting.quote(cart)
    _require_complete(cart, quoted)
    if quoted.blocking or quoted.quote.digest() != cart.seen_digest:
        reason = quoted.blocking[0]["code"] if quoted.blocking else "the total changed"
        if quoting.remember_shown(cart, quoted):
            repository.save_cart(cart)
        count("CheckoutsRequoted")
        raise QuoteChanged(quoted, reason)

    order_id = str(uuid.uuid4())
    cart.status, cart.order_id = carts.ORDERED, order_id
    if not repository.save_cart(cart):
        raise Conflict("The cart changed while ordering; read it again.", headers={"Retry-After": "1"})
    quote, codes = quoted.quote, [d.code for d in quoted.quote.discounts]
    customer = quoting.customer_of(cart)
    try:
        reservation = _reserve(order_id, [{"product_id": line.product_id, "sku": line.sku, "quantity": line.quantity}
                                          for line in quote.lines])
    except BaseException:
        carts.reopen(cart)
        raise
    try:
        if any(_reserved_price(reservation["items"], line, cart.currency) != _quoted_price(line)
               for line in quote.lines):
            raise _PriceMoved()
        promotions.redeem(codes, order_id=order_id, customer=customer)
    except (_PriceMoved, promotions.PromotionRefused) as moved:
        _compensate(order_id, None)
        carts.reopen(cart)
        raise QuoteChanged(_requote(cart), "a price moved" if isinstance(moved, _PriceMoved) else moved.reason) \
            from None
    except BaseException:
        _compensate(order_id, None)
        carts.reopen(cart)
        raise
    try:
        placed = _open_order(order_id=order_id, user_id=who.user_id if who is not None else customer,
                             email=cart.email, actor=f"{who.role}:{who.user_id}" if who is not None else customer,
                             currency=cart.currency, quote=quote, snapshot=quoted.snapshot,
                             method=quoted.method.method if quoted.method else None,
                             shipping_address=cart.shipping_address.as_dict(), cart_id=cart.id, locale=cart.locale)
    except BaseException:
        carts.reopen(cart)
        raise
    if who is None:          # the guest's browser opens the order as the e-mail's link does
        placed["order_token"] = guest_links.token(order_id)
    return placed


class _PriceMoved(Exception):
    """A price changed between the quote and the reservation."""


def _quoted_price(line: pricing.PricedLine) -> tuple[Decimal, Decimal | None]:
    """(base unit price, fixed price or None) a line was quoted at."""
    return line.base_unit_price, line.unit_price if line.fixed else None


def _reserved_price(reserved: list[dict], line, currency: str) -> tuple[Decimal, Decimal | None] | None:
    """(base unit price, fixed price in `currency` or None) products reserved `line` at: the same product and SKU
    (a line without one is a product without variants, which products reports under the product's own SKU, if
    it has one)."""
    for item in reserved:
        if item["product_id"] == line.product_id and (
                line.sku is None or (item.get("sku") or "").upper() == line.sku.upper()):
            return (Decimal(str(item["unit_price"]["amount"])),
                    pricing.fixed_price_in(item.get("fixed_prices"), currency))
    return None


def _requote(cart: CartModel) -> quoting.CartQuote:
    fresh = repository.get_cart(cart.id) or cart
    quoted = quoting.quote(fresh)
    if quoting.remember_shown(fresh, quoted):
        repository.save_cart(fresh)
    return quoted


# ---------------------------------------------------------------------------- the items body
def place_order_once(who, *, key: str | None, body, order: dict, authorization: str | None) -> tuple[int, dict]:
    """Checkout once per (user, Idempotency-Key): (201, the order), or the first answer on a repeat."""
    email = (shopper.profile(authorization) or {}).get("email") or None
    actor = f"{who.role}:{who.user_id}"
    return idempotency.run_once(
        f"orders:checkout:{who.user_id}", key, body,
        lambda: (201, place_order(user_id=who.user_id, email=email, request=order, actor=actor)), required=True)


def place_order(*, user_id: str, email: str | None, request: dict, actor: str) -> dict:
    """Run the saga for a validated items body; the 201 body."""
    order_id = str(uuid.uuid4())
    currency = request["currency"]
    address = request["shipping_address"]
    reservation = _reserve(order_id, request["items"])
    try:
        snapshot = fx.snapshot()
        tax = taxes.engine().rates(address["country"], address.get("region"))
        lines = [pricing.line_input(str(n), item["product_id"], item.get("sku"), int(item["quantity"]), item, currency)
                 for n, item in enumerate(reservation["items"])]
        quote = pricing.price(lines, currency=currency, rate=quoting.rate_of(snapshot, currency), tax=tax,
                              rounding=snapshot.rounding(currency))
    except BaseException:
        _compensate(order_id, None)
        raise
    return _open_order(order_id=order_id, user_id=user_id, email=email, actor=actor, currency=currency, quote=quote,
                       snapshot=snapshot, method=None, shipping_address=address, locale=request.get("locale"))
