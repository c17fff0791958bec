"""Input schemas (marshmallow): every request body and query goes through one of these; and what the API
answers (for its OpenAPI document)."""
from __future__ import annotations

import re
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates, validates_schema
from meridian import locales
from meridian.fields import Answer, FxSchema, MinorUnitAmount, MoneySchema
from meridian.money import BASE_CURRENCY, CURRENCIES, UnknownCurrency, currency_code

from .image_urls import ImageUrl
from .models import DEFAULT_TAX_CLASS, PRODUCT_STATUSES, TAX_CLASSES
from .plain_text import PlainText

STATUSES = PRODUCT_STATUSES
MAX_BASE_PRICE = Decimal("1000000000")
MAX_STOCK = 10_000_000
MAX_VARIANTS = 50
MAX_RESERVATION_LINES = 50
MAX_QUOTE_LINES = 50
MAX_WEIGHT_GRAMS = 1_000_000
MAX_FIXED_PRICES = 200          # more than ISO 4217 has

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CATEGORY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SKU_MESSAGE = "Letters, digits, '.', '_', '-'; up to 64, starting with a letter or digit."
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Price(MinorUnitAmount):
    """A base-currency (USD) amount above 0 and below MAX_BASE_PRICE (meridian.fields.MinorUnitAmount)."""
    OPENAPI = {"anyOf": [
        {"type": "string", "pattern": r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,8}(\.[0-9]{1,2})?)$",
         "example": "19.99"},
        {"type": "integer", "minimum": 1, "maximum": 999999999}], "description": "USD, at most 2 decimals."}

    def __init__(self, **kwargs):
        super().__init__(BASE_CURRENCY, above=0, below=MAX_BASE_PRICE, **kwargs)


class FixedPrices(fields.Dict):
    """Fixed prices per currency, `{"JPY": "2500", "EUR": "21.90"}`: each key an ISO 4217 code meridian.money
    knows (any case in, upper case out), each amount above 0, within its currency's minor units and
    money.parse_amount's limits (MinorUnitAmount). Errors name the currency as sent: `prices.EUR`.
    `removable` (FixedPriceChanges): null removes that currency's fixed price (PATCH); otherwise null is refused."""
    OPENAPI = {"type": "object", "maxProperties": MAX_FIXED_PRICES,
               "additionalProperties": {"anyOf": [
                   {"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,3})?$"}, {"type": "integer", "minimum": 1}]},
               "description": "ISO 4217 code → the unit's price in it as shown to the shopper (tax included where "
                              "the market shows prices with tax); wins over conversion.",
               "example": {"JPY": "2500", "EUR": "21.90"}}

    removable = False

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Must be an object of ISO 4217 codes to amounts.")
        if len(value) > MAX_FIXED_PRICES:
            raise ValidationError(f"At most {MAX_FIXED_PRICES} currencies.")
        out: dict[str, Decimal | None] = {}
        errors: dict[str, list[str]] = {}
        for key, amount in value.items():
            try:
                code = currency_code(key)
            except UnknownCurrency as error:
                errors[str(key)] = [str(error)]
                continue
            if code in out:
                errors[str(key)] = [f"{code} is given twice."]
            elif amount is None:
                if self.removable:
                    out[code] = None
                else:
                    errors[str(key)] = ["Give an amount (null removes a fixed price on PATCH only)."]
            else:
                try:
                    out[code] = MinorUnitAmount(code, above=0).deserialize(amount)
                except ValidationError as error:
                    errors[str(key)] = error.messages
        if errors:
            raise ValidationError(errors)
        return out


class FixedPriceChanges(FixedPrices):
    """FixedPrices to change (PATCH): null removes that currency's fixed price."""
    OPENAPI = {**FixedPrices.OPENAPI, "additionalProperties": {**FixedPrices.OPENAPI["additionalProperties"],
                                                                "nullable": True},
        "description": "Currency → a new fixed price, or null to remove it (the others stay).",
        "example": {"JPY": "2500", "EUR": None}}
    removable = True


class StrictInteger(fields.Integer):
    """An integer that refuses booleans, floats and numeric strings."""
    OPENAPI = {"type": "integer"}

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class Attributes(fields.Dict):
    """Product attributes: up to 40 `snake_case` names with plain-text, number or boolean values."""
    OPENAPI = {"type": "object", "maxProperties": 40, "description": "snake_case names (up to 40 characters).",
               "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "integer"},
                                                  {"type": "boolean"}]}, "example": {"material": "cotton"}}

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


class Weight(StrictInteger):
    """Shipping weight of one unit, in whole grams (0 to MAX_WEIGHT_GRAMS)."""
    OPENAPI = {"type": "integer", "minimum": 0, "maximum": MAX_WEIGHT_GRAMS, "description": "Grams."}

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(0, MAX_WEIGHT_GRAMS), **kwargs)


class TaxClass(fields.String):
    """How a product is taxed (models.TAX_CLASSES); the rate of each class is the orders service's."""
    OPENAPI = {"type": "string", "enum": list(TAX_CLASSES)}

    def __init__(self, **kwargs):
        super().__init__(validate=validate.OneOf(TAX_CLASSES), **kwargs)


class Locale(fields.String):
    """A supported locale, as the catalog's `?locale=` takes it (`meridian.locales.match`: de-DE → de)."""
    OPENAPI = dict(locales.OPENAPI_SCHEMA)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        found = locales.match(text)
        if found is None:
            raise ValidationError(f"{text!r} is not a supported locale.")
        return found


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class VariantSchema(_Strict):
    sku = fields.String(required=True, validate=validate.Regexp(SKU, error=SKU_MESSAGE))
    attributes = Attributes(load_default=dict)
    base_price = Price(load_default=None, allow_none=True)
    stock = StrictInteger(load_default=0, validate=validate.Range(0, MAX_STOCK))
    weight_grams = Weight(load_default=None, allow_none=True)    # None: the product's
    prices = FixedPrices(load_default=dict)


class VariantPatchSchema(_Strict):
    """A variant's own fixed prices (null removes one), base price or weight (null: the product's)."""
    OPENAPI_EXAMPLE = {"prices": {"JPY": "2800", "EUR": None}}

    prices = FixedPriceChanges()
    base_price = Price(allow_none=True)
    weight_grams = Weight(allow_none=True)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")


def _unique_skus(variants: list[dict]) -> None:
    seen: set[str] = set()
    errors = {}
    for index, variant in enumerate(variants):
        if not isinstance(variant.get("sku"), str):
            continue            # that variant's own error (sku missing) is already reported
        key = variant["sku"].upper()
        if key in seen:
            errors[index] = {"sku": ["Duplicate SKU."]}
        seen.add(key)
    if errors:
        raise ValidationError(errors, "variants")


class ProductCreateSchema(_Strict):
    OPENAPI_EXAMPLE = {"name": "Linen shirt", "description": "Breathable, for summer.", "category": "shirts",
                       "base_price": "49.90", "stock": 25}

    name = PlainText(required=True, min_length=1, max_length=200)
    description = PlainText(load_default="", max_length=5000, multiline=True)
    category = fields.String(required=True, validate=[validate.Length(1, 40), validate.Regexp(
        CATEGORY, error="Lower-case letters, digits and hyphens.")])
    base_price = Price(required=True)
    weight_grams = Weight(load_default=0)
    tax_class = TaxClass(load_default=DEFAULT_TAX_CLASS)
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))
    slug = fields.String(load_default=None, validate=[validate.Length(1, 120), validate.Regexp(
        SLUG, error="Lower-case letters, digits and single hyphens.")])
    sku = fields.String(load_default=None, validate=validate.Regexp(SKU, error=SKU_MESSAGE))
    images = fields.List(ImageUrl(), load_default=list, validate=validate.Length(max=10))
    attributes = Attributes(load_default=dict)
    stock = StrictInteger(load_default=None, validate=validate.Range(0, MAX_STOCK))
    prices = FixedPrices(load_default=dict)
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
    OPENAPI_EXAMPLE = {"base_price": "44.90", "status": "active"}

    name = PlainText(min_length=1, max_length=200)
    description = PlainText(max_length=5000, multiline=True)
    category = fields.String(validate=[validate.Length(1, 40), validate.Regexp(
        CATEGORY, error="Lower-case letters, digits and hyphens.")])
    base_price = Price()
    weight_grams = Weight()
    tax_class = TaxClass()
    status = fields.String(validate=validate.OneOf(STATUSES))
    slug = fields.String(validate=[validate.Length(1, 120), validate.Regexp(
        SLUG, error="Lower-case letters, digits and single hyphens.")])
    images = fields.List(ImageUrl(), validate=validate.Length(max=10))
    attributes = Attributes()
    prices = FixedPriceChanges()

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")


class LocalizationSchema(_Strict):
    OPENAPI_EXAMPLE = {"name": "Leinenhemd", "description": "Atmungsaktiv, für den Sommer.", "slug": "leinenhemd"}

    name = PlainText(required=True, min_length=1, max_length=200)
    description = PlainText(load_default="", max_length=5000, multiline=True)
    slug = fields.String(load_default=None, validate=[validate.Length(1, 120), validate.Regexp(
        SLUG, error="Lower-case letters, digits and single hyphens.")])


class InventorySchema(_Strict):
    OPENAPI_EXAMPLE = {"quantity": 40}

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


class RestockSchema(_Strict):
    """Units the orders service took back, to put back in stock once (restock_id: single-use)."""
    restock_id = fields.UUID(required=True)
    items = fields.List(fields.Nested(ReservationLineSchema), required=True,
                        validate=validate.Length(1, MAX_RESERVATION_LINES))


class QuoteLineSchema(_Strict):
    product_id = fields.UUID(required=True)
    sku = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(SKU, error="Not a valid SKU."))


class QuoteSchema(_Strict):
    locale = Locale(load_default=locales.DEFAULT_LOCALE, allow_none=True)
    items = fields.List(fields.Nested(QuoteLineSchema), required=True, validate=validate.Length(1, MAX_QUOTE_LINES))

    @post_load
    def _default_locale(self, data, **kwargs):
        data["locale"] = data.get("locale") or locales.DEFAULT_LOCALE
        return data


# an empty ?locale= is no choice (the saved locale, Accept-Language, en serve): the pattern allows it
LOCALE = {"pattern": "^(?:" + locales.OPENAPI_SCHEMA["pattern"][1:-1] + ")?$", "example": "pt-BR",
          "description": "An active locale of GET /api/v1/localization/locales; wins over the saved preference, "
                         "which wins over Accept-Language."}
CURRENCY = {"enum": sorted(CURRENCIES), "description": "Wins over the saved preference; default USD."}


NOT_EMPTY = validate.Length(min=1, error="Give a value or leave the parameter out.")


class ListQuerySchema(_Strict):
    locale = fields.String(load_default=None, validate=NOT_EMPTY, metadata=LOCALE)
    currency = fields.String(load_default=None, validate=NOT_EMPTY, metadata=CURRENCY)
    category = fields.String(load_default=None, validate=[validate.Length(1, 40), validate.Regexp(
        CATEGORY, error="Lower-case letters, digits and hyphens.")])
    q = PlainText(load_default=None, min_length=1, max_length=100)
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100, error="Must be from 1 to 100."))
    cursor = fields.String(load_default=None, validate=validate.Length(1, 2000))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class ProductQuerySchema(_Strict):
    locale = fields.String(load_default=None, validate=NOT_EMPTY, metadata=LOCALE)
    currency = fields.String(load_default=None, validate=NOT_EMPTY, metadata=CURRENCY)


# ---------------------------------------------------------------------------- categories, attribute dictionary
MAX_CATEGORY_POSITION = 100_000
MAX_DICTIONARY_VALUES = 200


class LocaleTexts(fields.Dict):
    """{locale: text}: each key a supported locale exactly as stored (`meridian.locales.validate`), each value
    plain text of one line (`plain_text`), at most `max_length` characters; or a slug with `slug=True`."""
    OPENAPI = {"type": "object", "additionalProperties": {"type": "string"}, "example": {"en": "Kitchen",
                                                                                         "ja": "キッチン"}}

    def __init__(self, *, max_length: int = 100, slug: bool = False, **kwargs):
        super().__init__(keys=fields.String(), values=fields.Raw(), **kwargs)
        self.max_length, self.slug = max_length, slug

    def _deserialize(self, value, attr, data, **kwargs):
        from meridian.errors import ValidationFailed

        from .plain_text import clean

        raw = super()._deserialize(value, attr, data, **kwargs)
        out, errors = {}, {}
        for code, text in raw.items():
            try:
                code = locales.validate(code)
            except ValidationFailed:
                errors[code] = [f"{code!r} is not a supported locale."]
                continue
            if not isinstance(text, str):
                errors[code] = ["Not a valid string."]
                continue
            if self.slug:
                if not SLUG.match(text) or len(text) > 40:
                    errors[code] = ["Lower-case letters, digits and single hyphens; up to 40 characters."]
                    continue
            else:
                try:
                    text = clean(text)
                except ValidationError as error:
                    errors[code] = error.messages
                    continue
                if not 1 <= len(text) <= self.max_length:
                    errors[code] = [f"From 1 to {self.max_length} characters."]
                    continue
            out[code] = text
        if errors:
            raise ValidationError(errors)
        return out


CATEGORY_KEY = [validate.Length(1, 40), validate.Regexp(CATEGORY, error="Lower-case letters, digits and hyphens.")]


class CategorySchema(_Strict):
    """PUT /categories/{key}: the whole category (create or replace)."""
    OPENAPI_EXAMPLE = {"parent": None, "position": 2, "names": {"en": "Kitchen", "de": "Küche", "ja": "キッチン"},
                       "slugs": {"de": "kueche", "ja": "kicchin"}}

    parent = fields.String(load_default=None, allow_none=True, validate=CATEGORY_KEY)
    position = StrictInteger(load_default=0, validate=validate.Range(0, MAX_CATEGORY_POSITION))
    names = LocaleTexts(required=True, max_length=100)
    slugs = LocaleTexts(load_default=dict, slug=True)

    @validates_schema
    def _english_name(self, data, **kwargs):
        if "names" in data and "en" not in data["names"]:
            raise ValidationError({"en": ["An English name is required (every fallback chain ends in en)."]},
                                  "names")


class CategoryKeySchema(_Strict):
    key = fields.String(required=True, validate=CATEGORY_KEY)


class CategoryQuerySchema(_Strict):
    locale = fields.String(load_default=None, metadata=LOCALE)
    tree = fields.Boolean(load_default=False, metadata={"description": "true: nested by parent (`children`)."})


class AttributeValues(fields.Dict):
    """{raw value: {locale: label}}: labels of an attribute's values (raw as products store them)."""
    OPENAPI = {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {
        "type": "string"}}, "example": {"canvas": {"de": "Segeltuch", "ja": "キャンバス"}}}

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(validate=validate.Length(1, 200)), values=LocaleTexts(max_length=200),
                         **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        out = super()._deserialize(value, attr, data, **kwargs)
        if len(out) > MAX_DICTIONARY_VALUES:
            raise ValidationError(f"At most {MAX_DICTIONARY_VALUES} values.")
        return out


class AttributeSchema(_Strict):
    """PUT /attributes/{key}: an attribute's (or variant option's) names and its values' labels, per locale."""
    OPENAPI_EXAMPLE = {"names": {"en": "Material", "de": "Material", "ja": "素材"},
                       "values": {"canvas": {"en": "Canvas", "de": "Segeltuch", "ja": "キャンバス"}}}

    names = LocaleTexts(required=True, max_length=100)
    values = AttributeValues(load_default=dict)


class AttributeKeySchema(_Strict):
    key = fields.String(required=True, validate=validate.Regexp(
        ATTRIBUTE_NAME, error="Attribute names are snake_case, up to 40 characters."))


# ---------------------------------------------------------------------------- answers
class StockLevelAnswer(Answer):
    sku = fields.String(required=True, allow_none=True)
    available = fields.Integer(required=True)
    held = fields.Integer(required=True)
    sold = fields.Integer(required=True)


ATTRIBUTE_LABELS = {"description": "{key: {name, value}} in the served locale (the attribute dictionary; else raw).",
                    "example": {"material": {"name": "素材", "value": "キャンバス"}}}


class VariantAnswer(Answer):
    sku = fields.String(required=True)
    attributes = fields.Dict(required=True)
    attribute_labels = fields.Dict(metadata=ATTRIBUTE_LABELS)
    price = fields.Nested(MoneySchema, required=True)
    base_price = fields.Nested(MoneySchema, required=True)
    in_stock = fields.Boolean(required=True)
    weight_grams = fields.Integer(required=True, metadata={"description": "Grams: its own, else the product's."})


class ShelfTaxAnswer(Answer):
    """Whether the price includes tax: it does in markets that show prices with tax (EU, UK, Japan…)."""
    included = fields.Boolean(required=True)
    rate = fields.String(metadata={"example": "0.19"})
    name = fields.String(metadata={"example": "VAT"})
    country = fields.String(allow_none=True, metadata={"example": "DE"})


class ProductAnswer(Answer):
    """A product as shoppers see it: localized and priced (detail fields on GET /{id}; admin fields for admins)."""
    id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True, metadata={"description": "The category's key."})
    category_name = fields.String(required=True, metadata={"description": "In the served locale (else the key)."})
    category_slug = fields.String(required=True, metadata={"description": "In the served locale (else the key)."})
    price = fields.Nested(MoneySchema, required=True)
    base_price = fields.Nested(MoneySchema, required=True)
    in_stock = fields.Boolean(required=True)
    locale = fields.String(required=True)
    fx = fields.Nested(FxSchema, required=True)
    tax = fields.Nested(ShelfTaxAnswer, required=True)
    image = fields.String(required=True, allow_none=True)
    weight_grams = fields.Integer(required=True, metadata={"description": "Grams."})
    tax_class = fields.String(required=True, metadata={"enum": list(TAX_CLASSES)})
    sku = fields.String(allow_none=True)
    attributes = fields.Dict()
    attribute_labels = fields.Dict(metadata=ATTRIBUTE_LABELS)
    created_at = fields.String()
    updated_at = fields.String()
    images = fields.List(fields.String())
    variants = fields.List(fields.Nested(VariantAnswer))
    status = fields.String(metadata={"enum": list(STATUSES)})
    canonical_slug = fields.String()
    stock = fields.List(fields.Nested(StockLevelAnswer))
    locales = fields.List(fields.String())
    prices = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "Admins: the fixed prices (currency → amount)."})


class ProductPageAnswer(Answer):
    items = fields.List(fields.Nested(ProductAnswer), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
    locale = fields.String(required=True)
    currency = fields.String(required=True)


class AdminVariantAnswer(Answer):
    sku = fields.String(required=True)
    attributes = fields.Dict(required=True)
    base_price = fields.Nested(MoneySchema, required=True, allow_none=True)
    prices = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "Its own fixed prices (currency → amount); with the product's base price it also has the "
                       "product's, its own winning."})
    weight_grams = fields.Integer(required=True, metadata={"description": "Grams: its own, else the product's."})


class ProductAdminAnswer(Answer):
    """Everything stored about a product, in the base currency."""
    id = fields.String(required=True)
    slug = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    base_price = fields.Nested(MoneySchema, required=True)
    weight_grams = fields.Integer(required=True, metadata={"description": "Grams."})
    tax_class = fields.String(required=True, metadata={"enum": list(TAX_CLASSES)})
    prices = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "Fixed prices (currency → amount as shown to the shopper), winning over conversion.",
        "example": {"JPY": "2500"}})
    sku = fields.String(required=True, allow_none=True)
    attributes = fields.Dict(required=True)
    images = fields.List(fields.String(), required=True)
    variants = fields.List(fields.Nested(AdminVariantAnswer), required=True)
    localizations = fields.Dict(required=True)
    stock = fields.List(fields.Nested(StockLevelAnswer), required=True)
    in_stock = fields.Boolean(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    version = fields.Integer(required=True)


class LocalizationAnswer(Answer):
    product_id = fields.String(required=True)
    locale = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    slug = fields.String(required=True, allow_none=True)
    updated_at = fields.String()


class LocalizationListAnswer(Answer):
    items = fields.List(fields.Nested(LocalizationAnswer), required=True)


class InventoryAnswer(Answer):
    product_id = fields.String(required=True)
    items = fields.List(fields.Nested(StockLevelAnswer), required=True)


class StockSetAnswer(StockLevelAnswer):
    product_id = fields.String(required=True)


class CategoryAnswer(Answer):
    """A category in the served locale (names and slugs per locale for admins)."""
    key = fields.String(required=True)
    slug = fields.String(required=True, metadata={"description": "Localized (fallback chain), else the key."})
    name = fields.String(required=True)
    locale = fields.String(required=True, metadata={"description": "The locale the name was served in."})
    parent = fields.String(required=True, allow_none=True)
    position = fields.Integer(required=True)
    depth = fields.Integer(metadata={"description": "Flat list: 0 for a root."})
    children = fields.List(fields.Dict(), metadata={"description": "?tree=true: the child categories, nested."})
    names = fields.Dict()
    slugs = fields.Dict()
    updated_at = fields.String()


class CategoryListAnswer(Answer):
    locale = fields.String(required=True)
    items = fields.List(fields.Nested(CategoryAnswer), required=True)


class CategoryAdminAnswer(Answer):
    key = fields.String(required=True)
    parent = fields.String(required=True, allow_none=True)
    position = fields.Integer(required=True)
    names = fields.Dict(required=True)
    slugs = fields.Dict(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class AttributeAnswer(Answer):
    key = fields.String(required=True)
    names = fields.Dict(required=True)
    values = fields.Dict(required=True)
    updated_at = fields.String(required=True)


class AttributeListAnswer(Answer):
    items = fields.List(fields.Nested(AttributeAnswer), required=True)
