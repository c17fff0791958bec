"""Request bodies of the payments API (marshmallow), and what it answers (for its OpenAPI document)."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema
from meridian.fields import Answer, CurrencyCode, MinorUnitAmount, MoneySchema, StrictBoolean, Text
from meridian.money import fits_minor_units, parse_amount, precision_problem

from .breakdown import BREAKDOWN_TOTALS

MAX_BREAKDOWN_LINES, MAX_TAX_LINES = 100, 20


class RefundRequest(Schema):
    """All that is left to refund when `amount` is left out."""
    OPENAPI_EXAMPLE = {"amount": "10.00"}

    amount = MinorUnitAmount(currency=None, load_default=None)

    @validates_schema
    def positive(self, data, **kwargs):
        if data.get("amount") is not None and data["amount"] <= 0:
            raise ValidationError({"amount": ["Must be greater than zero."]})


class InternalRefundRequest(RefundRequest):
    """orders' refund of an order: the amount (its payment's currency) and orders' key for it, which the
    gateway's idempotency key is made of (a repeat never refunds twice)."""
    idempotency_key = fields.String(load_default=None, validate=validate.Length(min=1, max=255))


class TaxRate(fields.Field):
    """A tax rate: a plain decimal string from 0 to 1 ("0.19"); loads a Decimal."""
    OPENAPI = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "example": "0.19"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('Send the rate as a string, e.g. "0.19".')
        try:
            rate = parse_amount(value, max_integer_digits=1)
        except ValueError as error:
            raise ValidationError(f"Is not a valid rate ({error}).") from None
        if rate > 1:
            raise ValidationError("Must be from 0 to 1.")
        return rate


class BreakdownTaxRequest(Schema):
    name = Text(required=True, validate=validate.Length(max=100))
    rate = TaxRate(required=True)
    amount = MinorUnitAmount(currency=None, required=True)


class BreakdownLineRequest(Schema):
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    sku = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    unit_price = MinorUnitAmount(currency=None, required=True)
    line_total = MinorUnitAmount(currency=None, required=True)


class BreakdownRequest(Schema):
    """The figures of the amount, in the intent's currency (the minor units are checked by CreateIntentRequest,
    which knows the currency; that they add up to the amount, by payments/breakdown.py)."""
    subtotal = MinorUnitAmount(currency=None, required=True)
    discount_total = MinorUnitAmount(currency=None, required=True)
    shipping_total = MinorUnitAmount(currency=None, required=True)
    tax_total = MinorUnitAmount(currency=None, required=True)
    tax_included = StrictBoolean(required=True)
    taxes = fields.List(fields.Nested(BreakdownTaxRequest), load_default=list,
                        validate=validate.Length(max=MAX_TAX_LINES))
    lines = fields.List(fields.Nested(BreakdownLineRequest), load_default=list,
                        validate=validate.Length(max=MAX_BREAKDOWN_LINES))


def _breakdown_minor_unit_errors(breakdown: dict, currency: str) -> dict:
    """{field: [message]} (nested as the breakdown is) for every amount finer than `currency`'s minor units."""
    message = [precision_problem(currency)]
    errors: dict = {name: message for name in BREAKDOWN_TOTALS if not fits_minor_units(breakdown[name], currency)}
    for group, names in (("taxes", ("amount",)), ("lines", ("unit_price", "line_total"))):
        wrong = {index: {name: message for name in names if not fits_minor_units(item[name], currency)}
                 for index, item in enumerate(breakdown[group])}
        wrong = {index: fields_ for index, fields_ in wrong.items() if fields_}
        if wrong:
            errors[group] = wrong
    return errors


class CreateIntentRequest(Schema):
    order_id = fields.UUID(required=True)
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    amount = MinorUnitAmount(currency=None, required=True)
    currency = CurrencyCode(required=True)
    breakdown = fields.Nested(BreakdownRequest, load_default=None, allow_none=True,
                              metadata={"description": "What the amount is made of (absent: older callers)."})

    @validates_schema
    def positive(self, data, **kwargs):
        if data.get("amount") is not None and data["amount"] <= 0:
            raise ValidationError({"amount": ["Must be greater than zero."]})

    @validates_schema
    def breakdown_in_currency(self, data, **kwargs):
        if data.get("breakdown") and data.get("currency"):
            errors = _breakdown_minor_unit_errors(data["breakdown"], data["currency"])
            if errors:
                raise ValidationError({"breakdown": errors})


# ---------------------------------------------------------------------------- answers
class BreakdownTaxAnswer(Answer):
    name = fields.String(required=True, metadata={"example": "VAT"})
    rate = fields.String(required=True, metadata={"example": "0.19"})
    amount = fields.Nested(MoneySchema, required=True)


class BreakdownLineAnswer(Answer):
    product_id = fields.String(required=True)
    sku = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Nested(MoneySchema, required=True)
    line_total = fields.Nested(MoneySchema, required=True)


class BreakdownAnswer(Answer):
    """What the amount is made of: subtotal − discount_total + shipping_total (+ tax_total unless
    tax_included) is the amount; the taxes add up to tax_total."""
    subtotal = fields.Nested(MoneySchema, required=True)
    discount_total = fields.Nested(MoneySchema, required=True)
    shipping_total = fields.Nested(MoneySchema, required=True)
    tax_total = fields.Nested(MoneySchema, required=True)
    tax_included = fields.Boolean(required=True)
    taxes = fields.List(fields.Nested(BreakdownTaxAnswer), required=True)
    lines = fields.List(fields.Nested(BreakdownLineAnswer), required=True)


class PaymentAnswer(Answer):
    id = fields.String(required=True)
    order_id = fields.String(required=True)
    status = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    refunded_amount = fields.Nested(MoneySchema, required=True)
    intent_id = fields.String(required=True, allow_none=True)
    gateway = fields.String(required=True, allow_none=True)
    breakdown = fields.Nested(BreakdownAnswer, required=True, allow_none=True,
                              metadata={"description": "What the amount is made of; null for older payments."})
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
