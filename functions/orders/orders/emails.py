"""Order emails: queued when an order is paid, sent by OrderEmailFunction through SES, once."""
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


def send(order_id: str, kind: str) -> str:
    """Send one order email unless it was sent before; returns sent | skipped | duplicate."""
    if kind != CONFIRMATION:
        raise ValueError(f"unknown order email {kind!r}")
    if repository.email_sent(order_id, kind):
        return "duplicate"
    order = repository.get(order_id)
    if not order.email:
        logger.warning("order has no email address; confirmation not sent", extra={"order_id": order_id})
        count("OrderEmailsSkipped")
        return "skipped"
    subject, text = confirmation_text(order)
    response = aws.client("ses").send_email(Source=require_env("EMAIL_SENDER"),
                                            Destination={"ToAddresses": [order.email]},
                                            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                                                     "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}})
    repository.mark_email_sent(order_id, kind, at=iso(), message_id=response.get("MessageId"))
    count("OrderEmailsSent")
    return "sent"
