"""Request bodies of the users API (marshmallow; failures become 400 with per-field errors), and what it
answers (for its OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate
from meridian.auth import ROLES
from meridian.fields import AddressAnswer, AddressSchema, Answer, PreferredCurrency, PreferredLocale, Text


class ProfilePatchSchema(Schema):
    OPENAPI_EXAMPLE = {"name": "Ada Lovelace", "locale": "de", "currency": "EUR"}

    name = Text(allow_none=True, validate=validate.Length(max=100))
    locale = PreferredLocale(allow_none=True)
    currency = PreferredCurrency(allow_none=True)


class NewAddressSchema(AddressSchema):
    """A new entry of the address book."""
    OPENAPI_EXAMPLE = {"name": "Ada Lovelace", "line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115",
                       "country": "DE"}


class AddressPatchSchema(AddressSchema):
    """The same fields, each optional; line2 and region may be cleared with null."""
    OPENAPI_EXAMPLE = {"line2": "2nd floor", "postal_code": "10117"}

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


# ---------------------------------------------------------------------------- answers
class ProfileAnswer(Answer):
    id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, metadata={"enum": list(ROLES)})
    locale = fields.String(required=True, allow_none=True)
    currency = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class SavedAddressAnswer(AddressAnswer):
    id = fields.String(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
