"""Request bodies of the orders API (marshmallow), and what it answers (for its OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from meridian.fields import (
    AddressAnswer,
    AddressSchema,
    Answer,
    Country,
    CurrencyCode,
    Email,
    FxSchema,
    MinorUnitAmount,
    MoneySchema,
    PageQuerySchema,
    PreferredLocale,
    StrictBoolean,
    Text,
)
from meridian.money import fits_minor_units, parse_amount, precision_problem

from .shipping import RATE_TYPES
from .state_machine import STATUSES

MAX_LINES, MAX_QUANTITY = 50, 100


class StrictInteger(fields.Integer):
    """An integer that refuses bools, floats and strings."""
    OPENAPI = {"type": "integer"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be a whole number.")
        return super()._deserialize(value, attr, data, **kwargs)


class TaxRate(fields.Field):
    """A tax rate from 0 to 1 as a plain decimal string ("0.19", at most 6 decimals; never a float), as a Decimal."""
    MAXIMUM, ZERO_ALLOWED = 1, True
    OPENAPI = {"type": "string", "pattern": r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$", "example": "0.19"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('Send it as a string, e.g. "0.19".')
        try:
            number = parse_amount(value, max_digits=10, max_integer_digits=3)
        except ValueError as error:
            raise ValidationError(f"Is not a valid number ({error}).") from None
        if number > self.MAXIMUM or (number == 0 and not self.ZERO_ALLOWED) or number.as_tuple().exponent < -6:
            raise ValidationError(f"Must be {'from' if self.ZERO_ALLOWED else 'above'} 0 to {self.MAXIMUM}, "
                                  "with at most 6 decimals.")
        return number


class Percent(TaxRate):
    """A percentage above 0 up to 100 as a plain decimal string ("12.5")."""
    MAXIMUM, ZERO_ALLOWED = 100, False
    OPENAPI = {"type": "string", "pattern": r"^[0-9]{1,3}(\.[0-9]{1,6})?$", "example": "10"}


class LineSchema(Schema):
    product_id = fields.UUID(required=True)
    sku = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class CheckoutSchema(Schema):
    """Check out `{cart_id}` (a cart: its lines, shipping, codes, taxes and total), or `{items, currency?,
    shipping_address}` (older clients: a signed-in customer's lines, priced now, no shipping method or codes)."""
    OPENAPI_EXAMPLE = {"cart_id": "3b0e1f6a-8a55-4c1e-9a7e-2f4b8c6d1e20"}

    cart_id = fields.UUID(load_default=None)
    items = fields.List(fields.Nested(LineSchema), load_default=None,
                        validate=validate.Length(min=1, max=MAX_LINES))
    currency = CurrencyCode(load_default=None)
    shipping_address = fields.Nested(AddressSchema, load_default=None)

    @validates_schema
    def one_kind(self, data, **kwargs):
        if data.get("cart_id") is not None:
            extra = [name for name in ("items", "currency", "shipping_address") if data.get(name) is not None]
            if extra:
                raise ValidationError("Not with cart_id: the cart says it.", extra[0])
            return
        missing = {name: ["Missing data for required field (or send cart_id)."]
                   for name in ("items", "shipping_address") if data.get(name) is None}
        if missing:
            raise ValidationError(missing)

    @validates("items")
    def distinct_lines(self, items, **kwargs):
        seen = set()
        for line in items or []:
            if "product_id" not in line:
                continue
            key = (line["product_id"], line.get("sku"))
            if key in seen:
                raise ValidationError("Each product (and SKU) may appear once; add up the quantities.")
            seen.add(key)


class CartCreateSchema(Schema):
    OPENAPI_EXAMPLE = {"currency": "EUR", "locale": "de"}

    currency = CurrencyCode(load_default=None)
    locale = PreferredLocale(load_default=None)
    email = Email(load_default=None, validate=validate.Length(max=254))
    guest_cart_id = fields.UUID(load_default=None, metadata={
        "description": "At sign-in: the guest cart (send its Cart-Token) whose lines join this customer's cart."})


class CartPatchSchema(Schema):
    OPENAPI_EXAMPLE = {"email": "ada@example.com", "currency": "EUR", "locale": "de"}

    currency = CurrencyCode(load_default=None)
    locale = PreferredLocale(load_default=None)
    email = Email(load_default=None, validate=validate.Length(max=254))


class CartItemSchema(LineSchema):
    OPENAPI_EXAMPLE = {"product_id": "7d9f3c52-2f7e-4a47-9d0e-5b1c2a3e4f50", "quantity": 2}


class CartItemPatchSchema(Schema):
    OPENAPI_EXAMPLE = {"quantity": 3}

    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class CartAddressSchema(AddressSchema):
    """Where the cart ships: an address, or `{"address_id"}` of a signed-in customer's saved one
    (SavedAddressChoice)."""
    OPENAPI_EXAMPLE = {"name": "Ada Lovelace", "line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115",
                       "country": "DE"}


class SavedAddressChoice(Schema):
    OPENAPI_EXAMPLE = {"address_id": "5c8a3d1e-7b2f-4e6a-9d0c-1f2e3a4b5c6d"}

    address_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ShippingMethodChoice(Schema):
    OPENAPI_EXAMPLE = {"method_id": "de-standard"}

    method_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PromotionCodeSchema(Schema):
    OPENAPI_EXAMPLE = {"code": "WELCOME10"}

    code = fields.String(required=True, validate=validate.Regexp(r"^\s*[A-Za-z0-9_-]{2,40}\s*$",
                                                                 error="2 to 40 letters, digits, - or _."))


# ---------------------------------------------------------------------------- admin: shipping, taxes, promotions
class RateBandSchema(Schema):
    up_to = MinorUnitAmount(None, load_default=None, allow_none=True)
    amount = MinorUnitAmount(required=True)


class ShippingMethodSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$",
                                                               error="1 to 64 lower-case letters, digits or -."))
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    rate_type = fields.String(required=True, validate=validate.OneOf(RATE_TYPES))
    amount = MinorUnitAmount(load_default=None, metadata={"description": "flat: the net price (base currency)."})
    bands = fields.List(fields.Nested(RateBandSchema), load_default=list, validate=validate.Length(max=20))
    free_above = MinorUnitAmount(load_default=None, allow_none=True)
    min_days = StrictInteger(required=True, validate=validate.Range(min=0, max=90))
    max_days = StrictInteger(required=True, validate=validate.Range(min=0, max=90))

    @validates_schema
    def priced(self, data, **kwargs):
        if data["rate_type"] == "flat" and data.get("amount") is None:
            raise ValidationError("A flat rate needs an amount.", "amount")
        if data["rate_type"] != "flat" and not data.get("bands"):
            raise ValidationError("A weight or subtotal rate needs bands.", "bands")
        if data["max_days"] < data["min_days"]:
            raise ValidationError("Must not be below min_days.", "max_days")


class ShippingZoneSchema(Schema):
    OPENAPI_EXAMPLE = {"name": "Germany", "countries": ["DE"], "methods": [
        {"id": "de-standard", "name": "Standard", "rate_type": "flat", "amount": "4.90", "free_above": "60.00",
         "min_days": 2, "max_days": 4}]}

    name = Text(required=True, validate=validate.Length(min=1, max=100))
    countries = fields.List(Country(), required=True, validate=validate.Length(min=1, max=250))
    methods = fields.List(fields.Nested(ShippingMethodSchema), required=True, validate=validate.Length(max=20))

    @validates("methods")
    def distinct_ids(self, methods, **kwargs):
        ids = [m["id"] for m in methods if "id" in m]
        if len(ids) != len(set(ids)):
            raise ValidationError("Method ids must be distinct.")


class TaxRateSchema(Schema):
    OPENAPI_EXAMPLE = {"country": "DE", "name": "VAT", "standard": "0.19", "reduced": "0.07", "included": True}

    country = Country(required=True)
    region = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9]{1,3}$"))
    name = Text(required=True, validate=validate.Length(min=1, max=40))
    standard = TaxRate(required=True)
    reduced = TaxRate(required=True)
    included = StrictBoolean(required=True)


class PromotionSchema(Schema):
    OPENAPI_EXAMPLE = {"code": "WELCOME10", "kind": "percentage", "percent": "10", "usage_limit": 1000,
                       "per_customer_limit": 1}

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,40}$",
                                                                 error="2 to 40 letters, digits, - or _."))
    kind = fields.String(required=True, validate=validate.OneOf(("percentage", "fixed", "free_shipping")))
    percent = Percent(load_default=None, allow_none=True)
    amounts = fields.Dict(keys=CurrencyCode(), values=MinorUnitAmount(None), load_default=dict)
    minimum_subtotal = fields.Dict(keys=CurrencyCode(), values=MinorUnitAmount(None), load_default=dict)
    starts_at = fields.AwareDateTime(load_default=None, format="iso")
    ends_at = fields.AwareDateTime(load_default=None, format="iso")
    usage_limit = StrictInteger(load_default=None, validate=validate.Range(min=1))
    per_customer_limit = StrictInteger(load_default=None, validate=validate.Range(min=1))
    combinable = StrictBoolean(load_default=False)
    active = StrictBoolean(load_default=True)

    @validates_schema
    def consistent(self, data, partial=None, **kwargs):
        kind = data.get("kind")
        if kind == "percentage" and data.get("percent") is None and not partial:
            raise ValidationError("A percentage code needs a percent.", "percent")
        if kind == "fixed" and not data.get("amounts") and not partial:
            raise ValidationError("A fixed code needs an amount per currency.", "amounts")
        for name in ("amounts", "minimum_subtotal"):
            for currency, amount in (data.get(name) or {}).items():
                if not fits_minor_units(amount, currency):
                    raise ValidationError(f"{amount}: {precision_problem(currency)}", name)
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Must be after starts_at.", "ends_at")


class FulfilSchema(Schema):
    """Ship everything not shipped yet, in one parcel (POST /orders/{id}/shipments ships a part)."""
    OPENAPI_EXAMPLE = {"carrier": "DHL", "tracking_number": "00340434161094042557"}

    carrier = Text(load_default=None, validate=validate.Length(max=100))
    tracking_number = Text(load_default=None, validate=validate.Length(max=100))
    tracking_url = fields.Url(load_default=None, schemes={"https", "http"}, validate=validate.Length(max=500))


class OrderLineRefSchema(Schema):
    line_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                            metadata={"description": "The order line's `line_id`."})
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class ShipmentSchema(Schema):
    """One parcel: which lines (and how many of each) it holds, its carrier and tracking number."""
    OPENAPI_EXAMPLE = {"items": [{"line_id": "0", "quantity": 1}], "carrier": "DHL",
                       "tracking_number": "00340434161094042557",
                       "tracking_url": "https://www.dhl.com/track?id=00340434161094042557"}

    items = fields.List(fields.Nested(OrderLineRefSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))
    carrier = Text(required=True, validate=validate.Length(max=100))
    tracking_number = Text(required=True, validate=validate.Length(max=100))
    tracking_url = fields.Url(load_default=None, schemes={"https", "http"}, validate=validate.Length(max=500))


class OrderRefundSchema(Schema):
    """A refund of the order: `amount` in the order's currency (left out: all that is left to refund), why,
    and optionally which lines it is for."""
    OPENAPI_EXAMPLE = {"amount": "10.00", "reason": "Arrived damaged.", "lines": [{"line_id": "0", "quantity": 1}]}

    amount = MinorUnitAmount(currency=None, load_default=None)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    lines = fields.List(fields.Nested(OrderLineRefSchema), load_default=None,
                        validate=validate.Length(min=1, max=MAX_LINES))

    @validates_schema
    def positive(self, data, **kwargs):
        if data.get("amount") is not None and data["amount"] <= 0:
            raise ValidationError({"amount": ["Must be greater than zero."]})


class CancelSchema(Schema):
    OPENAPI_EXAMPLE = {"reason": "Ordered the wrong size."}

    reason = Text(load_default=None, validate=validate.Length(max=200))


# ---------------------------------------------------------------------------- returns (returns.py)
LINE_ID = fields.String(required=True, validate=validate.Length(min=1, max=64),
                        metadata={"description": "The order line (its `line_id`)."})


class ReturnLineSchema(Schema):
    line_id = LINE_ID
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    reason = Text(load_default=None, validate=validate.Length(max=200))


class ReturnRequestSchema(Schema):
    """Shipped lines to send back (within the return window), each at most what shipped and is not already in a
    return."""
    OPENAPI_EXAMPLE = {"items": [{"line_id": "0", "quantity": 1, "reason": "Too small."}], "note": "Box unopened."}

    items = fields.List(fields.Nested(ReturnLineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))
    note = Text(load_default=None, validate=validate.Length(max=500))


class ReturnRejectSchema(Schema):
    OPENAPI_EXAMPLE = {"reason": "Outside our returns policy."}

    reason = Text(required=True, validate=validate.Length(min=1, max=200))


class ReceivedLineSchema(Schema):
    line_id = LINE_ID
    quantity = StrictInteger(required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    restock = StrictBoolean(required=True, metadata={"description": "Put the units back in stock."})


class ReturnReceiveSchema(Schema):
    """What came back of each line of the return (at most its quantity) and whether it goes back in stock; a line
    left out came back with nothing."""
    OPENAPI_EXAMPLE = {"items": [{"line_id": "0", "quantity": 1, "restock": True}]}

    items = fields.List(fields.Nested(ReceivedLineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))


class ReturnRefundSchema(Schema):
    """Refund a received return: `amount` (order currency) defaults to the received lines' unit prices ×
    quantities, capped by what is left to refund."""
    OPENAPI_EXAMPLE = {"reason": "Returned: too small."}

    amount = MinorUnitAmount(None, load_default=None, above=0)
    reason = Text(load_default=None, validate=validate.Length(min=1, max=500))


class OrderQuery(Schema):
    token = fields.String(metadata={"description": "A guest's signed order link token (from the order e-mail)."})


class TaxRateQuery(Schema):
    region = fields.String(metadata={"description": "The region's row instead of the country's."})


class OrdersQuery(PageQuerySchema):
    user_id = fields.String(metadata={"description": "Admins: one user's orders (ignored for customers)."})
    status = fields.String(validate=validate.OneOf(STATUSES))


# ---------------------------------------------------------------------------- answers
class OrderLineAnswer(Answer):
    line_id = fields.String(required=True, metadata={"description": "How shipments, refunds and returns name "
                                                                    "the line."})
    product_id = fields.String(required=True)
    sku = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Nested(MoneySchema, required=True)
    line_total = fields.Nested(MoneySchema, required=True)
    base_unit_price = fields.Nested(MoneySchema, required=True)


class OrderFxAnswer(FxSchema):
    """The rate the order was charged at, and the snapshot it came from."""
    snapshot_id = fields.String(required=True, allow_none=True)


class OrderPaymentAnswer(Answer):
    id = fields.String(required=True)
    intent_id = fields.String(required=True, metadata={"description": "The gateway's payment intent."})
    client_secret = fields.String(metadata={"description": "While pending_payment: confirms the intent."})
    expires_at = fields.String(required=True, allow_none=True, metadata={
        "description": "While pending_payment: the end of the payment window (until then another card may pay "
                       "the same intent; then the order is cancelled and its cart reopened); otherwise null."})
    last_error = fields.String(required=True, allow_none=True, metadata={
        "description": "The last decline code of this order's payment (e.g. card_declined), or null."})


class HistoryAnswer(Answer):
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    at = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True, allow_none=True)


class OrderLineRefAnswer(Answer):
    line_id = fields.String(required=True)
    quantity = fields.Integer(required=True)


class OrderShipmentAnswer(Answer):
    id = fields.String(required=True)
    items = fields.List(fields.Nested(OrderLineRefAnswer), required=True)
    carrier = fields.String(required=True, allow_none=True)
    tracking_number = fields.String(required=True, allow_none=True)
    tracking_url = fields.String(required=True, allow_none=True)
    shipped_at = fields.String(required=True)
    actor = fields.String(required=True)


class OrderRefundAnswer(Answer):
    id = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    reason = fields.String(required=True)
    lines = fields.List(fields.Nested(OrderLineRefAnswer), required=True)
    status = fields.String(required=True, metadata={"enum": ["pending", "succeeded", "failed"]})
    requested_at = fields.String(required=True)
    settled_at = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True)
    source = fields.String(required=True, metadata={
        "description": "order (refunded on the order), cancellation, payment (refunded at the payment), "
                       "return:<id>."})


class ReturnLineAnswer(Answer):
    line_id = fields.String(required=True)
    product_id = fields.String(required=True, allow_none=True)
    sku = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    quantity = fields.Integer(required=True)
    reason = fields.String(required=True, allow_none=True)
    received = fields.Integer(required=True, allow_none=True, metadata={"description": "Once received."})
    restock = fields.Boolean(required=True, allow_none=True, metadata={"description": "Once received."})


class ReturnStepAnswer(Answer):
    status = fields.String(required=True)
    at = fields.String(required=True)
    actor = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)


class ReturnRefundAnswer(Answer):
    id = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class ReturnAnswer(Answer):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["requested", "approved", "rejected", "received",
                                                             "refunded"]})
    items = fields.List(fields.Nested(ReturnLineAnswer), required=True)
    note = fields.String(required=True, allow_none=True)
    requested_at = fields.String(required=True)
    requested_by = fields.String(required=True)
    updated_at = fields.String(required=True)
    rejected_reason = fields.String(required=True, allow_none=True)
    restock_id = fields.String(required=True, allow_none=True)
    refund = fields.Nested(ReturnRefundAnswer, required=True, allow_none=True)
    history = fields.List(fields.Nested(ReturnStepAnswer), required=True)


class OrderAnswer(Answer):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    version = fields.Integer(required=True, metadata={"description": "Grows by one with every change (as the "
                                                                     "order events' version)."})
    fulfillment_status = fields.String(required=True, metadata={
        "enum": ["unfulfilled", "partially_fulfilled", "fulfilled"]})
    items = fields.List(fields.Nested(OrderLineAnswer), required=True)
    shipments = fields.List(fields.Nested(OrderShipmentAnswer), required=True)
    refunds = fields.List(fields.Nested(OrderRefundAnswer), required=True)
    refunded_total = fields.Nested(MoneySchema, required=True)
    total = fields.Nested(MoneySchema, required=True)
    base_total = fields.Nested(MoneySchema, required=True)
    fx = fields.Nested(OrderFxAnswer, required=True)
    payment = fields.Nested(OrderPaymentAnswer, required=True)
    shipping_address = fields.Nested(AddressAnswer, required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    expires_at = fields.String(required=True, allow_none=True)
    history = fields.List(fields.Nested(HistoryAnswer), required=True)
    returns = fields.List(fields.Nested(ReturnAnswer), required=True)
    order_token = fields.String(metadata={"description": "A guest's checkout only: GET /api/v1/orders/{id}?token= "
                                                         "opens the order (as the e-mail's link does)."})


class MoneyLineAnswer(Answer):
    name = fields.String(required=True)
    rate = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class ShippingMethodAnswer(Answer):
    id = fields.String(required=True)
    name = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    delivery = fields.Dict(required=True)


class AppliedPromotionAnswer(Answer):
    code = fields.String(required=True)
    kind = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class CartLineAnswer(Answer):
    id = fields.String(required=True)
    product_id = fields.String(required=True)
    sku = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Nested(MoneySchema, required=True, allow_none=True)
    line_total = fields.Nested(MoneySchema, required=True, allow_none=True)


class CartAnswer(Answer):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "ordered", "merged"]})
    currency = fields.String(required=True)
    locale = fields.String(required=True)
    items = fields.List(fields.Nested(CartLineAnswer), required=True)
    subtotal = fields.Nested(MoneySchema, required=True)
    discount_total = fields.Nested(MoneySchema, required=True)
    shipping_total = fields.Nested(MoneySchema, required=True)
    tax_total = fields.Nested(MoneySchema, required=True)
    total = fields.Nested(MoneySchema, required=True)
    tax_included = fields.Boolean(required=True)
    taxes = fields.List(fields.Nested(MoneyLineAnswer), required=True)
    shipping_method = fields.Nested(ShippingMethodAnswer, required=True, allow_none=True)
    promotions = fields.List(fields.Nested(AppliedPromotionAnswer), required=True)
    fx = fields.Nested(FxSchema, required=True)
    warnings = fields.List(fields.Dict(), required=True)
    cart_token = fields.String(metadata={"description": "Guest carts, once, at creation: send it as Cart-Token."})


class ShippingOffersAnswer(Answer):
    items = fields.List(fields.Nested(ShippingMethodAnswer), required=True)


class ShippingZoneAnswer(Answer):
    id = fields.String(required=True)
    name = fields.String(required=True)
    countries = fields.List(fields.String(), required=True)
    methods = fields.List(fields.Dict(), required=True)


class TaxRateAnswer(Answer):
    country = fields.String(required=True)
    region = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    standard = fields.String(required=True)
    reduced = fields.String(required=True)
    included = fields.Boolean(required=True)


class PromotionAnswer(Answer):
    code = fields.String(required=True)
    kind = fields.String(required=True)
    redeemed = fields.Integer(required=True)
    active = fields.Boolean(required=True)
