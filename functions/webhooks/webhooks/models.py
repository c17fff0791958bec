"""The webhooks table (PynamoDB).

  ENDPOINT#<id> / ENDPOINT     a merchant endpoint: url, events, enabled, its secret's ARN (never the
                               secret), since when it fails (gsi1: ENDPOINTS / <created_at>#<id>)
  DELIVERY#<id> / DELIVERY     one event for one endpoint: the exact body sent, status, attempts, the
                               last few attempts, the next one (gsi1: ENDPOINT#<endpoint id> /
                               <created_at>#<id>, the endpoint's log newest first; gsi2:
                               SEQ#<endpoint id>#<order id> / <order version, 10 digits>: the delivery
                               of the order's previous version, for ordering); `expires_at`: TTL

A delivery's id is derived from (endpoint id, event id), so a bus event delivered twice makes one
delivery per endpoint.
"""
from __future__ import annotations

from meridian.config import require_env
from meridian.dynamo import generic_index, share_connection, table_meta
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

TABLE_NAME = require_env("TABLE_NAME")
ENDPOINT_SK = "ENDPOINT"
DELIVERY_SK = "DELIVERY"
ENDPOINTS_PARTITION = "ENDPOINTS"

ListIndex = generic_index(1, "ListIndex")
SequenceIndex = generic_index(2, "SequenceIndex")


class EndpointModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=ENDPOINT_SK)
    gsi1pk = UnicodeAttribute(default=ENDPOINTS_PARTITION)
    gsi1sk = UnicodeAttribute()
    id = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute)
    description = UnicodeAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    disabled_reason = UnicodeAttribute(null=True)
    disabled_at = UnicodeAttribute(null=True)
    secret_arn = UnicodeAttribute()
    failing_since = UnicodeAttribute(null=True)     # the first failed attempt since the last success
    last_success_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    list_index = ListIndex()


class Attempt(MapAttribute):
    at = UnicodeAttribute()
    status_code = NumberAttribute(null=True)
    response_excerpt = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    duration_ms = NumberAttribute()
    manual = BooleanAttribute(default=False)


class DeliveryModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=DELIVERY_SK)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    id = UnicodeAttribute()
    endpoint_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    order_version = NumberAttribute(null=True)
    body = UnicodeAttribute()                   # the exact JSON sent, every attempt (signed anew each time)
    status = UnicodeAttribute()                 # pending | retrying | delivered | failed
    attempts = NumberAttribute(default=0)
    generation = NumberAttribute(default=0)     # which queued message may make the next attempt
    history = ListAttribute(of=Attempt, default=list)     # the last attempts, oldest first
    next_attempt_at = UnicodeAttribute(null=True)
    give_up_at = UnicodeAttribute()             # retries stop after this (the retry window)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)
    log_index = ListIndex()
    sequence_index = SequenceIndex()


share_connection(DeliveryModel, EndpointModel)    # the model that declares every index first
