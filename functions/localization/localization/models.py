"""The localization table: immutable rate snapshots and the "latest" pointer.

    pk = SNAPSHOT#<id>, sk = SNAPSHOT   one snapshot, written once, never changed
    pk = RATES,        sk = LATEST      a copy of the newest snapshot (one read serves GET /rates),
                                        moved only forward: its `order_key` (as_of|fetched_at)
                                        may only grow, so an older refresh never replaces a newer one
    pk = LOCALES,      sk = <code>          one locale (code, names, direction, fallback chain, active)
    pk = LOCALES,      sk = #seeded         written once the built-in locales were stored (first use)
    pk = CURRENCY,     sk = <code>          one of the shop's currencies as staff set it: active, rounding
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
    sources = JSONAttribute(null=True)    # {"KWD": "exchangerate-api", …} with two providers; absent: all `source`


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


CURRENCY_PK = "CURRENCY"


class CurrencySettingRecord(Model):
    """A currency the shop sells in (or stopped selling in): staff's `PUT /currencies/{code}`."""
    Meta = table_meta(require_env("TABLE_NAME"))

    pk = UnicodeAttribute(hash_key=True)          # CURRENCY
    sk = UnicodeAttribute(range_key=True)         # the ISO 4217 code
    active = BooleanAttribute()
    rounding = JSONAttribute(null=True)           # money.RoundingRule.to_json(), or absent
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
