"""Order emails: queued when an order is paid, sent by OrderEmailFunction through SES, once."""
from __future__ import annotations

import json
from decimal import Decimal

from meridian import aws
from meridian.clock import iso
from meridian.config import require_env
from meridian.money import Money
from meridian.observability import count, logger
from pynamodb.exceptions import DoesNotExist

from . import repository
from .models import EmailMarker, OrderModel

CONFIRMATION = "confirmation"


def queue_confirmation(order: OrderModel) -> None:
    aws.client("sqs").send_message(QueueUrl=require_env("ORDER_EMAIL_QUEUE_URL"),
                                   MessageBody=json.dumps({"order_id": order.id, "kind": CONFIRMATION}))


def _already_sent(order_id: str, kind: str) -> bool:
    try:
        EmailMarker.get(OrderModel.key(order_id), f"EMAIL#{kind}", consistent_read=True)
        return True
    except DoesNotExist:
        return False


def confirmation_text(order: OrderModel) -> tuple[str, str]:
    lines = [f"Thank you for your order {order.id}.", "", "Items:"]
    for line in order.items:
        total = Money(Decimal(line.line_total), order.currency).to_json()["amount"]
        lines.append(f"  {int(line.quantity)} × {line.name or line.product_id}  {total} {order.currency}")
    total = Money(order.total, order.currency).to_json()["amount"]
    lines += ["", f"Total paid: {total} {order.currency}", "",
              f"Ship to: {order.shipping_address.name}, {order.shipping_address.city}, "
              f"{order.shipping_address.country}"]
    return f"Your Meridian order {order.id[:8]} is confirmed", "\n".join(lines)


def send(order_id: str, kind: str) -> str:
    """Send one order email unless it was sent before; returns sent | skipped | duplicate."""
    if kind != CONFIRMATION:
        raise ValueError(f"unknown order email {kind!r}")
    if _already_sent(order_id, kind):
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
    EmailMarker(OrderModel.key(order_id), f"EMAIL#{kind}", sent_at=iso(),
                message_id=response.get("MessageId")).save()
    count("OrderEmailsSent")
    return "sent"
