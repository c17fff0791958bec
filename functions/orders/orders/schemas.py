"""Request bodies of the orders API (marshmallow), and what it answers (for its OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates
from meridian.fields import (
    AddressAnswer,
    AddressSchema,
    Answer,
    CurrencyCode,
    FxSchema,
    MoneySchema,
    PageQuerySchema,
    Text,
)

from .state_machine import STATUSES

MAX_LINES, MAX_QUANTITY = 50, 100


class StrictInteger(fields.Integer):
    """An integer that refuses bools, floats and strings."""
    OPENAPI = {"type": "integer"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be a whole number.")
        return super()._deserialize(value, attr, data, **kwargs)


class LineSchema(Schema):
    product_id = fields.UUID(required=True)
    sku = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class CheckoutSchema(Schema):
    OPENAPI_EXAMPLE = {"items": [{"product_id": "7d9f3c52-2f7e-4a47-9d0e-5b1c2a3e4f50", "quantity": 2}],
                       "currency": "EUR", "shipping_address": {"name": "Ada Lovelace", "line1": "Hauptstraße 1",
                                                               "city": "Berlin", "postal_code": "10115",
                                                               "country": "DE"}}

    items = fields.List(fields.Nested(LineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))
    currency = CurrencyCode(load_default=None)
    shipping_address = fields.Nested(AddressSchema, required=True)

    @validates("items")
    def distinct_lines(self, items, **kwargs):
        seen = set()
        for line in items:
            if "product_id" not in line:
                continue
            key = (line["product_id"], line.get("sku"))
            if key in seen:
                raise ValidationError("Each product (and SKU) may appear once; add up the quantities.")
            seen.add(key)


class FulfilSchema(Schema):
    """How a paid order was shipped (the whole order: partial fulfilment is not offered, so `items` is a 400)."""
    OPENAPI_EXAMPLE = {"carrier": "DHL", "tracking_number": "00340434161094042557"}

    carrier = Text(load_default=None, validate=validate.Length(max=100))
    tracking_number = Text(load_default=None, validate=validate.Length(max=100))


class CancelSchema(Schema):
    OPENAPI_EXAMPLE = {"reason": "Ordered the wrong size."}

    reason = Text(load_default=None, validate=validate.Length(max=200))


class OrdersQuery(PageQuerySchema):
    user_id = fields.String(metadata={"description": "Admins: one user's orders (ignored for customers)."})
    status = fields.String(validate=validate.OneOf(STATUSES))


# ---------------------------------------------------------------------------- answers
class OrderLineAnswer(Answer):
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


class HistoryAnswer(Answer):
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    at = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True, allow_none=True)


class OrderAnswer(Answer):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    items = fields.List(fields.Nested(OrderLineAnswer), required=True)
    total = fields.Nested(MoneySchema, required=True)
    base_total = fields.Nested(MoneySchema, required=True)
    fx = fields.Nested(OrderFxAnswer, required=True)
    payment = fields.Nested(OrderPaymentAnswer, required=True)
    shipping_address = fields.Nested(AddressAnswer, required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    expires_at = fields.String(required=True, allow_none=True)
    history = fields.List(fields.Nested(HistoryAnswer), required=True)
