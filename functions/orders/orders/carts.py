"""Carts: what a shopper is about to buy. Every answer about a cart is its live quote (quoting.py).

Whose cart: a customer's through their access token (one open cart each); a guest's through the secret
`Cart-Token` handed out when it was made (only its SHA-256 is stored). Anyone else gets 404, as for a cart
that does not exist. A cart idle for CART_IDLE_HOURS (default 720) is gone (404; DynamoDB's TTL deletes it).

Every change is read → change → quote → ONE conditional write on the cart's version, retried when another
request changed the cart in between; the quote's figures are written with the change, as what the shopper
was last shown (checkout compares against them).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable

from meridian.clock import iso
from meridian.config import int_env
from meridian.errors import Conflict, NotFound, Unprocessable
from meridian.observability import count, logger

from . import products_api, promotions, quoting, repository, users_api
from .models import CartLine, CartModel, ShippingAddress
from .schemas import MAX_LINES, MAX_QUANTITY

OPEN, ORDERED, MERGED = "open", "ordered", "merged"
SAVE_ATTEMPTS = 4


class CartClosed(Conflict):
    type_slug = "cart-closed"

    def __init__(self, cart: CartModel):
        super().__init__(f"This cart is {cart.status}; start a new one.", cart_id=cart.id, order_id=cart.order_id)


class InsufficientStock(Conflict):
    type_slug = "insufficient-stock"


def idle_seconds() -> int:
    return int_env("CART_IDLE_HOURS", 720) * 3600


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------------------- whose cart
def find(cart_id: str, who, token: str | None) -> CartModel:
    """The cart when the caller may see it: its customer (or an admin), or whoever holds its token; 404 otherwise."""
    cart = repository.get_cart(cart_id)
    if cart is None or cart.ttl < time.time():
        raise NotFound("No such cart.")
    if cart.owner is not None and who is not None and who.may_see(cart.owner):
        return cart
    if cart.owner is None and token and cart.token_hash and hmac.compare_digest(_digest(token), cart.token_hash):
        return cart
    raise NotFound("No such cart.")


def reopen(cart: CartModel) -> None:
    """Give an order's cart back to its shopper: the checkout did not happen, or its payment failed (the
    shopper tries again, another card, from the same cart)."""
    cart.status, cart.order_id = OPEN, None
    if not repository.save_cart(cart):
        logger.warning("could not reopen the cart of an order that was not paid", extra={"cart_id": cart.id})


def reopen_for(order) -> None:
    """The cart an unpaid order came from, open again (unless the shopper moved on from it)."""
    cart = repository.get_cart(order.cart_id) if order.cart_id else None
    if cart is not None and cart.status == ORDERED and cart.order_id == order.id:
        reopen(cart)


def touch(cart: CartModel) -> None:
    cart.updated_at = iso()
    cart.ttl = int(time.time()) + idle_seconds()


# ---------------------------------------------------------------------------- the one way a cart changes
def change(cart_id: str, who, token: str | None, edit: Callable[[CartModel], None]) -> quoting.CartQuote:
    """Apply `edit` to the open cart, quote it, and write both at once (retried on a concurrent change)."""
    for _ in range(SAVE_ATTEMPTS):
        cart = find(cart_id, who, token)
        if cart.status != OPEN:
            raise CartClosed(cart)
        edit(cart)
        touch(cart)
        quoted = quoting.quote(cart)
        quoting.remember_shown(cart, quoted)
        if repository.save_cart(cart):
            return quoted
    raise Conflict("The cart is being changed by another request; read it again.", headers={"Retry-After": "1"})


def show(cart_id: str, who, token: str | None) -> quoting.CartQuote:
    """The cart's live quote; what it shows is remembered as what the shopper saw (a lost race is no error:
    the other request remembered a quote of its own)."""
    cart = find(cart_id, who, token)
    quoted = quoting.quote(cart)
    if cart.status == OPEN and quoting.remember_shown(cart, quoted):
        repository.save_cart(cart)
    return quoted


# ---------------------------------------------------------------------------- making one
def create(who, *, currency: str, locale: str, email: str | None) -> tuple[int, CartModel, str | None]:
    """(201, a new cart, its token for a guest) — or (200, the customer's open cart, None) when they have one."""
    if who is not None:
        existing = repository.open_cart_of(who.user_id)
        if existing is not None and existing.ttl >= time.time():
            return 200, existing, None
    token = None if who is not None else secrets.token_urlsafe(32)
    now = iso()
    cart = CartModel(CartModel.key(cart_id := str(uuid.uuid4())), "CART", id=cart_id,
                     owner=who.user_id if who else None, token_hash=_digest(token) if token else None, status=OPEN,
                     email=email or (who.email if who else None), currency=currency, locale=locale, lines=[],
                     promotion_codes=[], created_at=now, updated_at=now, ttl=0)
    touch(cart)
    quoting.remember_shown(cart, quoting.quote(cart))
    repository.save_cart(cart)
    count("CartsCreated", guest=str(who is None).lower())
    return 201, cart, token


# ---------------------------------------------------------------------------- lines
def _priced_item(product_id: str, sku: str | None, locale: str) -> dict:
    """The products service's answer for one line; 422 naming `product_id` or `sku` when there is no such
    product or SKU (or the product comes in variants and no SKU was chosen), 409 when it is not for sale."""
    info = products_api.quote([{"product_id": product_id, "sku": sku}], locale)[0]
    if not info.get("found"):
        missing = info.get("missing")
        if missing == "sku_required":
            raise Unprocessable("Choose a variant.", errors={"sku": ["This product comes in variants: send its SKU."]})
        if missing == "sku":
            raise Unprocessable("No such SKU.", errors={"sku": [f"Product {product_id} has no SKU {sku!r}."]})
        raise Unprocessable("No such product.", errors={"product_id": [f"No product {product_id}."]})
    if not info.get("for_sale"):
        raise Conflict("This product is not for sale.", errors={"product_id": ["Not for sale."]},
                       product_id=product_id)
    return info


def _check_quantity(quantity: int, info: dict) -> None:
    if quantity > MAX_QUANTITY:
        raise Unprocessable("Too many units.", errors={"quantity": [f"At most {MAX_QUANTITY} units per line."]})
    available = int(info.get("available") or 0)
    if quantity > available:
        raise InsufficientStock(f"Only {available} left.", errors={"quantity": [f"Only {available} available."]},
                                product_id=info["product_id"], sku=info.get("sku"), requested=quantity,
                                available=available)


def _line(cart: CartModel, line_id: str) -> CartLine:
    for line in cart.lines:
        if line.id == line_id:
            return line
    raise NotFound("No such line in this cart.")


def add_item(product_id: str, sku: str | None, quantity: int) -> Callable[[CartModel], None]:
    def edit(cart: CartModel) -> None:
        info = _priced_item(product_id, sku, cart.locale)
        same = next((line for line in cart.lines if line.product_id == product_id and line.sku == sku), None)
        _check_quantity(quantity + (int(same.quantity) if same else 0), info)
        if same is not None:
            same.quantity = int(same.quantity) + quantity
        elif len(cart.lines) >= MAX_LINES:
            raise Unprocessable("The cart is full.", errors={"product_id": [f"At most {MAX_LINES} lines per cart."]})
        else:
            cart.lines.append(CartLine(id=uuid.uuid4().hex[:12], product_id=product_id, sku=sku, quantity=quantity))
    return edit


def set_quantity(line_id: str, quantity: int) -> Callable[[CartModel], None]:
    def edit(cart: CartModel) -> None:
        line = _line(cart, line_id)
        _check_quantity(quantity, _priced_item(line.product_id, line.sku, cart.locale))
        line.quantity = quantity
    return edit


def remove_item(line_id: str) -> Callable[[CartModel], None]:
    def edit(cart: CartModel) -> None:
        gone = _line(cart, line_id)
        cart.lines = [line for line in cart.lines if line.id != gone.id]
    return edit


# ---------------------------------------------------------------------------- address, shipping, codes, details
def set_address(address: dict | None, address_id: str | None, authorization: str | None) -> Callable:
    def edit(cart: CartModel) -> None:
        chosen = address
        if address_id is not None:
            if not authorization:
                raise Unprocessable("Sign in to use a saved address.",
                                    errors={"address_id": ["Saved addresses need a signed-in customer."]})
            saved = users_api.saved_address(address_id, authorization)
            chosen = {name: saved.get(name) for name in ShippingAddress.get_attributes()}
        cart.shipping_address = ShippingAddress(**chosen)
        cart.address_id = address_id
        if cart.shipping_method_id and not any(o.method.id == cart.shipping_method_id
                                               for o in quoting.shipping_offers(cart)):
            cart.shipping_method_id = None
    return edit


def set_shipping_method(method_id: str) -> Callable[[CartModel], None]:
    def edit(cart: CartModel) -> None:
        if cart.shipping_address is None:
            raise Unprocessable("Set a shipping address first.",
                                errors={"shipping_address": ["Needed before a shipping method."]})
        if not any(o.method.id == method_id for o in quoting.shipping_offers(cart)):
            raise Unprocessable("This method does not ship this cart to its address.",
                                errors={"method_id": [f"{method_id!r} is not a method for this address and cart."]})
        cart.shipping_method_id = method_id
    return edit


def add_code(raw_code: str) -> Callable[[CartModel], None]:
    code = promotions.normalise(raw_code)

    def edit(cart: CartModel) -> None:
        if code in cart.promotion_codes:
            return
        promo = repository.promotion(code)
        if promo is None:
            raise Unprocessable("Unknown code.", errors={"code": [f"There is no code {code!r}."]})
        reason = promotions.why_not(promo, currency=cart.currency, subtotal=quoting.quote(cart).quote.subtotal,
                                    customer=quoting.customer_of(cart))
        others = [p for p in map(repository.promotion, cart.promotion_codes) if p is not None]
        reason = reason or promotions.combination_refused([*others, promo])
        if reason:
            raise promotions.PromotionRefused(code, reason)
        cart.promotion_codes.append(code)
    return edit


def remove_code(raw_code: str) -> Callable[[CartModel], None]:
    code = promotions.normalise(raw_code)

    def edit(cart: CartModel) -> None:
        if code not in cart.promotion_codes:
            raise NotFound(f"Code {code} is not on this cart.")
        cart.promotion_codes = [c for c in cart.promotion_codes if c != code]
    return edit


def set_details(email: str | None, currency: str | None, locale: str | None) -> Callable[[CartModel], None]:
    def edit(cart: CartModel) -> None:
        cart.email = email or cart.email
        cart.currency = currency or cart.currency
        cart.locale = locale or cart.locale
    return edit


# ---------------------------------------------------------------------------- a guest cart joins the customer's
def merge(guest_cart_id: str, token: str | None) -> Callable[[CartModel], None]:
    """The guest cart's lines go into the customer's cart: quantities added, capped by stock. The customer's
    cart records the guest cart it took in (`merged_carts`, in the same write as the lines), so a repeat
    merges nothing twice; close_merged() then closes the guest cart."""
    def edit(cart: CartModel) -> None:
        guest = find(guest_cart_id, None, token)
        if guest.id == cart.id or guest.status != OPEN or guest.id in cart.merged_carts:
            return
        infos = products_api.quote([{"product_id": line.product_id, "sku": line.sku} for line in guest.lines],
                                   cart.locale) if guest.lines else []
        for line, info in zip(guest.lines, infos, strict=True):
            if not info.get("found") or not info.get("for_sale"):
                continue
            same = next((mine for mine in cart.lines if mine.product_id == line.product_id and mine.sku == line.sku),
                        None)
            wanted = int(line.quantity) + (int(same.quantity) if same else 0)
            quantity = min(wanted, int(info.get("available") or 0), MAX_QUANTITY)
            if same is not None:
                same.quantity = max(quantity, int(same.quantity))
            elif quantity > 0 and len(cart.lines) < MAX_LINES:
                cart.lines.append(CartLine(id=line.id, product_id=line.product_id, sku=line.sku, quantity=quantity))
        cart.promotion_codes = cart.promotion_codes or list(guest.promotion_codes)
        if cart.shipping_address is None and guest.shipping_address is not None:
            cart.shipping_address, cart.shipping_method_id = guest.shipping_address, guest.shipping_method_id
        cart.email = cart.email or guest.email
        cart.merged_carts.append(guest.id)
        count("CartsMerged")
    return edit


def close_merged(guest_cart_id: str, token: str | None) -> None:
    """Close a guest cart whose lines went into a customer's cart (its token no longer buys anything)."""
    for _ in range(SAVE_ATTEMPTS):
        guest = find(guest_cart_id, None, token)
        if guest.status != OPEN:
            return
        guest.status = MERGED
        touch(guest)
        if repository.save_cart(guest):
            return


__all__ = ["OPEN", "ORDERED", "MERGED", "CartClosed", "InsufficientStock", "change", "create", "find", "show",
           "close_merged", "merge"]
