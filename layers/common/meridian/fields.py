"""Marshmallow fields shared by the services' schemas (each rule once)."""
from __future__ import annotations

import re
from decimal import Decimal

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from . import preferences
from .countries import COUNTRY_CODES
from .errors import ValidationFailed
from .locales import OPENAPI_SCHEMA as LOCALE_OPENAPI
from .money import (
    BASE_CURRENCY,
    CURRENCIES,
    UnknownCurrency,
    currency_code,
    fits_minor_units,
    parse_amount,
    precision_problem,
    round_to_minor,
)
from .validation import has_control_characters

_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,19}$")
# one line of text, not blank, no C0/C1 control characters (the OpenAPI pattern of Text)
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"


class Text(fields.String):
    """A one-line string trimmed of surrounding white space; blank or with control characters is an error."""
    OPENAPI = {"type": "string", "pattern": ONE_LINE_PATTERN}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError("Must not be blank.")
        if has_control_characters(text):
            raise ValidationError("Must not contain control characters.")
        return text


class StrictBoolean(fields.Boolean):
    """true or false, nothing else (marshmallow's Boolean also takes 0, 1, "yes", …)."""
    OPENAPI = {"type": "boolean"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


class Country(fields.String):
    """ISO 3166-1 alpha-2 (any case in, upper case out)."""
    OPENAPI = {"type": "string", "enum": sorted(COUNTRY_CODES), "description": "ISO 3166-1 alpha-2 (any case)."}

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in COUNTRY_CODES:
            raise ValidationError("Must be an ISO 3166-1 alpha-2 country code, such as DE or US.")
        return code


class Email(fields.Email):
    """An e-mail address, surrounding white space ignored (accounts and a guest cart's address alike)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


class CurrencyCode(fields.String):
    """An ISO 4217 code (money.currency_code: any case in, upper case out)."""
    OPENAPI = {"type": "string", "enum": sorted(CURRENCIES), "description": "ISO 4217 (any case)."}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return currency_code(super()._deserialize(value, attr, data, **kwargs))
        except UnknownCurrency as error:
            raise ValidationError(str(error)) from None


class PreferredLocale(fields.String):
    """A locale a user may keep as a preference: one the localization service supports
    (`meridian.preferences`), spelt as it spells it (pt-br → pt-BR)."""
    OPENAPI = dict(LOCALE_OPENAPI)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return preferences.validate_locale(text)
        except ValidationFailed as error:
            raise ValidationError(f"{text!r} is not a supported locale.") from error


class PreferredCurrency(fields.String):
    """A currency a user may keep as a preference: an ISO 4217 code the localization service supports
    (`meridian.preferences`), upper case."""
    OPENAPI = {"type": "string", "enum": sorted(CURRENCIES), "description": "A supported ISO 4217 currency."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return preferences.validate_currency(text)
        except ValidationFailed as error:
            raise ValidationError(f"{text!r} is not a supported currency.") from error


class MinorUnitAmount(fields.Field):
    """An amount of money in `currency`: a string ("19.99") or an integer, never a float or a boolean; a
    plain non-negative number (money.parse_amount) no finer than the currency's minor units
    (money.fits_minor_units), strictly between `above` and `below` when given. Loads a Decimal.
    `currency=None`: the currency is not the request's to say (a refund is in its payment's), so the
    minor units are checked where it is known (payments' gateway rules)."""
    OPENAPI = {"anyOf": [{"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,3})?$", "example": "19.99"},
                         {"type": "integer", "minimum": 0, "maximum": 999999999999}],
               "description": "An amount within its currency's minor units."}

    def __init__(self, currency: str | None = BASE_CURRENCY, *, above: Decimal | int | None = None,
                 below: Decimal | int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.currency, self.above, self.below = currency, above, below

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or isinstance(value, float):
            raise ValidationError('Send amounts as strings, e.g. "19.99".')
        try:
            amount = parse_amount(value)
        except ValueError as error:
            raise ValidationError(f"Is not a valid amount ({error}).") from None
        if (self.above is not None and amount <= self.above) or (self.below is not None and amount >= self.below):
            raise ValidationError(self._range_message())
        if self.currency is None:
            return amount
        if not fits_minor_units(amount, self.currency):
            raise ValidationError(precision_problem(self.currency))
        return round_to_minor(amount, self.currency)

    def _range_message(self) -> str:
        if self.above is not None and self.below is not None:
            return f"Must be greater than {self.above} and below {self.below}."
        return f"Must be greater than {self.above}." if self.above is not None else f"Must be below {self.below}."


class AddressSchema(Schema):
    """A postal address: the users' address book and an order's shipping address alike."""
    name = Text(required=True, validate=validate.Length(max=100))
    line1 = Text(required=True, validate=validate.Length(max=200))
    line2 = Text(allow_none=True, load_default=None, validate=validate.Length(max=200))
    city = Text(required=True, validate=validate.Length(max=100))
    region = Text(allow_none=True, load_default=None, validate=validate.Length(max=100))
    postal_code = Text(required=True, validate=validate.Regexp(
        _POSTAL_CODE, error="Must be 1 to 20 letters, digits, spaces or hyphens."))
    country = Country(required=True)


# ---------------------------------------------------------------------------- shared answer schemas
# What responses look like, for the OpenAPI documents (meridian.apidoc); never used to load input.
class Answer(Schema):
    """Base of response schemas: answers may gain fields (additionalProperties), never lose these."""

    class Meta:
        unknown = INCLUDE


class MoneySchema(Answer):
    amount = fields.String(required=True, metadata={"pattern": r"^-?\d+(\.\d+)?$", "example": "19.99"})
    currency = fields.String(required=True, metadata={"pattern": "^[A-Z]{3}$", "example": "EUR"})


class FxSchema(Answer):
    rate = fields.String(required=True, allow_none=True, metadata={"example": "0.92",
                                                                   "description": "null: a fixed price, not converted"})
    as_of = fields.String(required=True, allow_none=True)
    source = fields.String(required=True, allow_none=True)
    stale = fields.Boolean(required=True)


class HealthSchema(Answer):
    status = fields.String(required=True, metadata={"enum": ["ok"]})
    service = fields.String(required=True)


class PageQuerySchema(Schema):
    """?limit= (1–100, default 20) and the opaque ?cursor= of the previous page (meridian.pagination)."""
    limit = fields.Integer(validate=validate.Range(1, 100))
    cursor = fields.String(metadata={"description": "next_cursor of the previous page (empty: the first page)."})


class AddressAnswer(Answer):
    """A postal address as answered (users' address book, an order's shipping address)."""
    name = fields.String(required=True)
    line1 = fields.String(required=True)
    line2 = fields.String(allow_none=True)
    city = fields.String(required=True)
    region = fields.String(allow_none=True)
    postal_code = fields.String(required=True)
    country = fields.String(required=True, metadata={"pattern": "^[A-Z]{2}$"})
