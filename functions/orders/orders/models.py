"""The orders table (PynamoDB).

  ORDER#<id> / ORDER                 the order (gsi1: USER#<user> / <created_at>#<id>;
                                     gsi2: STATUS#<status> / <expires_at or updated_at>#<id>)
                                     with `history`: one append-only entry per status move
  ORDER#<id> / EMAIL#<kind>          marker: this email was sent (sent once)

The history lives on the order item, so a move (the new status + its history entry) is ONE
conditional UpdateItem and a new order with its first entry ONE conditional PutItem: each is
atomic by itself. No transaction is needed (TransactWriteItems would cost twice the write
capacity for the same guarantee); history would need one only if it became separate items.

Indexes: gsi1 lists a user's orders, newest first. gsi2 holds every order in its status's
partition; pending orders are sorted by `expires_at`, so the reconciliation finds the ones due
with a Query up to now (never a Scan).
"""
from __future__ import annotations

from meridian.config import require_env
from meridian.dynamo import DecimalAttribute, generic_index, table_meta
from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

TABLE_NAME = require_env("TABLE_NAME")
ORDER_SK = "ORDER"


UserIndex = generic_index(1, "UserIndex")


StatusIndex = generic_index(2, "StatusIndex")


class OrderLine(MapAttribute):
    product_id = UnicodeAttribute()
    sku = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    quantity = NumberAttribute()
    base_unit_price = UnicodeAttribute()      # USD, as the products service priced it
    unit_price = UnicodeAttribute()           # order currency, rounded to its minor units
    line_total = UnicodeAttribute()           # unit_price × quantity (exact)


class FxSnapshot(MapAttribute):
    """The exchange rate the order was charged at: written once, never changed."""
    snapshot_id = UnicodeAttribute(null=True)
    rate = UnicodeAttribute()
    as_of = UnicodeAttribute()
    source = UnicodeAttribute()
    stale = BooleanAttribute(default=False)
    base_currency = UnicodeAttribute()


class ShippingAddress(MapAttribute):
    name = UnicodeAttribute()
    line1 = UnicodeAttribute()
    line2 = UnicodeAttribute(null=True)
    city = UnicodeAttribute()
    region = UnicodeAttribute(null=True)
    postal_code = UnicodeAttribute()
    country = UnicodeAttribute()


class HistoryEntry(MapAttribute):
    status = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
    reason = UnicodeAttribute()
    actor = UnicodeAttribute()


class OrderModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=ORDER_SK)
    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    items = ListAttribute(of=OrderLine)
    currency = UnicodeAttribute()
    total = DecimalAttribute()
    base_total = DecimalAttribute()           # USD before conversion (reporting)
    fx = FxSnapshot()
    shipping_address = ShippingAddress()
    reservation_id = UnicodeAttribute()
    payment_id = UnicodeAttribute()
    intent_id = UnicodeAttribute()
    client_secret = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()           # pending_payment after this → cancelled by reconciliation
    history = ListAttribute(of=HistoryEntry)  # append-only (list_append in the same update as the move)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_user = UserIndex()
    by_status = StatusIndex()

    @staticmethod
    def key(order_id: str) -> str:
        return f"ORDER#{order_id}"


class EmailMarker(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)     # EMAIL#<kind>
    sent_at = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)

