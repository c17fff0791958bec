"""Request bodies of the payments API (marshmallow), and what it answers (for its OpenAPI document)."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema
from meridian.fields import Answer, CurrencyCode, MinorUnitAmount, MoneySchema


class RefundRequest(Schema):
    """All that is left to refund when `amount` is left out."""
    OPENAPI_EXAMPLE = {"amount": "10.00"}

    amount = MinorUnitAmount(currency=None, load_default=None)

    @validates_schema
    def positive(self, data, **kwargs):
        if data.get("amount") is not None and data["amount"] <= 0:
            raise ValidationError({"amount": ["Must be greater than zero."]})


class CreateIntentRequest(Schema):
    order_id = fields.UUID(required=True)
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    amount = MinorUnitAmount(currency=None, required=True)
    currency = CurrencyCode(required=True)

    @validates_schema
    def positive(self, data, **kwargs):
        if data.get("amount") is not None and data["amount"] <= 0:
            raise ValidationError({"amount": ["Must be greater than zero."]})


# ---------------------------------------------------------------------------- answers
class PaymentAnswer(Answer):
    id = fields.String(required=True)
    order_id = fields.String(required=True)
    status = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    refunded_amount = fields.Nested(MoneySchema, required=True)
    intent_id = fields.String(required=True, allow_none=True)
    gateway = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class RefundStartedAnswer(Answer):
    id = fields.String(required=True)
    status = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class RefundAnswer(PaymentAnswer):
    refund = fields.Nested(RefundStartedAnswer)


# the payment gateway's webhook (a function URL, not a route of this app: documented with it)
class WebhookObjectSchema(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(metadata={"example": "pi_3Nx"})
    object = fields.String(metadata={"example": "payment_intent"})
    payment_intent = fields.String(metadata={"description": "Charges and refunds: their payment intent."})


class WebhookDataSchema(Schema):
    class Meta:
        unknown = INCLUDE

    object = fields.Nested(WebhookObjectSchema, required=True)


class WebhookEventSchema(Schema):
    """A gateway event (Stripe's shape), signed in the Stripe-Signature header."""
    OPENAPI_EXAMPLE = {"id": "evt_1Nx", "type": "payment_intent.succeeded",
                       "data": {"object": {"id": "pi_3Nx", "object": "payment_intent"}}}

    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True, validate=validate.Length(1, 128), metadata={"pattern": r"^[A-Za-z0-9_.:-]+$"})
    type = fields.String(required=True, metadata={"example": "payment_intent.succeeded"})
    data = fields.Nested(WebhookDataSchema, required=True)


class WebhookAnswer(Answer):
    received = fields.Boolean(required=True)
