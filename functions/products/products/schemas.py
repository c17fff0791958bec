"""Input schemas (marshmallow): every request body and query goes through one of these."""
from __future__ import annotations

import re
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates, validates_schema
from meridian.money import parse_amount, round_to_minor

from .image_urls import ImageUrl
from .plain_text import PlainText

STATUSES = ("draft", "active", "archived")
BASE_CURRENCY = "USD"
MAX_BASE_PRICE = Decimal("1000000000")
MAX_STOCK = 10_000_000
MAX_VARIANTS = 50
MAX_RESERVATION_LINES = 50

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CATEGORY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SKU_MESSAGE = "Letters, digits, '.', '_', '-'; up to 64, starting with a letter or digit."
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Price(fields.Field):
    """A USD amount sent as a string ("19.99") or an integer; floats are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or isinstance(value, float):
            raise ValidationError('Send amounts as strings, e.g. "19.99".')
        try:
            amount = parse_amount(value)
        except ValueError as error:
            raise ValidationError(f"Is not a valid amount ({error}).") from None
        if amount <= 0 or amount >= MAX_BASE_PRICE:
            raise ValidationError(f"Must be greater than 0 and below {MAX_BASE_PRICE}.")
        if round_to_minor(amount, BASE_CURRENCY) != amount:
            raise ValidationError(f"Has more decimals than {BASE_CURRENCY} allows (2).")
        return round_to_minor(amount, BASE_CURRENCY)


class StrictInteger(fields.Integer):
    """An integer that refuses booleans, floats and numeric strings."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class Attributes(fields.Dict):
    """Product attributes: up to 40 `snake_case` names with plain-text, number or boolean values."""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 40:
            raise ValidationError("At most 40 attributes.")
        from .plain_text import clean

        out, errors = {}, {}
        for name, item in raw.items():
            if not ATTRIBUTE_NAME.match(name):
                errors[name] = ["Attribute names are snake_case, up to 40 characters."]
            elif isinstance(item, bool):
                out[name] = item
            elif isinstance(item, int) and not isinstance(item, bool):
                out[name] = item
            elif isinstance(item, str):
                try:
                    text = clean(item)
                except ValidationError as error:
                    errors[name] = error.messages
                    continue
                if len(text) > 200:
                    errors[name] = ["At most 200 characters."]
                else:
                    out[name] = text
            else:
                errors[name] = ["Values are strings, integers or booleans."]
        if errors:
            raise ValidationError(errors)
        return out


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class VariantSchema(_Strict):
    sku = fields.String(required=True, validate=validate.Regexp(SKU, error=SKU_MESSAGE))
    attributes = Attributes(load_default=dict)
    base_price = Price(load_default=None, allow_none=True)
    stock = StrictInteger(load_default=0, validate=validate.Range(0, MAX_STOCK))


def _unique_skus(variants: list[dict]) -> None:
    seen: set[str] = set()
    errors = {}
    for index, variant in enumerate(variants):
        key = variant["sku"].upper()
        if key in seen:
            errors[index] = {"sku": ["Duplicate SKU."]}
        seen.add(key)
    if errors:
        raise ValidationError(errors, "variants")


class ProductCreateSchema(_Strict):
    name = PlainText(required=True, min_length=1, max_length=200)
    description = PlainText(load_default="", max_length=5000, multiline=True)
    category = fields.String(required=True, validate=[validate.Length(1, 40), validate.Regexp(
        CATEGORY, error="Lower-case letters, digits and hyphens.")])
    base_price = Price(required=True)
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))
    slug = fields.String(load_default=None, validate=[validate.Length(1, 120), validate.Regexp(
        SLUG, error="Lower-case letters, digits and single hyphens.")])
    sku = fields.String(load_default=None, validate=validate.Regexp(SKU, error=SKU_MESSAGE))
    images = fields.List(ImageUrl(), load_default=list, validate=validate.Length(max=10))
    attributes = Attributes(load_default=dict)
    stock = StrictInteger(load_default=None, validate=validate.Range(0, MAX_STOCK))
    variants = fields.List(fields.Nested(VariantSchema), load_default=list,
                           validate=validate.Length(max=MAX_VARIANTS))

    @validates("variants")
    def _variants(self, value, **kwargs):
        _unique_skus(value)

    @validates_schema
    def _stock_or_variants(self, data, **kwargs):
        if data.get("variants") and data.get("stock") is not None:
            raise ValidationError("A product with variants keeps stock per variant; set variants[].stock.", "stock")
        if data.get("variants") and data.get("sku"):
            raise ValidationError("A product with variants has a SKU per variant.", "sku")

    @post_load
    def _defaults(self, data, **kwargs):
        if data.get("stock") is None and not data.get("variants"):
            data["stock"] = 0
        return data


class ProductPatchSchema(_Strict):
    name = PlainText(min_length=1, max_length=200)
    description = PlainText(max_length=5000, multiline=True)
    category = fields.String(validate=[validate.Length(1, 40), validate.Regexp(
        CATEGORY, error="Lower-case letters, digits and hyphens.")])
    base_price = Price()
    status = fields.String(validate=validate.OneOf(STATUSES))
    slug = fields.String(validate=[validate.Length(1, 120), validate.Regexp(
        SLUG, error="Lower-case letters, digits and single hyphens.")])
    images = fields.List(ImageUrl(), validate=validate.Length(max=10))
    attributes = Attributes()

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")


class LocalizationSchema(_Strict):
    name = PlainText(required=True, min_length=1, max_length=200)
    description = PlainText(load_default="", max_length=5000, multiline=True)
    slug = fields.String(load_default=None, validate=[validate.Length(1, 120), validate.Regexp(
        SLUG, error="Lower-case letters, digits and single hyphens.")])


class InventorySchema(_Strict):
    quantity = StrictInteger(required=True, validate=validate.Range(0, MAX_STOCK))
    sku = fields.String(load_default=None, validate=validate.Regexp(SKU, error="Not a valid SKU."))


class ReservationLineSchema(_Strict):
    product_id = fields.UUID(required=True)
    sku = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(SKU, error="Not a valid SKU."))
    quantity = StrictInteger(required=True, validate=validate.Range(1, 1000))


class ReservationSchema(_Strict):
    reservation_id = fields.UUID(required=True)
    items = fields.List(fields.Nested(ReservationLineSchema), required=True,
                        validate=validate.Length(1, MAX_RESERVATION_LINES))
    ttl_seconds = StrictInteger(load_default=None, validate=validate.Range(60, 86400))


class ListQuerySchema(_Strict):
    locale = fields.String(load_default=None)
    currency = fields.String(load_default=None)
    category = fields.String(load_default=None, validate=[validate.Length(1, 40), validate.Regexp(
        CATEGORY, error="Lower-case letters, digits and hyphens.")])
    q = PlainText(load_default=None, min_length=1, max_length=100)
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100, error="Must be from 1 to 100."))
    cursor = fields.String(load_default=None, validate=validate.Length(1, 2000))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class ProductQuerySchema(_Strict):
    locale = fields.String(load_default=None)
    currency = fields.String(load_default=None)
