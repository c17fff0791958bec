"""Marshmallow fields shared by the services' schemas (each rule once)."""
from __future__ import annotations

from marshmallow import ValidationError, fields

from .money import UnknownCurrency, currency_code


class CurrencyCode(fields.String):
    """An ISO 4217 code (money.currency_code: any case in, upper case out)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return currency_code(super()._deserialize(value, attr, data, **kwargs))
        except UnknownCurrency as error:
            raise ValidationError(str(error)) from None
