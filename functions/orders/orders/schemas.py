"""Request bodies of the orders API (marshmallow)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates
from meridian.fields import AddressSchema, CurrencyCode, Text

MAX_LINES, MAX_QUANTITY = 50, 100


class StrictInteger(fields.Integer):
    """An integer that refuses bools, floats and strings."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be a whole number.")
        return super()._deserialize(value, attr, data, **kwargs)


class LineSchema(Schema):
    product_id = fields.UUID(required=True)
    sku = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class CheckoutSchema(Schema):
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
    carrier = Text(load_default=None, validate=validate.Length(max=100))
    tracking_number = Text(load_default=None, validate=validate.Length(max=100))


class CancelSchema(Schema):
    reason = Text(load_default=None, validate=validate.Length(max=200))
