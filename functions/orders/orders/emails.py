"""Order emails: queued when something happens to an order, sent by OrderEmailFunction through SES, each once
(a marker per order and kind).

    confirmation          the order is paid (payment_events.py)
    shipment:<id>         a parcel left: carrier, tracking number/link, what it holds (shipments.py)
    refund:<id>           money went back: how much, why (refunds.py, when the payment confirms)

English text for now (issue 16 translates the e-mails).
"""
from __future__ import annotations

import json
from decimal import Decimal

from meridian import aws
from meridian.clock import iso
from meridian.config import require_env
from meridian.observability import count, logger
from meridian.validation import has_control_characters

from . import guest_links, repository
from .models import OrderModel
from .repository import GUEST_PREFIX
from .views import order_view

CONFIRMATION = "confirmation"


SHIPMENT, REFUND = "shipment", "refund"


def shipment_kind(shipment_id: str) -> str:
    return f"{SHIPMENT}:{shipment_id}"


def refund_kind(refund_id: str) -> str:
    return f"{REFUND}:{refund_id}"


def queue(order_id: str, kind: str) -> None:
    """Queue one e-mail of the order. The change it announces is written already: a queue that refuses loses
    the e-mail (logged, counted as OrderEmailsUnqueued), never the change."""
    try:
        aws.client("sqs").send_message(QueueUrl=require_env("ORDER_EMAIL_QUEUE_URL"),
                                       MessageBody=json.dumps({"order_id": order_id, "kind": kind}))
    except Exception as exc:  # noqa: BLE001 - see above
        count("OrderEmailsUnqueued")
        logger.error("order email not queued", extra={"order_id": order_id, "kind": kind, "error": str(exc)})


def queue_confirmation(order: OrderModel) -> None:
    aws.client("sqs").send_message(QueueUrl=require_env("ORDER_EMAIL_QUEUE_URL"),
                                   MessageBody=json.dumps({"order_id": order.id, "kind": CONFIRMATION}))


def _one_line(text: object) -> str:
    """What a customer typed, as one line of the e-mail: control characters (CR, LF, NUL…) become spaces, so
    no input can start a paragraph of its own (schemas refuse them already; stored orders may predate that)."""
    return "".join(" " if has_control_characters(ch) else ch for ch in str(text or "")).strip()


def confirmation_text(order: OrderModel) -> tuple[str, str]:
    """The order's lines and every figure of its total, as the order and its payment show them."""
    view = order_view(order)

    def money(figure: dict) -> str:
        return f"{figure['amount']} {figure['currency']}"

    lines = [f"Thank you for your order {order.id}.", "", "Items:"]
    for line in view["items"]:
        lines.append(f"  {line['quantity']} × {_one_line(line['name'] or line['product_id'])}  "
                     f"{money(line['unit_price'])}  {money(line['line_total'])}")
    lines += ["", f"Subtotal: {money(view['subtotal'])}"]
    for promo in view["promotions"]:
        lines.append(f"Discount {_one_line(promo['code'])}: -{money(promo['amount'])}")
    if view["shipping_method"]:
        lines.append(f"Shipping ({_one_line(view['shipping_method']['name'])}): {money(view['shipping_total'])}")
    for tax in view["taxes"]:
        percent = format(Decimal(tax["rate"]) * 100, "f").rstrip("0").rstrip(".")
        kind = "included" if view["tax_included"] else "added"
        lines.append(f"{_one_line(tax['name'])} {percent} % ({kind}): {money(tax['amount'])}")
    address = order.shipping_address
    lines += [f"Total paid: {money(view['total'])}", "",
              f"Ship to: {_one_line(address.name)}, {_one_line(address.city)}, {_one_line(address.country)}"]
    if order.user_id.startswith(GUEST_PREFIX):
        lines += ["", f"See your order: {guest_links.link(order.id)}"]
    return f"Your Meridian order {order.id[:8]} is confirmed", "\n".join(lines)


def _items(view: dict, quantities: dict[str, int]) -> list[str]:
    names = {line["line_id"]: _one_line(line["name"] or line["product_id"]) for line in view["items"]}
    return [f"  {quantity} × {names.get(line, line)}" for line, quantity in quantities.items()]


def shipment_text(order: OrderModel, shipment_id: str) -> tuple[str, str] | None:
    """What shipped in one parcel, how to follow it, and what is still to come."""
    view = order_view(order)
    shipment = next((s for s in view["shipments"] if s["id"] == shipment_id), None)
    if shipment is None:
        return None
    lines = [f"Good news: items of your order {order.id} are on their way.", ""]
    if shipment["carrier"]:
        lines.append(f"Carrier: {_one_line(shipment['carrier'])}")
    if shipment["tracking_number"]:
        lines.append(f"Tracking number: {_one_line(shipment['tracking_number'])}")
    if shipment["tracking_url"]:
        lines.append(f"Track it: {_one_line(shipment['tracking_url'])}")
    lines += ["", "In this parcel:", *_items(view, {i["line_id"]: i["quantity"] for i in shipment["items"]})]
    shipped: dict[str, int] = {}          # up to this parcel (a later one is an e-mail of its own)
    for parcel in view["shipments"]:
        for item in parcel["items"]:
            shipped[item["line_id"]] = shipped.get(item["line_id"], 0) + item["quantity"]
        if parcel["id"] == shipment_id:
            break
    to_come = {line["line_id"]: line["quantity"] - shipped.get(line["line_id"], 0) for line in view["items"]}
    to_come = {line: quantity for line, quantity in to_come.items() if quantity > 0}
    if to_come:
        lines += ["", "Still to come:", *_items(view, to_come)]
    if order.user_id.startswith(GUEST_PREFIX):
        lines += ["", f"See your order: {guest_links.link(order.id)}"]
    return f"Your Meridian order {order.id[:8]} has shipped", "\n".join(lines)


def refund_text(order: OrderModel, refund_id: str) -> tuple[str, str] | None:
    view = order_view(order)
    refund = next((r for r in view["refunds"] if r["id"] == refund_id), None)
    if refund is None:
        return None
    amount = f"{refund['amount']['amount']} {refund['amount']['currency']}"
    lines = [f"We refunded {amount} of your order {order.id} to the card you paid with.",
             f"Reason: {_one_line(refund['reason'])}", "",
             f"Refunded so far: {view['refunded_total']['amount']} {view['refunded_total']['currency']} "
             f"of {view['total']['amount']} {view['total']['currency']}.",
             "It may take a few days to show on your statement."]
    if order.user_id.startswith(GUEST_PREFIX):
        lines += ["", f"See your order: {guest_links.link(order.id)}"]
    return f"Your Meridian order {order.id[:8]}: {amount} refunded", "\n".join(lines)


def _text(order: OrderModel, kind: str) -> tuple[str, str] | None:
    name, _, about = kind.partition(":")
    if name == SHIPMENT:
        return shipment_text(order, about)
    if name == REFUND:
        return refund_text(order, about)
    return confirmation_text(order)


def send(order_id: str, kind: str) -> str:
    """Send one order email unless it was sent before; returns sent | skipped | duplicate."""
    name, _, about = kind.partition(":")
    if not (kind == CONFIRMATION or (name in (SHIPMENT, REFUND) and about)):
        raise ValueError(f"unknown order email {kind!r}")
    if repository.email_sent(order_id, kind):
        return "duplicate"
    order = repository.get(order_id)
    if not order.email:
        logger.warning("order has no email address; email not sent", extra={"order_id": order_id, "kind": kind})
        count("OrderEmailsSkipped")
        return "skipped"
    written = _text(order, kind)
    if written is None:
        logger.warning("order email about something the order does not hold", extra={"order_id": order_id,
                                                                                     "kind": kind})
        count("OrderEmailsSkipped")
        return "skipped"
    subject, text = written
    response = aws.client("ses").send_email(Source=require_env("EMAIL_SENDER"),
                                            Destination={"ToAddresses": [order.email]},
                                            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                                                     "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}})
    repository.mark_email_sent(order_id, kind, at=iso(), message_id=response.get("MessageId"))
    count("OrderEmailsSent")
    return "sent"
