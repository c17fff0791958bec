"""Product information management: create, update, archive, localize, set stock.

Every write is a conditional write: unique slugs and SKUs are claim items put with
`attribute_not_exists`; product updates carry `version = <read version>` (optimistic
concurrency, 409 on a lost race); stock is only touched by inventory.py (reservations are
transactions over the product items; a product update that meets one in flight is retried,
`inventory.update_product`). Each admin change describes itself (before/after) for the audit log (`meridian.audit`).
"""
from __future__ import annotations

import datetime as _dt
import re
import time
import unicodedata
import uuid
from typing import Any

from meridian import audit, locales
from meridian.clock import iso, utcnow
from meridian.dynamo import condition_failed
from meridian.errors import Conflict
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from . import inventory
from .errors import ProductNotFound, SkuTaken, SlugTaken
from .models import (
    META,
    SIMPLE_STOCK_KEY,
    ClaimItem,
    LocalizedDetailsItem,
    ProductItem,
    VariantAttribute,
    catalog_partition,
    l10n_sk,
    product_pk,
)
from .presenter import admin_view, texts_of

STALE_CLAIM_SECONDS = 300
BASE_LOCALE = "en"


# --------------------------------------------------------------------------- lookups
def load(product_id: str, *, consistent: bool = False) -> ProductItem:
    try:
        uuid.UUID(str(product_id))
    except ValueError:
        raise ProductNotFound(str(product_id)) from None
    try:
        return ProductItem.get(product_pk(str(product_id).lower()), META, consistent_read=consistent)
    except DoesNotExist:
        raise ProductNotFound(str(product_id)) from None


def find(id_or_slug: str, locale: str | None = None) -> ProductItem:
    """By UUID, by canonical slug, or by a localized slug along `locale`'s fallback chain."""
    try:
        uuid.UUID(id_or_slug)
        return load(id_or_slug)
    except ValueError:
        pass
    candidates = [_slug_claim(id_or_slug)]
    if locale:
        candidates += [_slug_claim(id_or_slug, code) for code in locales.fallback_chain(locale)]
    for claim_pk in candidates:
        try:
            return load(ClaimItem.get(claim_pk, "CLAIM").product_id)
        except (DoesNotExist, ProductNotFound):
            continue
    raise ProductNotFound(id_or_slug)


# --------------------------------------------------------------------------- claims (uniqueness)
def _slug_claim(slug: str, locale: str | None = None) -> str:
    return f"CLAIM#SLUG#{locale}#{slug}" if locale else f"CLAIM#SLUG#{slug}"


def _sku_claim(sku: str) -> str:
    return f"CLAIM#SKU#{sku.upper()}"


def _claim(claim_pk: str, product_id: str) -> bool:
    """Claim a unique value for `product_id` (idempotent); False if another product holds it."""
    claim = ClaimItem(claim_pk, "CLAIM", product_id=product_id, claimed_at=int(time.time()))
    try:
        claim.save(condition=ClaimItem.pk.does_not_exist() | (ClaimItem.product_id == product_id))
        return True
    except PutError:
        pass
    try:  # a claim left by a create that never finished (no such product, and old) can be taken over
        current = ClaimItem.get(claim_pk, "CLAIM", consistent_read=True)
    except DoesNotExist:
        return _claim(claim_pk, product_id)
    try:
        ProductItem.get(product_pk(current.product_id), META, consistent_read=True)
        return False
    except DoesNotExist:
        pass
    if current.claimed_at is not None and time.time() - current.claimed_at < STALE_CLAIM_SECONDS:
        return False
    try:
        claim.save(condition=ClaimItem.product_id == current.product_id)
        return True
    except PutError:
        return False


def _unclaim(claim_pk: str, product_id: str) -> None:
    try:
        ClaimItem(claim_pk, "CLAIM").delete(condition=ClaimItem.product_id == product_id)
    except DeleteError:
        pass


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-")


# --------------------------------------------------------------------------- create
def _catalog_keys(status: str, category: str, created_at: str, product_id: str) -> dict[str, str]:
    sort_key = f"{created_at}#{product_id}"
    return {"gsi1pk": catalog_partition(status, category), "gsi1sk": sort_key,
            "gsi2pk": catalog_partition(status), "gsi2sk": sort_key}


def create(data: dict[str, Any], *, product_id: str | None = None,
           localizations: dict[str, dict[str, Any]] | None = None, now: _dt.datetime | None = None) -> ProductItem:
    """A new product; `localizations` ({locale: {name, description, slug?}}) adds more languages at once."""
    now = now or utcnow()
    product_id = str(product_id or uuid.uuid4())
    skus = [v["sku"] for v in data.get("variants") or []] + ([data["sku"]] if data.get("sku") else [])
    claimed: list[str] = []
    try:
        slug = _claim_slug(data.get("slug"), data["name"], product_id, claimed)
        for sku in skus:
            if not _claim(_sku_claim(sku), product_id):
                raise SkuTaken(sku)
            claimed.append(_sku_claim(sku))
        texts = {BASE_LOCALE: {"name": data["name"], "description": data.get("description") or "", "slug": slug}}
        for locale, text in (localizations or {}).items():
            if locale == BASE_LOCALE:
                continue
            if text.get("slug"):
                if not _claim(_slug_claim(text["slug"], locale), product_id):
                    raise SlugTaken(text["slug"], locale)
                claimed.append(_slug_claim(text["slug"], locale))
            texts[locale] = {"name": text["name"], "description": text.get("description") or "",
                             "slug": text.get("slug")}
        stamp = iso(now)
        with LocalizedDetailsItem.batch_write() as batch:
            for locale, text in texts.items():
                batch.save(LocalizedDetailsItem(product_pk(product_id), l10n_sk(locale), product_id=product_id,
                                                locale=locale, name=text["name"], description=text["description"],
                                                slug=text["slug"], updated_at=stamp))
        variants = [VariantAttribute(sku=v["sku"], attributes=v.get("attributes") or {}, base_price=v.get("base_price"))
                    for v in data.get("variants") or []]
        stock = ({v["sku"]: int(v.get("stock") or 0) for v in data["variants"]} if variants
                 else {SIMPLE_STOCK_KEY: int(data.get("stock") or 0)})
        product = ProductItem(
            product_pk(product_id), META, id=product_id, slug=slug, category=data["category"],
            status=data.get("status") or "active", base_price=data["base_price"], currency="USD",
            sku=data.get("sku"), attributes=data.get("attributes") or {}, images=list(data.get("images") or []),
            variants=variants, stock=stock, holds={}, sold={},
            l10n=texts,
            created_at=stamp, updated_at=stamp, version=1,
            **_catalog_keys(data.get("status") or "active", data["category"], stamp, product_id))
        try:
            product.save(condition=ProductItem.pk.does_not_exist())
        except PutError:
            raise Conflict(f"Product {product_id} already exists.", product_id=product_id) from None
    except Exception:
        for claim_pk in claimed:
            _unclaim(claim_pk, product_id)
        raise
    audit.describe(action="product.created", target=f"product:{product_id}", after=admin_view(product))
    return product


def _claim_slug(requested: str | None, name: str, product_id: str, claimed: list[str]) -> str:
    if requested:
        if not _claim(_slug_claim(requested), product_id):
            raise SlugTaken(requested)
        claimed.append(_slug_claim(requested))
        return requested
    base = slugify(name) or "product"
    for candidate in (base, f"{base}-{product_id[:8]}", f"{base}-{product_id.replace('-', '')}"):
        if _claim(_slug_claim(candidate), product_id):
            claimed.append(_slug_claim(candidate))
            return candidate
    raise SlugTaken(base)


# --------------------------------------------------------------------------- update / archive
def update(product_id: str, changes: dict[str, Any], *, now: _dt.datetime | None = None) -> ProductItem:
    now = now or utcnow()
    product = load(product_id, consistent=True)
    before = admin_view(product)
    read_version = int(product.version or 1)
    actions = [ProductItem.updated_at.set(iso(now)), ProductItem.version.set(read_version + 1)]
    new_claim, old_claim = None, None

    if "slug" in changes and changes["slug"] != product.slug:
        if not _claim(_slug_claim(changes["slug"]), product.id):
            raise SlugTaken(changes["slug"])
        new_claim, old_claim = _slug_claim(changes["slug"]), _slug_claim(product.slug)
        actions.append(ProductItem.slug.set(changes["slug"]))
    for field in ("base_price", "images", "attributes"):
        if field in changes:
            actions.append(getattr(ProductItem, field).set(changes[field]))
    status, category = changes.get("status", product.status), changes.get("category", product.category)
    if status != product.status or category != product.category:
        actions += [ProductItem.status.set(status), ProductItem.category.set(category),
                    ProductItem.gsi1pk.set(catalog_partition(status, category)),
                    ProductItem.gsi2pk.set(catalog_partition(status))]
    if any(field in changes for field in ("name", "description", "slug")):
        current = texts_of(product).get(BASE_LOCALE, {})
        text = {"name": changes.get("name", current.get("name", "")),
                "description": changes.get("description", current.get("description", "")),
                "slug": changes.get("slug", current.get("slug") or product.slug)}
        _put_details(product.id, BASE_LOCALE, text, now)
        actions.append(ProductItem.l10n[BASE_LOCALE].set(text))
    try:
        inventory.update_product(product, actions, ProductItem.version == read_version)
    except UpdateError as error:
        if new_claim:
            _unclaim(new_claim, product.id)
        if condition_failed(error):
            raise Conflict("The product was changed by someone else meanwhile; read it again and retry.",
                           product_id=product.id) from None
        raise
    if old_claim:
        _unclaim(old_claim, product.id)
    audit.describe(action="product.archived" if status == "archived" and before["status"] != "archived"
                   else "product.updated", target=f"product:{product.id}", before=before, after=admin_view(product))
    return product


def archive(product_id: str) -> ProductItem:
    product = load(product_id, consistent=True)
    if product.status == "archived":
        return product
    return update(product_id, {"status": "archived"})


# --------------------------------------------------------------------------- localization
def _put_details(product_id: str, locale: str, text: dict[str, str], now: _dt.datetime) -> None:
    LocalizedDetailsItem(product_pk(product_id), l10n_sk(locale), product_id=product_id, locale=locale,
                         name=text["name"], description=text.get("description") or "", slug=text.get("slug"),
                         updated_at=iso(now)).save()


def localize(product_id: str, locale: str, data: dict[str, Any], *, now: _dt.datetime | None = None) -> dict[str, Any]:
    """Write the (product, locale) details item, then the product's listing copy (a retry converges)."""
    now = now or utcnow()
    product = load(product_id, consistent=True)
    before = texts_of(product).get(locale)
    old_slug = (before or {}).get("slug")
    slug = data.get("slug")
    if slug and slug != old_slug:
        if not _claim(_slug_claim(slug, locale), product.id):
            raise SlugTaken(slug, locale)
    text = {"name": data["name"], "description": data.get("description") or "", "slug": slug or (
        product.slug if locale == BASE_LOCALE else None)}
    _put_details(product.id, locale, text, now)
    inventory.update_product(product, [ProductItem.l10n[locale].set(text), ProductItem.updated_at.set(iso(now))],
                             ProductItem.pk.exists())
    if old_slug and old_slug != slug and locale != BASE_LOCALE:
        _unclaim(_slug_claim(old_slug, locale), product.id)
    after = {"product_id": product.id, "locale": locale, **text}
    if before != text:
        audit.describe(action="product.localized", target=f"product:{product.id}",
                       before={"locale": locale, **before} if before else None, after=after)
    return after


def localizations(product_id: str) -> list[dict[str, Any]]:
    """Every (product, locale) details item, from the source of truth."""
    product = load(product_id)
    return [{"product_id": product.id, "locale": item.locale, "name": item.name, "description": item.description,
             "slug": item.slug, "updated_at": item.updated_at}
            for item in LocalizedDetailsItem.query(product_pk(product.id), LocalizedDetailsItem.sk.startswith("L10N#"))]


# --------------------------------------------------------------------------- inventory
def set_inventory(product_id: str, quantity: int, sku: str | None) -> dict[str, Any]:
    product = load(product_id, consistent=True)
    before, after = inventory.set_available(product, sku, quantity)
    audit.describe(action="product.inventory_set", target=f"product:{product.id}", before=before, after=after)
    return {"product_id": product.id, **after}
