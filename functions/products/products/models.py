"""The products table (one DynamoDB table, pk/sk + two GSIs), as PynamoDB models.

Item kinds (pk / sk):
  PRODUCT#<id>   / META              the product: price, status, category, variants, stock,
                                     open holds, and a listing copy of its localized texts
  PRODUCT#<id>   / L10N#<locale>     localized details (name, description, slug): the source
                                     of truth, one item per (product, locale)
  CLAIM#SLUG#<slug>, CLAIM#SLUG#<locale>#<slug>, CLAIM#SKU#<sku> / CLAIM
                                     uniqueness claims (conditional put)
  RESERVATION#<id> / META            a stock reservation of the orders service
  RESTOCK#<id>     / META            returned units put back in stock (orders' returns), once per id
  CATEGORY#<key>   / META            a managed category: parent, position, names and slugs per locale
  ATTRIBUTE#<key>  / META            the shop-wide attribute dictionary: an attribute's (or variant
                                     option's) names per locale and its values' labels per locale

Indexes:
  gsi1  CATALOG#<status>#<category> / <created_at>#<id>   listing by category
        RESERVATIONS#DUE#<shard>   / <due_at>#<id>       reservations with work left (sweep)
        TAXONOMY                   / CATEGORY#<key>, ATTRIBUTE#<key>   categories and the attribute
                                                         dictionary: one Query reads them all (taxonomy.py)
  gsi2  CATALOG#<status>           / <created_at>#<id>   listing across categories

A reservation and the stock it holds change together, in one transaction (`transaction()`,
repository.transact).
"""
from __future__ import annotations

from meridian.config import require_env
from meridian.dynamo import DecimalAttribute, generic_index, share_connection, table_meta
from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

TABLE_NAME = require_env("TABLE_NAME")

META = "META"
SIMPLE_STOCK_KEY = "_"   # stock key of a product without variants (a SKU can't start with "_")
# how a product is taxed (per product, not per variant); the rates of each class are the orders service's
TAX_CLASSES = ("standard", "reduced", "zero")
DEFAULT_TAX_CLASS = "standard"
PRODUCT_STATUSES = ("draft", "active", "archived")


def product_pk(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def l10n_sk(locale: str) -> str:
    return f"L10N#{locale}"


def catalog_partition(status: str, category: str | None = None) -> str:
    return f"CATALOG#{status}#{category}" if category else f"CATALOG#{status}"


Gsi1 = generic_index(1, "Gsi1")


Gsi2 = generic_index(2, "Gsi2")


class VariantAttribute(MapAttribute):
    sku = UnicodeAttribute()
    attributes = MapAttribute(default=dict)
    base_price = DecimalAttribute(null=True)    # None: the product's base price
    weight_grams = NumberAttribute(null=True)   # None: the product's weight (stock.line_of)
    prices = MapAttribute(default=dict)         # fixed prices: currency → amount ("2500"); stock.line_of


class ProductItem(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=META)
    id = UnicodeAttribute()
    slug = UnicodeAttribute()
    category = UnicodeAttribute()
    status = UnicodeAttribute()
    base_price = DecimalAttribute()
    currency = UnicodeAttribute(default="USD")
    weight_grams = NumberAttribute(default=0)           # shipping weight; items written before it: 0
    tax_class = UnicodeAttribute(default=DEFAULT_TAX_CLASS)  # TAX_CLASSES; items written before it: standard
    prices = MapAttribute(default=dict)     # fixed prices: currency → amount ("2500"), winning over conversion
    sku = UnicodeAttribute(null=True)
    attributes = MapAttribute(default=dict)
    images = ListAttribute(of=UnicodeAttribute, default=list)
    variants = ListAttribute(of=VariantAttribute, default=list)
    stock = MapAttribute(default=dict)      # stock key → units available to reserve
    holds = MapAttribute(default=dict)      # "<reservation id>|<stock key>" → units held
    sold = MapAttribute(default=dict)       # stock key → units sold (committed)
    l10n = MapAttribute(default=dict)       # locale → {name, description, slug} (listing copy)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)

    by_category = Gsi1()
    by_status = Gsi2()


class LocalizedDetailsItem(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    product_id = UnicodeAttribute()
    locale = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    slug = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()


class ClaimItem(Model):
    """Holds a unique value (slug, SKU) for one product; written with attribute_not_exists."""
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CLAIM")
    product_id = UnicodeAttribute()
    claimed_at = NumberAttribute(null=True)  # epoch seconds


class ReservationLine(MapAttribute):
    product_id = UnicodeAttribute()
    sku = UnicodeAttribute(null=True)
    stock_key = UnicodeAttribute()
    quantity = NumberAttribute()
    unit_price = DecimalAttribute()
    currency = UnicodeAttribute(default="USD")
    name = UnicodeAttribute()
    weight_grams = NumberAttribute(null=True)   # effective weight of one unit (None in older records: 0)
    tax_class = UnicodeAttribute(null=True)     # the product's (None in older records: standard)
    fixed_prices = MapAttribute(null=True)      # the unit's fixed prices then (currency → amount; None: none)


class ReservationItem(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=META)
    id = UnicodeAttribute()
    status = UnicodeAttribute()             # reservations.TRANSITIONS: held → committed | released | expired …
    caller = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)  # same id + different items → 422
    lines = ListAttribute(of=ReservationLine)
    hold_until = UnicodeAttribute()         # ISO 8601 UTC
    hold_until_epoch = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    failure = MapAttribute(null=True)       # why it was rejected
    expires_at = NumberAttribute(null=True)  # table TTL: set only once finished, never while stock is held
    gsi1pk = UnicodeAttribute(null=True)    # present while work is left (hold to expire, holds to clean up)
    gsi1sk = UnicodeAttribute(null=True)

    due = Gsi1()


class RestockLine(MapAttribute):
    product_id = UnicodeAttribute()
    sku = UnicodeAttribute(null=True)       # as the product stores it (None: a product without one)
    stock_key = UnicodeAttribute()
    quantity = NumberAttribute()


class RestockItem(Model):
    """Units the orders service took back (a return received) and put back in stock: written in the same
    transaction as the stock it adds, so a restock id adds its units once."""
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)    # RESTOCK#<id>
    sk = UnicodeAttribute(range_key=True, default=META)
    id = UnicodeAttribute()
    caller = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute()       # same id + different items → 422
    lines = ListAttribute(of=RestockLine)
    created_at = UnicodeAttribute()


TAXONOMY_PARTITION = "TAXONOMY"
CATEGORY_KIND, ATTRIBUTE_KIND = "category", "attribute"


def taxonomy_pk(kind: str, key: str) -> str:
    return f"{kind.upper()}#{key}"


class TaxonomyItem(Model):
    """A managed category (kind `category`: parent, position, names and slugs per locale) or an entry of the
    attribute dictionary (kind `attribute`: names per locale, and `values`: raw value → {locale: label}).
    Both live in gsi1 partition TAXONOMY, sorted by `<KIND>#<key>`, so one Query reads the whole taxonomy."""
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)    # CATEGORY#<key> | ATTRIBUTE#<key>
    sk = UnicodeAttribute(range_key=True, default=META)
    kind = UnicodeAttribute()
    key = UnicodeAttribute()
    parent = UnicodeAttribute(null=True)    # categories: the parent's key (None: a root)
    position = NumberAttribute(default=0)   # categories: order among siblings
    names = MapAttribute(default=dict)      # locale → name
    slugs = MapAttribute(default=dict)      # categories: locale → slug
    values = MapAttribute(default=dict)     # attributes: raw value → {locale → label}
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(default=TAXONOMY_PARTITION)
    gsi1sk = UnicodeAttribute()

    by_kind = Gsi1()


_connection = share_connection(ProductItem, LocalizedDetailsItem, ClaimItem, ReservationItem, RestockItem,
                               TaxonomyItem)


def transaction() -> TransactWrite:
    """A DynamoDB transaction (TransactWriteItems) on this table, over the models' one connection.

    pynamodb sends its items grouped: condition checks, deletes, puts, then updates, each group in
    call order; a cancellation's reasons come back in that order.
    """
    return TransactWrite(connection=_connection)
