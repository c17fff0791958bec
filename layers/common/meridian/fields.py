"""Marshmallow fields shared by the services' schemas (each rule once)."""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate

from .countries import COUNTRY_CODES
from .money import UnknownCurrency, currency_code
from .validation import has_control_characters

_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,19}$")


class Text(fields.String):
    """A one-line string trimmed of surrounding white space; blank or with control characters is an error."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError("Must not be blank.")
        if has_control_characters(text):
            raise ValidationError("Must not contain control characters.")
        return text


class Country(fields.String):
    """ISO 3166-1 alpha-2 (any case in, upper case out)."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in COUNTRY_CODES:
            raise ValidationError("Must be an ISO 3166-1 alpha-2 country code, such as DE or US.")
        return code


class CurrencyCode(fields.String):
    """An ISO 4217 code (money.currency_code: any case in, upper case out)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return currency_code(super()._deserialize(value, attr, data, **kwargs))
        except UnknownCurrency as error:
            raise ValidationError(str(error)) from None


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
