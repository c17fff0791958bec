"""Request bodies of the users API (marshmallow; failures become 400 with per-field errors)."""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate
from meridian import preferences

from .countries import COUNTRY_CODES

_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,19}$")


class Text(fields.String):
    """A string trimmed of surrounding white space; blank or with control characters is an error."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError("Must not be blank.")
        if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text):
            raise ValidationError("Must not contain control characters.")
        return text


class Locale(fields.String):
    """A locale the localization service supports, spelt as it spells it (pt-br → pt-BR)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return preferences.validate_locale(text)
        except Exception as error:  # ValidationFailed → this field's message
            raise ValidationError(f"{text!r} is not a supported locale.") from error


class Currency(fields.String):
    """An ISO 4217 currency the localization service supports (upper case)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return preferences.validate_currency(text)
        except Exception as error:
            raise ValidationError(f"{text!r} is not a supported currency.") from error


class Country(fields.String):
    """ISO 3166-1 alpha-2, upper case."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in COUNTRY_CODES:
            raise ValidationError("Must be an ISO 3166-1 alpha-2 country code, such as DE or US.")
        return code


class ProfilePatchSchema(Schema):
    name = Text(allow_none=True, validate=validate.Length(max=100))
    locale = Locale(allow_none=True)
    currency = Currency(allow_none=True)


class AddressSchema(Schema):
    name = Text(required=True, validate=validate.Length(max=100))
    line1 = Text(required=True, validate=validate.Length(max=200))
    line2 = Text(allow_none=True, load_default=None, validate=validate.Length(max=200))
    city = Text(required=True, validate=validate.Length(max=100))
    region = Text(allow_none=True, load_default=None, validate=validate.Length(max=100))
    postal_code = Text(required=True, validate=validate.Regexp(
        _POSTAL_CODE, error="Must be 1 to 20 letters, digits, spaces or hyphens."))
    country = Country(required=True)


class AddressPatchSchema(AddressSchema):
    """The same fields, each optional; line2 and region may be cleared with null."""
