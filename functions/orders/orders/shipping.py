"""Shipping: which methods ship to an address and what each costs (net, base currency).

A zone is a list of countries with its methods (standard, express…). A method's rate is
  flat      one amount;
  weight    bands by the cart's total weight in grams: the first band whose `up_to` is ≥ the weight
            (a band without `up_to` takes any weight);
  subtotal  bands by the lines' catalog value in the base currency, the same way;
and it is free when that catalog value reaches `free_above`. A cart whose weight or value is beyond every
band cannot use the method. Amounts are net base-currency amounts, converted and taxed like prices
(pricing.py). Delivery estimate: min_days–max_days business days.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from meridian.clock import iso
from meridian.errors import Conflict

from . import repository
from .models import RateBand, ShippingMethodAttribute, ShippingZoneModel

FLAT, WEIGHT, SUBTOTAL = "flat", "weight", "subtotal"
RATE_TYPES = (FLAT, WEIGHT, SUBTOTAL)


@dataclass(frozen=True)
class MethodOffer:
    """A method that ships to the cart, with its net base-currency price for it."""
    zone: ShippingZoneModel
    method: ShippingMethodAttribute
    base_price: Decimal


def base_price(method: ShippingMethodAttribute, *, weight_grams: int, base_subtotal: Decimal) -> Decimal | None:
    """The method's net price for a cart of that weight and catalog value; None when it does not take it."""
    if method.free_above is not None and base_subtotal >= method.free_above:
        return Decimal(0)
    if method.rate_type == FLAT:
        return method.amount
    measure = Decimal(weight_grams) if method.rate_type == WEIGHT else base_subtotal
    for band in method.bands:
        if band.up_to is None or measure <= band.up_to:
            return band.amount
    return None


def offers(country: str | None, *, weight_grams: int, base_subtotal: Decimal) -> list[MethodOffer]:
    """Every method that ships to `country` and takes this cart, cheapest first."""
    if not country:
        return []
    found = []
    for zone in repository.shipping_zones():
        if country not in zone.countries:
            continue
        for method in zone.methods:
            price = base_price(method, weight_grams=weight_grams, base_subtotal=base_subtotal)
            if price is not None:
                found.append(MethodOffer(zone, method, price))
    return sorted(found, key=lambda offer: (offer.base_price, offer.method.max_days, offer.method.name))


# ---------------------------------------------------------------------------- managing zones (admin)
def save_zone(data: dict, zone_id: str | None = None) -> ShippingZoneModel:
    """Create (zone_id None) or replace a zone from a validated ShippingZoneSchema body."""
    zone = repository.shipping_zone(zone_id) if zone_id else ShippingZoneModel(id=str(uuid.uuid4()))
    taken = {m.id for z in repository.shipping_zones() if z.id != zone.id for m in z.methods}
    clash = sorted(taken & {m["id"] for m in data["methods"]})
    if clash:
        raise Conflict("Method ids are unique across zones.",
                       errors={"methods": [f"{clash[0]!r} is used by another zone."]})
    zone.name, zone.countries, zone.updated_at = data["name"], sorted(set(data["countries"])), iso()
    zone.methods = [ShippingMethodAttribute(
        id=m["id"], name=m["name"], rate_type=m["rate_type"], amount=m.get("amount"),
        bands=[RateBand(up_to=b.get("up_to"), amount=b["amount"]) for b in m.get("bands") or []],
        free_above=m.get("free_above"), min_days=m["min_days"], max_days=m["max_days"]) for m in data["methods"]]
    repository.save_shipping_zone(zone)
    return zone
