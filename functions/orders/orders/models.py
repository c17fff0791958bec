"""The orders table (PynamoDB).

  ORDER#<id> / ORDER                 the order (gsi1: USER#<user> / <created_at>#<id>;
                                     gsi2: STATUS#<status> / <expires_at or updated_at>#<id>)
                                     with `history`: one append-only entry per status move
  ORDER#<id> / EMAIL#<kind>          marker: this email was sent (sent once; kinds: confirmation,
                                     shipment:<shipment id>, refund:<refund id>)
  CART#<id> / CART                   a cart (gsi1: CARTS#<user> / <updated_at>, while a customer's cart is open;
                                     `ttl`: deleted by DynamoDB once idle past CART_IDLE_HOURS)
  SHIPPING / ZONE#<id>               a shipping zone with its methods
  TAX / RATE#<country>#<region|->    the built-in tax table: a country's (or region's) rates
  PROMO#<code> / PROMO               a promotion code (gsi1: PROMOS / <code>) with its `redeemed` count
  PROMO#<code> / CUSTOMER#<who>      how many times one customer used it
  PROMO#<code> / ORDER#<order id>    a redemption (exists while the order holds the code; given back once)

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
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.models import Model

TABLE_NAME = require_env("TABLE_NAME")
ORDER_SK = "ORDER"


UserIndex = generic_index(1, "UserIndex")


StatusIndex = generic_index(2, "StatusIndex")


class OrderLine(MapAttribute):
    line_id = UnicodeAttribute(null=True)     # how shipments, refunds and returns name it (older orders: its index)
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


class TaxLineAttribute(MapAttribute):
    name = UnicodeAttribute()
    rate = UnicodeAttribute()
    amount = UnicodeAttribute()


class ChosenShippingMethod(MapAttribute):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    amount = UnicodeAttribute()
    min_days = NumberAttribute(null=True)
    max_days = NumberAttribute(null=True)


class AppliedPromotion(MapAttribute):
    code = UnicodeAttribute()
    kind = UnicodeAttribute()
    amount = UnicodeAttribute()


class HistoryEntry(MapAttribute):
    status = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
    reason = UnicodeAttribute()
    actor = UnicodeAttribute()


class ShippedLine(MapAttribute):
    line_id = UnicodeAttribute()
    quantity = NumberAttribute()


class ShipmentAttribute(MapAttribute):
    """What one parcel held and how it travels (shipments.py); appended, never changed."""
    id = UnicodeAttribute()
    items = ListAttribute(of=ShippedLine, default=list)
    carrier = UnicodeAttribute(null=True)
    tracking_number = UnicodeAttribute(null=True)
    tracking_url = UnicodeAttribute(null=True)
    shipped_at = UnicodeAttribute()
    actor = UnicodeAttribute()


class RefundAttribute(MapAttribute):
    """One refund of the order (refunds.py): pending until the payment says the money went back."""
    id = UnicodeAttribute()
    amount = UnicodeAttribute()               # order currency
    reason = UnicodeAttribute()
    lines = ListAttribute(of=ShippedLine, default=list)
    status = UnicodeAttribute()               # pending | succeeded | failed
    requested_at = UnicodeAttribute()
    settled_at = UnicodeAttribute(null=True)  # succeeded or failed at
    actor = UnicodeAttribute()
    source = UnicodeAttribute()               # order | payment | cancellation | return:<id>


class ReturnLine(MapAttribute):
    line_id = UnicodeAttribute()
    quantity = NumberAttribute()              # asked back
    reason = UnicodeAttribute(null=True)
    received = NumberAttribute(null=True)     # once received: how many came back
    restock = BooleanAttribute(null=True)     # once received: whether they went back in stock


class ReturnStep(MapAttribute):
    status = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


class ReturnAttribute(MapAttribute):
    """One return of the order (returns.py): its lines, where it stands, and each of its steps."""
    id = UnicodeAttribute()
    status = UnicodeAttribute()               # returns.TRANSITIONS: requested → approved | rejected …
    items = ListAttribute(of=ReturnLine, default=list)
    note = UnicodeAttribute(null=True)
    requested_at = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    rejected_reason = UnicodeAttribute(null=True)
    restock_id = UnicodeAttribute(null=True)  # received with units back in stock: the products restock
    refund_id = UnicodeAttribute(null=True)   # refunded: the order's refund (refunds.py)
    refund_amount = UnicodeAttribute(null=True)
    history = ListAttribute(of=ReturnStep, default=list)


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
    history = ListAttribute(of=HistoryEntry)  # append-only (list_append in the same update as the change)
    fulfillment_status = UnicodeAttribute(null=True)  # unfulfilled (None on older orders) | partially_… | fulfilled
    version = NumberAttribute(null=True)      # + 1 with every change (state_machine.py); events carry it
    shipments = ListAttribute(of=ShipmentAttribute, null=True)   # appended by shipments.py
    refunds = ListAttribute(of=RefundAttribute, null=True)       # refunds.py
    refunded_total = DecimalAttribute(null=True)  # what the payment gave back so far (payment.refunded)
    returns = ListAttribute(of=ReturnAttribute, null=True)       # returns.py (rewritten with each step)
    last_payment_error = UnicodeAttribute(null=True)   # the last decline code while pending (payment_events)
    last_payment_event = UnicodeAttribute(null=True)   # the gateway event noted last (a repeat is not noted again)
    # the quote it was placed at (pricing.py); absent on orders placed before carts existed
    subtotal = DecimalAttribute(null=True)
    discount_total = DecimalAttribute(null=True)
    shipping_total = DecimalAttribute(null=True)
    tax_total = DecimalAttribute(null=True)
    tax_included = BooleanAttribute(default=False)
    taxes = ListAttribute(of=TaxLineAttribute, default=list)
    shipping_method = ChosenShippingMethod(null=True)
    promotions = ListAttribute(of=AppliedPromotion, default=list)
    cart_id = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
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



# ---------------------------------------------------------------------------- carts
CartIndex = generic_index(1, "CartsByUserIndex")


class CartLine(MapAttribute):
    id = UnicodeAttribute()
    product_id = UnicodeAttribute()
    sku = UnicodeAttribute(null=True)
    quantity = NumberAttribute()
    seen_unit_price = UnicodeAttribute(null=True)   # the unit price the shopper was last shown


class CartModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CART")
    id = UnicodeAttribute()
    owner = UnicodeAttribute(null=True)             # the customer's user id; None for a guest cart
    token_hash = UnicodeAttribute(null=True)        # sha256 of a guest cart's Cart-Token
    status = UnicodeAttribute()                     # open | ordered | merged
    email = UnicodeAttribute(null=True)
    currency = UnicodeAttribute()
    locale = UnicodeAttribute()
    lines = ListAttribute(of=CartLine, default=list)
    shipping_address = ShippingAddress(null=True)
    address_id = UnicodeAttribute(null=True)
    shipping_method_id = UnicodeAttribute(null=True)
    promotion_codes = ListAttribute(of=UnicodeAttribute, default=list)
    seen_digest = UnicodeAttribute(null=True)       # pricing.Quote.digest() of the last quote answered
    order_id = UnicodeAttribute(null=True)         # ordered: the order it became
    merged_carts = ListAttribute(of=UnicodeAttribute, default=list)   # guest carts taken in at sign-in
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    ttl = NumberAttribute()                         # epoch seconds: idle carts expire (table TTL)
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_user = CartIndex()

    @staticmethod
    def key(cart_id: str) -> str:
        return f"CART#{cart_id}"


# ---------------------------------------------------------------------------- shipping
class RateBand(MapAttribute):
    up_to = DecimalAttribute(null=True)             # grams, or base-currency subtotal; None: no upper bound
    amount = DecimalAttribute()


class ShippingMethodAttribute(MapAttribute):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    rate_type = UnicodeAttribute()                  # flat | weight | subtotal
    amount = DecimalAttribute(null=True)            # flat: net, base currency
    bands = ListAttribute(of=RateBand, default=list)
    free_above = DecimalAttribute(null=True)        # base currency
    min_days = NumberAttribute()
    max_days = NumberAttribute()


class ShippingZoneModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True, default="SHIPPING")
    sk = UnicodeAttribute(range_key=True)           # ZONE#<id>
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    countries = ListAttribute(of=UnicodeAttribute)
    methods = ListAttribute(of=ShippingMethodAttribute, default=list)
    updated_at = UnicodeAttribute()


# ---------------------------------------------------------------------------- taxes
class TaxRateModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True, default="TAX")
    sk = UnicodeAttribute(range_key=True)           # RATE#<country>#<region or ->
    country = UnicodeAttribute()
    region = UnicodeAttribute(null=True)
    name = UnicodeAttribute()                       # VAT, GST, Sales tax…
    standard = DecimalAttribute()
    reduced = DecimalAttribute()
    included = BooleanAttribute()                   # prices are shown (and charged) with tax included
    updated_at = UnicodeAttribute()


# ---------------------------------------------------------------------------- promotions
PromotionIndex = generic_index(1, "PromotionsIndex")


class PromotionModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)            # PROMO#<code>
    sk = UnicodeAttribute(range_key=True, default="PROMO")
    code = UnicodeAttribute()
    kind = UnicodeAttribute()                       # percentage | fixed | free_shipping
    percent = DecimalAttribute(null=True)
    amounts = MapAttribute(default=dict)            # fixed: currency → amount
    minimum_subtotal = MapAttribute(default=dict)   # currency → amount (absent currency: no minimum)
    starts_at = UnicodeAttribute(null=True)
    ends_at = UnicodeAttribute(null=True)
    usage_limit = NumberAttribute(null=True)
    per_customer_limit = NumberAttribute(null=True)
    combinable = BooleanAttribute(default=False)
    active = BooleanAttribute(default=True)
    redeemed = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(default="PROMOS")
    gsi1sk = UnicodeAttribute()
    listed = PromotionIndex()

    @staticmethod
    def key(code: str) -> str:
        return f"PROMO#{code}"


class PromotionUseModel(Model):
    Meta = table_meta(TABLE_NAME)

    pk = UnicodeAttribute(hash_key=True)            # PROMO#<code>
    sk = UnicodeAttribute(range_key=True)           # CUSTOMER#<who> | ORDER#<order id>
    uses = NumberAttribute(null=True)               # CUSTOMER#: times used
    customer = UnicodeAttribute(null=True)          # ORDER#: who redeemed it
    at = UnicodeAttribute(null=True)
