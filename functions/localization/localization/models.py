"""The localization table: immutable rate snapshots and the "latest" pointer.

    pk = SNAPSHOT#<id>, sk = SNAPSHOT   one snapshot, written once, never changed
    pk = RATES,        sk = LATEST      a copy of the newest snapshot (one read serves GET /rates),
                                        moved only forward: its `order_key` (as_of|fetched_at)
                                        may only grow, so an older refresh never replaces a newer one
    pk = LOCALES,      sk = <code>          one locale (code, names, direction, fallback chain, active)
    pk = LOCALES,      sk = #seeded         written once the built-in locales were stored (first use)
"""
from __future__ import annotations

from meridian.config import require_env
from meridian.dynamo import table_meta
from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, UnicodeAttribute
from pynamodb.models import Model

SNAPSHOT_SK = "SNAPSHOT"
LATEST_PK, LATEST_SK = "RATES", "LATEST"
LOCALES_PK, SEEDED_SK = "LOCALES", "#seeded"


class RateSnapshotRecord(Model):
    Meta = table_meta(require_env("TABLE_NAME"))

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    snapshot_id = UnicodeAttribute()
    base = UnicodeAttribute()
    as_of = UnicodeAttribute()
    source = UnicodeAttribute()
    rates = JSONAttribute()               # {"USD": "1.0823", …}: strings, never floats
    fetched_at = UnicodeAttribute()
    order_key = UnicodeAttribute()        # f"{as_of}|{fetched_at}" — sortable ISO 8601
    confirmed_at = UnicodeAttribute(null=True)   # pointer only: last time the provider confirmed it


class LocaleRecord(Model):
    """One locale (sk = its BCP 47 code), or the #seeded marker (no attributes of its own)."""
    Meta = table_meta(require_env("TABLE_NAME"))

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    native_name = UnicodeAttribute(null=True)
    direction = UnicodeAttribute(null=True)          # ltr | rtl
    fallback = ListAttribute(of=UnicodeAttribute, null=True)   # the chain after the code, ending in "en"
    active = BooleanAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
