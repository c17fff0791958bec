"""Shipping an order in parts: what may ship, what a shipment records, and where it moves the order.

A shipment names lines of the order (`line_id`) with how many of each left in the parcel, its carrier and
tracking number (and link). It ships only what is left: per line, the ordered quantity less what earlier
shipments held (400 naming `items.<n>.line_id` / `items.<n>.quantity` otherwise). An order ships while it
is paid, partially_fulfilled or partially_refunded with something left to ship; anything else is the state
machine's 409 (a refunded, cancelled, fulfilled or unpaid order ships nothing).

The shipment is appended to the order's `shipments`, with the order's `fulfillment_status` (partially_fulfilled,
or fulfilled once nothing is left), in the same conditional write (state_machine.py): a paid or
partially_fulfilled order moves to that status (a second partial shipment is a note, event
order.partially_fulfilled); a partially_refunded order keeps its status (money outranks shipping) and the
write is a note with event order.partially_fulfilled / order.fulfilled. The event's data is the shipment.
Then the shopper's shipment e-mail is queued (emails.py: one per shipment, sent once).

POST /orders/{id}/fulfil is "ship everything left" (everything_left()).
"""
from __future__ import annotations

import uuid

from meridian.audit import describe
from meridian.clock import iso
from meridian.errors import ValidationFailed
from meridian.observability import count

from . import emails, repository
from .models import OrderModel, ShipmentAttribute, ShippedLine
from .order_events import line_id
from .state_machine import (
    FULFILLED,
    PAID,
    PARTIALLY_FULFILLED,
    PARTIALLY_REFUNDED,
    MoveRefused,
    move,
    note,
)
from .views import order_view, shipment_view

SHIPPABLE = (PAID, PARTIALLY_FULFILLED, PARTIALLY_REFUNDED)


class NothingLeftToShip(MoveRefused):
    def __init__(self, order: OrderModel):
        super().__init__(order.id, order.status, FULFILLED)
        self.detail = "Everything of this order has shipped."


def left_to_ship(order: OrderModel) -> dict[str, int]:
    """Per line (by line_id, in the order's order): how many are not shipped yet."""
    shipped: dict[str, int] = {}
    for shipment in order.shipments or []:
        for item in shipment.items or []:
            shipped[item.line_id] = shipped.get(item.line_id, 0) + int(item.quantity)
    return {line_id(line, n): int(line.quantity) - shipped.get(line_id(line, n), 0)
            for n, line in enumerate(order.items)}


def everything_left(order: OrderModel) -> list[dict]:
    return [{"line_id": name, "quantity": quantity} for name, quantity in left_to_ship(order).items() if quantity > 0]


def _checked_items(order: OrderModel, items: list[dict], left: dict[str, int]) -> list[ShippedLine]:
    checked, seen = [], set()
    for n, item in enumerate(items):
        name, quantity = str(item["line_id"]), int(item["quantity"])
        if name not in left:
            raise ValidationFailed({f"items.{n}.line_id": ["No such line on this order."]})
        if name in seen:
            raise ValidationFailed({f"items.{n}.line_id": ["Each line may appear once; add up the quantities."]})
        if not 1 <= quantity <= left[name]:
            raise ValidationFailed({f"items.{n}.quantity": [f"From 1 to {left[name]} (what is left to ship of "
                                                           "this line)."]})
        seen.add(name)
        checked.append(ShippedLine(line_id=name, quantity=quantity))
    return checked


def ship(order: OrderModel, *, items: list[dict] | None, carrier: str | None, tracking_number: str | None,
         tracking_url: str | None = None, actor: str) -> dict:
    """Record one shipment of `items` (None: everything left) and move the order (see the module's
    docstring); the shipment as listed on the order (`order` is updated in place)."""
    left = left_to_ship(order)
    if order.status not in SHIPPABLE:
        raise MoveRefused(order.id, order.status, FULFILLED)
    if not any(left.values()):
        raise NothingLeftToShip(order)
    shipped = _checked_items(order, everything_left(order) if items is None else items, left)
    for item in shipped:
        left[item.line_id] -= int(item.quantity)
    fulfillment = PARTIALLY_FULFILLED if any(left.values()) else FULFILLED
    shipment = ShipmentAttribute(id=str(uuid.uuid4()), items=shipped, carrier=carrier,
                                 tracking_number=tracking_number, tracking_url=tracking_url, shipped_at=iso(),
                                 actor=actor)
    how = " ".join(part for part in (carrier, tracking_number) if part)
    reason = fulfillment.replace("_", " ") + (f" ({how})" if how else "")
    data = shipment_view(shipment)
    extra = {"changes": {"fulfillment_status": fulfillment}, "appends": {"shipments": [shipment]}, "data": data}
    if order.status == PARTIALLY_REFUNDED or order.status == fulfillment:
        note(order, reason=reason, actor=actor, event=f"order.{fulfillment}", **extra)
    else:
        move(order, fulfillment, reason=reason, actor=actor, **extra)
    count("OrderShipments", fulfillment=fulfillment)
    emails.queue(order.id, emails.shipment_kind(shipment.id))
    return data


def ship_by_admin(order_id: str, who, *, items: list[dict] | None, carrier: str | None,
                  tracking_number: str | None, tracking_url: str | None = None) -> dict:
    """An admin's shipment (audited): the order as it is after it."""
    order = repository.get(order_id)
    before = {"status": order.status, "fulfillment_status": order.fulfillment_status or "unfulfilled"}
    shipment = ship(order, items=items, carrier=carrier, tracking_number=tracking_number, tracking_url=tracking_url,
                    actor=f"{who.role}:{who.user_id}")
    describe(action=f"order.{order.fulfillment_status}", target=f"order:{order.id}", before=before,
             after={"status": order.status, "fulfillment_status": order.fulfillment_status,
                    "reason": order.history[-1].reason, "shipment": shipment})
    return order_view(order)
