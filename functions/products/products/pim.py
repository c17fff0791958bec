"""Product information management: create, update, archive, localize, set stock.

Every write is a conditional write (repository.py): unique slugs and SKUs are claim items put
with `attribute_not_exists`; product updates carry `version = <read version>` (optimistic
concurrency, 409 on a lost race); stock moves only by the steps of stock.py (reservations are
transactions over the product items; a product update that meets one in flight is retried,
`repository.update_product`). Each admin change describes itself (before/after) for the audit
log (`meridian.audit`).
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
import uuid
from typing import Any

from meridian import audit, locales
from meridian.clock import iso, utcnow
from meridian.errors import Conflict

from . import repository, stock
from .errors import ProductNotFound, SkuTaken, SlugTaken, VariantNotFound
from .models import (
    DEFAULT_TAX_CLASS,
    META,
    SIMPLE_STOCK_KEY,
    LocalizedDetailsItem,
    ProductItem,
    VariantAttribute,
    product_pk,
)
from .repository import sku_claim, slug_claim
from .views import admin_view, texts_of

BASE_LOCALE = "en"


# --------------------------------------------------------------------------- lookups
def load(product_id: str, *, consistent: bool = False) -> ProductItem:
    try:
        uuid.UUID(str(product_id))
    except ValueError:
        raise ProductNotFound(str(product_id)) from None
    product = repository.get_product(str(product_id).lower(), consistent=consistent)
    if product is None:
        raise ProductNotFound(str(product_id))
    return product


def find(id_or_slug: str, locale: str | None = None) -> ProductItem:
    """By UUID, by canonical slug, or by a localized slug along `locale`'s fallback chain."""
    try:
        uuid.UUID(id_or_slug)
        return load(id_or_slug)
    except ValueError:
        pass
    candidates = [slug_claim(id_or_slug)]
    if locale:
        candidates += [slug_claim(id_or_slug, code) for code in locales.fallback_chain(locale)]
    for claim_pk in candidates:
        product_id = repository.claimed_by(claim_pk)
        if product_id is None:
            continue
        try:
            return load(product_id)
        except ProductNotFound:
            continue
    raise ProductNotFound(id_or_slug)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-")


# --------------------------------------------------------------------------- create
def create(data: dict[str, Any], *, now: _dt.datetime | None = None) -> ProductItem:
    """A new product, with its English text; other languages are added with `localize`."""
    now = now or utcnow()
    product_id = str(uuid.uuid4())
    skus = [v["sku"] for v in data.get("variants") or []] + ([data["sku"]] if data.get("sku") else [])
    claimed: list[str] = []
    try:
        slug = _claim_slug(data.get("slug"), data["name"], product_id, claimed)
        for sku in skus:
            if not repository.claim(sku_claim(sku), product_id):
                raise SkuTaken(sku)
            claimed.append(sku_claim(sku))
        texts = {BASE_LOCALE: {"name": data["name"], "description": data.get("description") or "", "slug": slug}}
        stamp = iso(now)
        repository.put_all_details(product_id, texts, stamp)
        variants = [VariantAttribute(sku=v["sku"], attributes=v.get("attributes") or {}, base_price=v.get("base_price"),
                                     weight_grams=v.get("weight_grams"), prices=stored_prices(v.get("prices")))
                    for v in data.get("variants") or []]
        units = ({v["sku"]: int(v.get("stock") or 0) for v in data["variants"]} if variants
                 else {SIMPLE_STOCK_KEY: int(data.get("stock") or 0)})
        product = ProductItem(
            product_pk(product_id), META, id=product_id, slug=slug, category=data["category"],
            status=data.get("status") or "active", base_price=data["base_price"], currency="USD",
            weight_grams=int(data.get("weight_grams") or 0), tax_class=data.get("tax_class") or DEFAULT_TAX_CLASS,
            sku=data.get("sku"), attributes=data.get("attributes") or {}, images=list(data.get("images") or []),
            prices=stored_prices(data.get("prices")), variants=variants, stock=units, holds={}, sold={},
            l10n=texts,
            created_at=stamp, updated_at=stamp, version=1,
            **repository.catalog_keys(data.get("status") or "active", data["category"], stamp, product_id))
        try:
            repository.put_new_product(product)
        except repository.ConditionFailed:
            raise Conflict(f"Product {product_id} already exists.", product_id=product_id) from None
    except Exception:
        for claim_pk in claimed:
            repository.unclaim(claim_pk, product_id)
        raise
    audit.describe(action="product.created", target=f"product:{product_id}", after=admin_view(product))
    return product


def _claim_slug(requested: str | None, name: str, product_id: str, claimed: list[str]) -> str:
    if requested:
        if not repository.claim(slug_claim(requested), product_id):
            raise SlugTaken(requested)
        claimed.append(slug_claim(requested))
        return requested
    base = slugify(name) or "product"
    for candidate in (base, f"{base}-{product_id[:8]}", f"{base}-{product_id.replace('-', '')}"):
        if repository.claim(slug_claim(candidate), product_id):
            claimed.append(slug_claim(candidate))
            return candidate
    raise SlugTaken(base)


# --------------------------------------------------------------------------- update / archive
def update(product_id: str, changes: dict[str, Any], *, now: _dt.datetime | None = None) -> ProductItem:
    now = now or utcnow()
    product = load(product_id, consistent=True)
    before = admin_view(product)
    read_version = int(product.version or 1)
    new_claim, old_claim, new_slug, base_text = None, None, None, None

    if "slug" in changes and changes["slug"] != product.slug:
        if not repository.claim(slug_claim(changes["slug"]), product.id):
            raise SlugTaken(changes["slug"])
        new_claim, old_claim, new_slug = slug_claim(changes["slug"]), slug_claim(product.slug), changes["slug"]
    fields = {field: changes[field] for field in ("base_price", "weight_grams", "tax_class", "images", "attributes")
              if field in changes}
    if "prices" in changes:
        fields["prices"] = stored_prices(changes["prices"], product.prices)
    status, category = changes.get("status", product.status), changes.get("category", product.category)
    moved = (status, category) if status != product.status or category != product.category else None
    if any(field in changes for field in ("name", "description", "slug")):
        current = texts_of(product).get(BASE_LOCALE, {})
        text = {"name": changes.get("name", current.get("name", "")),
                "description": changes.get("description", current.get("description", "")),
                "slug": changes.get("slug", current.get("slug") or product.slug)}
        repository.put_details(product.id, BASE_LOCALE, text, now)
        base_text = (BASE_LOCALE, text)
    actions = repository.product_changes(now=now, version=read_version + 1, slug=new_slug, fields=fields,
                                         status_category=moved, base_text=base_text)
    try:
        repository.update_product_version(product, actions, read_version)
    except repository.ConditionFailed:
        if new_claim:
            repository.unclaim(new_claim, product.id)
        raise Conflict("The product was changed by someone else meanwhile; read it again and retry.",
                       product_id=product.id) from None
    except Exception:
        if new_claim:
            repository.unclaim(new_claim, product.id)
        raise
    if old_claim:
        repository.unclaim(old_claim, product.id)
    audit.describe(action="product.archived" if status == "archived" and before["status"] != "archived"
                   else "product.updated", target=f"product:{product.id}", before=before, after=admin_view(product))
    return product


def stored_prices(changes: dict[str, Any] | None, current=None) -> dict[str, str]:
    """Fixed prices as stored (currency → amount string): `current` with `changes` applied (None removes one)."""
    prices = dict(current.as_dict() if hasattr(current, "as_dict") else current or {})
    for code, amount in (changes or {}).items():
        if amount is None:
            prices.pop(code, None)
        else:
            prices[code] = format(amount, "f")
    return prices


def update_variant(product_id: str, sku: str, changes: dict[str, Any], *, now: _dt.datetime | None = None
                   ) -> ProductItem:
    """Change one variant's own fixed prices (null removes one), base price or weight (null: the product's)."""
    now = now or utcnow()
    product = load(product_id, consistent=True)
    before = admin_view(product)
    read_version = int(product.version or 1)
    variants, found = [], False
    for variant in product.variants or []:
        if variant.sku.upper() == sku.upper():
            found = True
            variant = VariantAttribute(
                sku=variant.sku, attributes=variant.attributes.as_dict() if variant.attributes else {},
                base_price=changes.get("base_price", variant.base_price),
                weight_grams=changes.get("weight_grams", variant.weight_grams),
                prices=stored_prices(changes.get("prices"), variant.prices))
        variants.append(variant)
    if not found:
        raise VariantNotFound(product.id, sku)
    actions = repository.product_changes(now=now, version=read_version + 1, fields={"variants": variants})
    try:
        repository.update_product_version(product, actions, read_version)
    except repository.ConditionFailed:
        raise Conflict("The product was changed by someone else meanwhile; read it again and retry.",
                       product_id=product.id) from None
    audit.describe(action="product.updated", target=f"product:{product.id}", before=before, after=admin_view(product))
    return product


def archive(product_id: str) -> ProductItem:
    product = load(product_id, consistent=True)
    if product.status == "archived":
        return product
    return update(product_id, {"status": "archived"})


# --------------------------------------------------------------------------- localization
def localize(product_id: str, locale: str, data: dict[str, Any], *, now: _dt.datetime | None = None
             ) -> tuple[ProductItem, dict[str, Any]]:
    """Write the (product, locale) details item, then the product's listing copy (a retry converges).
    Returns the product and its texts as set ({name, description, slug})."""
    now = now or utcnow()
    product = load(product_id, consistent=True)
    before = texts_of(product).get(locale)
    old_slug = (before or {}).get("slug")
    slug = data.get("slug")
    if slug and slug != old_slug:
        if not repository.claim(slug_claim(slug, locale), product.id):
            raise SlugTaken(slug, locale)
    text = {"name": data["name"], "description": data.get("description") or "", "slug": slug or (
        product.slug if locale == BASE_LOCALE else None)}
    repository.put_details(product.id, locale, text, now)
    repository.set_texts(product, locale, text, now)
    if old_slug and old_slug != slug and locale != BASE_LOCALE:
        repository.unclaim(slug_claim(old_slug, locale), product.id)
    if before != text:
        audit.describe(action="product.localized", target=f"product:{product.id}",
                       before={"locale": locale, **before} if before else None,
                       after={"product_id": product.id, "locale": locale, **text})
    return product, text


def localizations(product_id: str) -> tuple[ProductItem, list[LocalizedDetailsItem]]:
    """Every (product, locale) details item, from the source of truth."""
    product = load(product_id)
    return product, repository.details_of(product.id)


# --------------------------------------------------------------------------- inventory
def set_inventory(product_id: str, quantity: int, sku: str | None, *, now: _dt.datetime | None = None
                  ) -> tuple[ProductItem, dict[str, Any]]:
    """Set the units available to reserve now of the product (or one SKU); (product, its level after)."""
    product = load(product_id, consistent=True)
    key, reported = stock.key_to_set(product, sku)
    before = stock.level_of(product, reported)
    repository.set_stock(product, key, quantity, now or utcnow())
    after = stock.level_of(product, reported)
    audit.describe(action="product.inventory_set", target=f"product:{product.id}", before=before, after=after)
    return product, after
