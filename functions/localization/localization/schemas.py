"""Marshmallow schemas of the localization API's inputs (query strings and bodies), and what it answers
(for its OpenAPI document)."""
from __future__ import annotations

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from meridian.fields import Answer, CurrencyCode, MoneySchema, StrictBoolean
from meridian.money import BASE_CURRENCY, parse_amount

MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 8
_PLAIN = re.compile(rf"^\d{{1,{MAX_INTEGER_DIGITS}}}(\.\d{{1,{MAX_FRACTION_DIGITS}}})?$")
_NEGATIVE = re.compile(r"^-\s*\d+(\.\d+)?$")


class Amount(fields.String):
    """A non-negative decimal in plain notation ("10", "19.99"): at most MAX_INTEGER_DIGITS
    before the point and MAX_FRACTION_DIGITS after it (no exponents, no signs); Decimal out."""
    OPENAPI = {"type": "string", "pattern": _PLAIN.pattern, "example": "19.99"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 1:
            raise ValidationError(f"Amount is too long (at most {MAX_INTEGER_DIGITS} digits before the point "
                                  f"and {MAX_FRACTION_DIGITS} after it).")
        if _NEGATIVE.match(text):
            raise ValidationError("Amount must not be negative.")
        if not _PLAIN.match(text):
            raise ValidationError("Amount must be a number such as 10 or 19.99.")
        try:
            return parse_amount(text, max_digits=MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS,
                                max_integer_digits=MAX_INTEGER_DIGITS)
        except ValueError as error:  # pragma: no cover - the pattern already excludes it
            raise ValidationError(f"Amount is not usable ({error}).") from None


class LocaleBody(Schema):
    """PUT /locales/{code}: a new locale needs name and fallback; for one that exists, omitted fields keep
    their value (`{"active": false}` deactivates it). The rules of the chain: localization/locale_registry.py."""
    OPENAPI_EXAMPLE = {"name": "French (Belgium)", "native_name": "Français (Belgique)", "direction": "ltr",
                       "fallback": ["fr", "en"], "active": True}

    name = fields.String(validate=validate.Length(1, 64))
    native_name = fields.String(validate=validate.Length(1, 64))
    direction = fields.String(validate=validate.OneOf(["ltr", "rtl"]))
    fallback = fields.List(fields.String(validate=validate.Length(1, 35)), validate=validate.Length(max=9),
                           metadata={"description": "The chain after the code, ending in en (empty for en)."})
    active = StrictBoolean()


class RatesQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    base = CurrencyCode(load_default=BASE_CURRENCY)


class ConvertQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    amount = Amount(required=True)
    from_ = CurrencyCode(required=True, data_key="from")
    to = CurrencyCode(required=True)


class CurrenciesQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    all = fields.Boolean(load_default=False)


class CurrencySettingSchema(Schema):
    """PUT /currencies/{code}: sell in it or not, and its price-rounding rule (meridian.money.RoundingRule)."""
    OPENAPI_EXAMPLE = {"active": True, "rounding": {"increment": "10", "mode": "nearest"}}

    active = StrictBoolean(required=True)
    rounding = fields.Raw(load_default=None, allow_none=True, metadata={
        "description": "null (round to minor units), {increment, mode: nearest|up} or {ending, increment?}",
        "example": {"increment": "0.05", "mode": "nearest"}})


class RefreshBody(Schema):
    OPENAPI_EXAMPLE = {"accept_large_moves": False}

    accept_large_moves = StrictBoolean(load_default=False)


# ---------------------------------------------------------------------------- answers
class LocaleAnswer(Answer):
    code = fields.String(required=True, metadata={"example": "pt-BR"})
    name = fields.String(required=True)
    native_name = fields.String(required=True)
    rtl = fields.Boolean(required=True)
    direction = fields.String(required=True, metadata={"enum": ["ltr", "rtl"]})
    fallback = fields.List(fields.String(), required=True, metadata={"example": ["pt-BR", "pt", "en"]})
    active = fields.Boolean()


class LocaleListAnswer(Answer):
    items = fields.List(fields.Nested(LocaleAnswer), required=True)
    default = fields.String(required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class CurrencyAnswer(Answer):
    code = fields.String(required=True)
    name = fields.String(required=True)
    minor_units = fields.Integer(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    rounding = fields.Dict(required=True, allow_none=True)
    rate_available = fields.Boolean(required=True)
    rate_source = fields.String(required=True, allow_none=True)


class CurrencyListAnswer(Answer):
    items = fields.List(fields.Nested(CurrencyAnswer), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class RatesAnswer(Answer):
    base = fields.String(required=True)
    rates = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                        metadata={"example": {"EUR": "0.92", "JPY": "151.3"}})
    as_of = fields.String(required=True)
    source = fields.String(required=True)
    stale = fields.Boolean(required=True)
    snapshot_id = fields.String(required=True)
    confirmed_at = fields.String(required=True)
    sources = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"example": {"EUR": "ecb", "JPY": "ecb", "KWD": "exchangerate-api"}})
    currencies = fields.Dict(keys=fields.String(), values=fields.Dict(), metadata={
        "description": "The shop's sold currencies {code: {minor_units, rounding}} (absent: none set yet)"})


class ConversionAnswer(Answer):
    amount = fields.Nested(MoneySchema, required=True)
    rate = fields.String(required=True)
    as_of = fields.String(required=True)
    source = fields.String(required=True)
    stale = fields.Boolean(required=True)
    snapshot_id = fields.String(required=True)
    from_ = fields.Nested(MoneySchema, required=True, data_key="from")


class RefreshOutcomeAnswer(Answer):
    status = fields.String(required=True, metadata={"enum": ["refreshed", "unchanged", "superseded", "refused",
                                                             "failed", "breaker_open"]})
    detail = fields.String()
    snapshot_id = fields.String()
    as_of = fields.String()
    source = fields.String()
    problems = fields.Dict()
    providers = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "With two providers, each one's outcome", "example": {"ecb": "ok", "exchangerate-api": "ok"}})

