"""What the API answers about an order and about a cart."""
from __future__ import annotations

from decimal import Decimal

from meridian.money import BASE_CURRENCY, Money
from meridian.rates import rate_text

from .models import OrderModel
from .order_events import line_id
from .state_machine import PENDING_PAYMENT


def _money(amount: str | Decimal, currency: str) -> dict:
    return Money(Decimal(str(amount)), currency).to_json()


def _tax_lines(taxes, currency: str) -> list[dict]:
    return [{"name": t.name, "rate": rate_text(Decimal(str(t.rate))), "amount": _money(t.amount, currency)}
            for t in taxes]


def _method(offer_or_chosen, currency: str, amount: Decimal | str) -> dict:
    return {"id": offer_or_chosen.id, "name": offer_or_chosen.name, "amount": _money(amount, currency),
            "delivery": {"min_days": int(offer_or_chosen.min_days), "max_days": int(offer_or_chosen.max_days)}}


def shipment_view(shipment) -> dict:
    return {"id": shipment.id, "items": _lines(shipment.items), "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number, "tracking_url": shipment.tracking_url,
            "shipped_at": shipment.shipped_at, "actor": shipment.actor}


def refund_view(refund, currency: str) -> dict:
    return {"id": refund.id, "amount": _money(refund.amount, currency), "reason": refund.reason,
            "lines": _lines(refund.lines), "status": refund.status, "requested_at": refund.requested_at,
            "settled_at": refund.settled_at, "actor": refund.actor, "source": refund.source}


def _lines(lines) -> list[dict]:
    return [{"line_id": line.line_id, "quantity": int(line.quantity)} for line in lines or []]


def order_view(order: OrderModel) -> dict:
    pending = order.status == PENDING_PAYMENT
    # the payment window: until expires_at the shopper may try another card (a decline is last_error)
    payment = {"id": order.payment_id, "intent_id": order.intent_id,
               "expires_at": order.expires_at if pending else None, "last_error": order.last_payment_error}
    if order.status == PENDING_PAYMENT:
        payment["client_secret"] = order.client_secret
    currency = order.currency
    subtotal = order.subtotal if order.subtotal is not None else sum(
        (Decimal(line.line_total) for line in order.items), Decimal(0))
    view = {
        "id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "email": order.email,
        "version": int(order.version or 0),
        "fulfillment_status": order.fulfillment_status or "unfulfilled",
        "items": [{"line_id": line_id(line, n), "product_id": line.product_id, "sku": line.sku, "name": line.name,
                   "quantity": int(line.quantity),
                   "unit_price": _money(line.unit_price, currency),
                   "line_total": _money(line.line_total, currency),
                   "base_unit_price": _money(line.base_unit_price, BASE_CURRENCY)}
                  for n, line in enumerate(order.items)],
        "subtotal": _money(subtotal, currency),
        "discount_total": _money(order.discount_total or 0, currency),
        "shipping_total": _money(order.shipping_total or 0, currency),
        "tax_total": _money(order.tax_total or 0, currency),
        "total": _money(order.total, currency),
        "tax_included": bool(order.tax_included),
        "taxes": _tax_lines(order.taxes or [], currency),
        "shipping_method": (_method(order.shipping_method, currency, order.shipping_method.amount)
                            if order.shipping_method else None),
        "promotions": [{"code": p.code, "kind": p.kind, "amount": _money(p.amount, currency)}
                       for p in order.promotions or []],
        "base_total": _money(order.base_total, BASE_CURRENCY),
        "fx": {"rate": order.fx.rate, "as_of": order.fx.as_of, "source": order.fx.source,
               "snapshot_id": order.fx.snapshot_id, "stale": bool(order.fx.stale)},
        "payment": payment,
        "shipments": [shipment_view(s) for s in order.shipments or []],
        "refunds": [refund_view(r, currency) for r in order.refunds or []],
        "refunded_total": _money(order.refunded_total or 0, currency),
        "returns": [return_view(ret, order) for ret in order.returns or []],
        "shipping_address": {k: v for k, v in order.shipping_address.as_dict().items() if v is not None},
        "cart_id": order.cart_id,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "expires_at": order.expires_at if order.status == PENDING_PAYMENT else None,
    }
    view["history"] = [{"status": h.status, "at": h.at, "reason": h.reason, "actor": h.actor}
                       for h in (order.history or [])]
    return view


def return_view(ret, order: OrderModel) -> dict:
    """One return of the order (returns.py) with its lines (named as the order names them) and its steps."""
    lines = {line_id(line, n): line for n, line in enumerate(order.items)}
    currency = order.currency
    items = []
    for item in ret.items:
        line = lines.get(item.line_id)
        items.append({"line_id": item.line_id, "product_id": line.product_id if line else None,
                      "sku": line.sku if line else None, "name": line.name if line else None,
                      "quantity": int(item.quantity), "reason": item.reason,
                      "received": None if item.received is None else int(item.received),
                      "restock": item.restock})
    refund = ({"id": ret.refund_id, "amount": _money(ret.refund_amount, currency)} if ret.refund_id else None)
    return {"id": ret.id, "status": ret.status, "items": items, "note": ret.note,
            "requested_at": ret.requested_at, "requested_by": ret.requested_by, "updated_at": ret.updated_at,
            "rejected_reason": ret.rejected_reason, "restock_id": ret.restock_id, "refund": refund,
            "history": [{"status": step.status, "at": step.at, "actor": step.actor, "reason": step.reason}
                        for step in ret.history or []]}


def cart_view(quoted, *, cart_token: str | None = None) -> dict:
    """A cart as its live quote (quoting.CartQuote)."""
    cart, quote = quoted.cart, quoted.quote
    currency = cart.currency
    priced = {line.line_id: line for line in quote.lines}
    items = []
    for line in cart.lines:
        info, price = quoted.items.get(line.id) or {}, priced.get(line.id)
        items.append({"id": line.id, "product_id": line.product_id, "sku": line.sku, "quantity": int(line.quantity),
                      "name": info.get("name"), "available": int(info.get("available") or 0),
                      "tax_class": info.get("tax_class"),
                      "unit_price": _money(price.unit_price, currency) if price else None,
                      "line_total": _money(price.line_total, currency) if price else None})
    address = cart.shipping_address
    view = {
        "id": cart.id,
        "status": cart.status,
        "order_id": cart.order_id,
        "email": cart.email,
        "currency": currency,
        "locale": cart.locale,
        "items": items,
        "subtotal": _money(quote.subtotal, currency),
        "discount_total": _money(quote.discount_total, currency),
        "shipping_total": _money(quote.shipping_total, currency),
        "tax_total": _money(quote.tax_total, currency),
        "total": _money(quote.total, currency),
        "tax_included": quote.tax_included,
        "taxes": _tax_lines(quote.taxes, currency),
        "shipping_address": {k: v for k, v in address.as_dict().items() if v is not None} if address else None,
        "address_id": cart.address_id,
        "shipping_method": (_method(quoted.method.method, currency, quote.shipping_total)
                            if quoted.method else None),
        "promotions": [{"code": d.code, "kind": d.kind, "amount": _money(d.amount, currency)}
                       for d in quote.discounts],
        "fx": {"rate": rate_text(quote.rate), "as_of": quoted.snapshot.as_of,
               "source": quoted.snapshot.pair_source(BASE_CURRENCY, currency),
               "snapshot_id": quoted.snapshot.snapshot_id, "stale": quoted.snapshot.is_stale()},
        "warnings": quoted.warnings,
        "updated_at": cart.updated_at,
        "expires_at": cart.ttl,
    }
    if cart_token:
        view["cart_token"] = cart_token
    return view


def offers_view(quoted) -> dict:
    """The methods that ship the cart, priced as the cart would be charged for them."""
    from .pricing import unit_price

    cart, tax = quoted.cart, quoted.tax
    rate = quoted.quote.rate
    standard = tax.standard if tax.included else Decimal(0)
    return {"items": [_method(offer.method, cart.currency,
                              unit_price(offer.base_price, rate, cart.currency, tax_rate=standard))
                      for offer in quoted.offers]}


# ---------------------------------------------------------------------------- shipping, taxes, promotions (admin)
def _amount(value) -> str | None:
    return None if value is None else format(value, "f")


def zone_view(zone) -> dict:
    return {"id": zone.id, "name": zone.name, "countries": list(zone.countries), "updated_at": zone.updated_at,
            "methods": [{"id": m.id, "name": m.name, "rate_type": m.rate_type, "amount": _amount(m.amount),
                         "bands": [{"up_to": _amount(b.up_to), "amount": _amount(b.amount)} for b in m.bands],
                         "free_above": _amount(m.free_above), "min_days": int(m.min_days),
                         "max_days": int(m.max_days)} for m in zone.methods]}


def tax_rates_view(rates) -> dict:
    """A destination's rates as taxes.TaxRates holds them (what the catalog prices with)."""
    return {"country": rates.country, "region": rates.region, "name": rates.name,
            "standard": rate_text(rates.standard), "reduced": rate_text(rates.reduced), "included": rates.included}


def tax_rate_view(row) -> dict:
    return {"country": row.country, "region": row.region, "name": row.name, "standard": rate_text(row.standard),
            "reduced": rate_text(row.reduced), "included": bool(row.included), "updated_at": row.updated_at}


def promotion_view(promo) -> dict:
    from .promotions import per_currency

    return {"code": promo.code, "kind": promo.kind,
            "percent": None if promo.percent is None else rate_text(promo.percent),
            "amounts": per_currency(promo, "amounts"), "minimum_subtotal": per_currency(promo, "minimum_subtotal"),
            "starts_at": promo.starts_at, "ends_at": promo.ends_at,
            "usage_limit": None if promo.usage_limit is None else int(promo.usage_limit),
            "per_customer_limit": None if promo.per_customer_limit is None else int(promo.per_customer_limit),
            "combinable": bool(promo.combinable), "active": bool(promo.active), "redeemed": int(promo.redeemed or 0),
            "created_at": promo.created_at, "updated_at": promo.updated_at}
