"""Order emails: queued when something happens to an order, sent by OrderEmailFunction through SES, each once
(a marker per order and kind).

    confirmation          the order is paid (payment_events.py)
    shipment:<id>         a parcel left: carrier, tracking number/link, what it holds (shipments.py)
    refund:<id>           money went back: how much, why (refunds.py, when the payment confirms)

Each is written by the layer's `meridian.mail` (HTML and text) in the locale the order was placed in (stored at
checkout; its fallback chain, then English), money and dates as that locale writes them, with a link to the order's
storefront page (a guest's signed with its token, guest_links.py).
"""
from __future__ import annotations

import json

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


def _common(order: OrderModel, locale: str) -> dict:
    from meridian import mail

    token = guest_links.token(order.id) if order.user_id.startswith(GUEST_PREFIX) else None
    return {"number": order.id[:8], "order_id": order.id,
            "link": mail.link(mail.PAGES["order"].format(order_id=order.id), token=token, locale=locale)}


def confirmation_values(order: OrderModel, locale: str) -> dict:
    """The order's lines and every figure of its total, as the order and its payment show them."""
    from meridian import mail

    view = order_view(order)

    def money(figure: dict) -> str:
        return mail.money(figure["amount"], figure["currency"], locale)

    address = order.shipping_address
    method = view["shipping_method"]
    return {
        **_common(order, locale),
        "date": mail.date(order.created_at, locale),
        "items": [{"quantity": line["quantity"], "name": _one_line(line["name"] or line["product_id"]),
                   "unit_price": money(line["unit_price"]), "line_total": money(line["line_total"])}
                  for line in view["items"]],
        "subtotal": money(view["subtotal"]),
        "discounts": [{"code": _one_line(p["code"]), "amount": money(p["amount"])} for p in view["promotions"]],
        "shipping": ({"method": _one_line(method["name"]), "amount": money(view["shipping_total"])}
                     if method else None),
        "taxes": [{"name": _one_line(tax["name"]), "rate": mail.percent(tax["rate"], locale),
                   "amount": money(tax["amount"]), "included": bool(view["tax_included"])} for tax in view["taxes"]],
        "total": money(view["total"]),
        "ship_to": ", ".join(_one_line(part) for part in (address.name, address.city, address.country)),
    }


def _items(view: dict, quantities: dict[str, int]) -> list[dict]:
    names = {line["line_id"]: _one_line(line["name"] or line["product_id"]) for line in view["items"]}
    return [{"quantity": quantity, "name": names.get(line, line)} for line, quantity in quantities.items()]


def shipment_values(order: OrderModel, shipment_id: str, locale: str) -> dict | None:
    """What shipped in one parcel, how to follow it, and what is still to come."""
    view = order_view(order)
    shipment = next((s for s in view["shipments"] if s["id"] == shipment_id), None)
    if shipment is None:
        return None
    shipped: dict[str, int] = {}          # up to this parcel (a later one is an e-mail of its own)
    for parcel in view["shipments"]:
        for item in parcel["items"]:
            shipped[item["line_id"]] = shipped.get(item["line_id"], 0) + item["quantity"]
        if parcel["id"] == shipment_id:
            break
    to_come = {line["line_id"]: line["quantity"] - shipped.get(line["line_id"], 0) for line in view["items"]}
    tracking_url = _one_line(shipment["tracking_url"])
    return {
        **_common(order, locale),
        "carrier": _one_line(shipment["carrier"]),
        "tracking_number": _one_line(shipment["tracking_number"]),
        # a link only to a web page (the schema asks for one; never javascript: or the like in an href)
        "tracking_url": tracking_url if tracking_url.lower().startswith(("https://", "http://")) else "",
        "parcel": _items(view, {i["line_id"]: i["quantity"] for i in shipment["items"]}),
        "to_come": _items(view, {line: quantity for line, quantity in to_come.items() if quantity > 0}),
    }


def refund_values(order: OrderModel, refund_id: str, locale: str) -> dict | None:
    from meridian import mail

    view = order_view(order)
    refund = next((r for r in view["refunds"] if r["id"] == refund_id), None)
    if refund is None:
        return None

    def money(figure: dict) -> str:
        return mail.money(figure["amount"], figure["currency"], locale)

    return {**_common(order, locale), "amount": money(refund["amount"]), "reason": _one_line(refund["reason"]),
            "refunded": money(view["refunded_total"]), "total": money(view["total"])}


def render(order: OrderModel, kind: str):
    """The e-mail `kind` of the order (meridian.mail.Email) in the order's locale; None when the order does not
    hold what it is about."""
    from meridian import mail  # Jinja2 and Babel load in the e-mail function only

    locale = mail.resolve(order.locale)
    name, _, about = kind.partition(":")
    if name == SHIPMENT:
        template, values = "order_shipment", shipment_values(order, about, locale)
    elif name == REFUND:
        template, values = "order_refund", refund_values(order, about, locale)
    else:
        template, values = "order_confirmation", confirmation_values(order, locale)
    if values is None:
        return None
    return mail.render(template, to=order.email, locale=locale, values=values)


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
    email = render(order, kind)
    if email is None:
        logger.warning("order email about something the order does not hold", extra={"order_id": order_id,
                                                                                     "kind": kind})
        count("OrderEmailsSkipped")
        return "skipped"
    from meridian import mail

    message_id = mail.send(email)
    repository.mark_email_sent(order_id, kind, at=iso(), message_id=message_id)
    count("OrderEmailsSent")
    return "sent"
