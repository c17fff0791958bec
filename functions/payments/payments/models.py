"""The payments table (PynamoDB). One table, several item types:

  PAYMENT#<id>        / PAYMENT   the payment (gsi1: STATUS#<status> / <updated_at>#<id>)
  INTENT#<intent_id>  / INTENT    pointer: gateway intent → payment id
  ORDER#<order_id>    / PAYMENT   pointer: order → payment id (one payment per order)
  EVENT#<event_id>    / EVENT     a gateway event that was applied (exactly-once marker + outbox)
"""
from __future__ import annotations

from functools import lru_cache

from meridian.config import require_env
from meridian.dynamo import DecimalAttribute, table_meta
from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

TABLE_NAME = require_env("TABLE_NAME")


class StatusIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


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
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)      # ORDER#<order_id>
    sk = UnicodeAttribute(range_key=True, default="PAYMENT")
    payment_id = UnicodeAttribute()

    @staticmethod
    def key(order_id: str) -> str:
        return f"ORDER#{order_id}"


class ProcessedEvent(Model):
    """A gateway event applied once; `published` is false until its bus event went out (outbox)."""
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)      # EVENT#<event_id>
    sk = UnicodeAttribute(range_key=True, default="EVENT")
    event_type = UnicodeAttribute()
    intent_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()              # applied | ignored
    published = BooleanAttribute(default=True)
    publish_type = UnicodeAttribute(null=True)
    publish_detail = UnicodeAttribute(null=True)   # JSON
    received_at = UnicodeAttribute()

    @staticmethod
    def key(event_id: str) -> str:
        return f"EVENT#{event_id}"


@lru_cache(maxsize=1)
def connection() -> Connection:
    """One low-level connection per execution environment (for transactions; creating one costs a client)."""
    meta = PaymentModel.Meta
    return Connection(region=meta.region, host=getattr(meta, "host", None))
