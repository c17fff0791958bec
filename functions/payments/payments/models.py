"""The payments table (PynamoDB). One table, several item types:

  PAYMENT#<id>        / PAYMENT   the payment (gsi1: STATUS#<status> / <updated_at>#<id>)
  INTENT#<intent_id>  / INTENT    pointer: gateway intent → payment id
  ORDER#<order_id>    / PAYMENT   pointer: order → payment id (one payment per order); while it has no payment
                                  yet, in gsi1 as CLAIM#open / <created_at>#<order_id>
  EVENT#<event_id>    / EVENT     a gateway event, recorded before it is applied (exactly once)
"""
from __future__ import annotations

from meridian.config import require_env
from meridian.dynamo import DecimalAttribute, generic_index, table_meta
from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

TABLE_NAME = require_env("TABLE_NAME")


StatusIndex = generic_index(1, "StatusIndex")


class BreakdownTax(MapAttribute):
    name = UnicodeAttribute()
    rate = UnicodeAttribute()                 # "0.19"
    amount = DecimalAttribute()


class BreakdownLine(MapAttribute):
    product_id = UnicodeAttribute()
    sku = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    quantity = NumberAttribute()
    unit_price = DecimalAttribute()
    line_total = DecimalAttribute()


class Breakdown(MapAttribute):
    """What a payment's amount is made of, in its currency (payments/breakdown.py)."""
    subtotal = DecimalAttribute()
    discount_total = DecimalAttribute()
    shipping_total = DecimalAttribute()
    tax_total = DecimalAttribute()
    tax_included = BooleanAttribute()
    taxes = ListAttribute(of=BreakdownTax, default=list)
    lines = ListAttribute(of=BreakdownLine, default=list)


class PaymentModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="PAYMENT")
    id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    gateway = UnicodeAttribute()
    intent_id = UnicodeAttribute()
    client_secret = UnicodeAttribute()
    status = UnicodeAttribute()
    amount = DecimalAttribute()
    currency = UnicodeAttribute()
    refunded_amount = DecimalAttribute()
    failure_reason = UnicodeAttribute(null=True)
    last_event_id = UnicodeAttribute(null=True)   # the gateway event that made the last move (for repeats)
    breakdown = Breakdown(null=True)              # null: a payment of an older caller
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_status = StatusIndex()

    @staticmethod
    def key(payment_id: str) -> str:
        return f"PAYMENT#{payment_id}"


class IntentPointer(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)      # INTENT#<intent_id>
    sk = UnicodeAttribute(range_key=True, default="INTENT")
    payment_id = UnicodeAttribute()

    @staticmethod
    def key(intent_id: str) -> str:
        return f"INTENT#{intent_id}"


class OrderPointer(Model):
    """The order's claim on its one payment (written first, conditionally: it is what makes create idempotent)."""
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)      # ORDER#<order_id>
    sk = UnicodeAttribute(range_key=True, default="PAYMENT")
    payment_id = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    amount = DecimalAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    breakdown_digest = UnicodeAttribute(null=True)   # the breakdown it was claimed with (breakdown.digest)
    intent_metadata = MapAttribute(null=True)        # what the gateway intent is created with (a retry: the same)
    created_at = UnicodeAttribute(null=True)
    # while no payment record exists yet (a crash or a timeout between claim and gateway): gsi1 CLAIM#open /
    # <created_at>#<order id>, removed once the payment is stored (a sparse index: only unfinished claims)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_status = StatusIndex()

    @staticmethod
    def key(order_id: str) -> str:
        return f"ORDER#{order_id}"


class ProcessedEvent(Model):
    """A gateway event, recorded once (conditional put) before it is applied.

    outcome: pending (recorded; the payment may or may not have moved yet) → applied | ignored.
    A repeat of a `pending` event finishes its work; of any other, changes nothing."""
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)      # EVENT#<event_id>
    sk = UnicodeAttribute(range_key=True, default="EVENT")
    event_type = UnicodeAttribute()
    intent_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()              # pending | applied | ignored
    target = UnicodeAttribute(null=True)      # the payment status the event announces
    published = BooleanAttribute(default=True)
    publish_type = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()

    @staticmethod
    def key(event_id: str) -> str:
        return f"EVENT#{event_id}"

