"""Request bodies of the payments API (marshmallow)."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from meridian.fields import CurrencyCode
from meridian.money import parse_amount


class AmountField(fields.Field):
    """An amount as a string ("19.99") or integer; never a float."""

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or isinstance(value, float):
            raise ValidationError("Send the amount as a string, e.g. \"19.99\".")
        try:
            return parse_amount(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class RefundRequest(Schema):
    amount = AmountField(load_default=None)

    @validates_schema
    def positive(self, data, **kwargs):
        if data.get("amount") is not None and data["amount"] <= 0:
            raise ValidationError({"amount": ["Must be greater than zero."]})


class CreateIntentRequest(Schema):
    order_id = fields.UUID(required=True)
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    amount = AmountField(required=True)
    currency = CurrencyCode(required=True)

    @validates_schema
    def positive(self, data, **kwargs):
        if data.get("amount") is not None and data["amount"] <= 0:
            raise ValidationError({"amount": ["Must be greater than zero."]})
