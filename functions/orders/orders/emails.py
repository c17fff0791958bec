"""Order emails: queued when an order is paid, sent by OrderEmailFunction through SES, once."""
from __future__ import annotations

import json
from decimal import Decimal

from meridian import aws
from meridian.clock import iso
from meridian.config import require_env
from meridian.money import Money
from meridian.observability import count, logger
from meridian.validation import has_control_characters

from . import repository
from .models import OrderModel

CONFIRMATION = "confirmation"


def queue_confirmation(order: OrderModel) -> None:
    aws.client("sqs").send_message(QueueUrl=require_env("ORDER_EMAIL_QUEUE_URL"),
                                   MessageBody=json.dumps({"order_id": order.id, "kind": CONFIRMATION}))


def _one_line(text: object) -> str:
    """What a customer typed, as one line of the e-mail: control characters (CR, LF, NUL…) become spaces, so
    no input can start a paragraph of its own (schemas refuse them already; stored orders may predate that)."""
    return "".join(" " if has_control_characters(ch) else ch for ch in str(text or "")).strip()


def confirmation_text(order: OrderModel) -> tuple[str, str]:
    lines = [f"Thank you for your order {order.id}.", "", "Items:"]
    for line in order.items:
        total = Money(Decimal(line.line_total), order.currency).to_json()["amount"]
        lines.append(f"  {int(line.quantity)} × {_one_line(line.name or line.product_id)}  {total} {order.currency}")
    total = Money(order.total, order.currency).to_json()["amount"]
    address = order.shipping_address
    lines += ["", f"Total paid: {total} {order.currency}", "",
              f"Ship to: {_one_line(address.name)}, {_one_line(address.city)}, {_one_line(address.country)}"]
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
