"""Request bodies of the users API (marshmallow; failures become 400 with per-field errors)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate
from meridian import preferences
from meridian.fields import AddressSchema, Text


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


class ProfilePatchSchema(Schema):
    name = Text(allow_none=True, validate=validate.Length(max=100))
    locale = Locale(allow_none=True)
    currency = Currency(allow_none=True)


class AddressPatchSchema(AddressSchema):
    """The same fields, each optional; line2 and region may be cleared with null."""
