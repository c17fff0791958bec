"""How a product looks in responses: public (localized, priced), admin and internal."""
from __future__ import annotations

from typing import Any

from meridian import locales

from . import pricing
from .inventory import stock_levels
from .models import SIMPLE_STOCK_KEY, ProductItem


def texts_of(product: ProductItem) -> dict[str, dict]:
    return product.l10n.as_dict() if product.l10n else {}


def localized(product: ProductItem, locale: str) -> tuple[str, dict]:
    """(served locale, {name, description, slug}) along `locale`'s fallback chain."""
    texts = texts_of(product)
    picked = locales.pick(locale, texts)
    if picked is None:  # no text in the chain (should not happen: en is written at creation)
        return locales.DEFAULT_LOCALE, {"name": product.slug, "description": "", "slug": product.slug}
    return picked


def _available(product: ProductItem) -> dict[str, int]:
    return {k: int(v) for k, v in (product.stock.as_dict() if product.stock else {}).items()}


def in_stock(product: ProductItem, sku: str | None = None) -> bool:
    stock = _available(product)
    if sku is not None:
        return stock.get(sku, 0) > 0
    keys = [v.sku for v in product.variants] if product.variants else [SIMPLE_STOCK_KEY]
    return any(stock.get(key, 0) > 0 for key in keys)


def public_view(product: ProductItem, *, locale: str, currency: str, detail: bool = False,
                admin: bool = False) -> tuple[dict[str, Any], str]:
    """The product as a shopper sees it, and the locale it was served in."""
    served, text = localized(product, locale)
    price, fx_block = pricing.price(product.base_price, currency)
    view: dict[str, Any] = {
        "id": product.id,
        "slug": text.get("slug") or product.slug,
        "name": text.get("name", ""),
        "description": text.get("description", ""),
        "category": product.category,
        "price": price,
        "base_price": pricing.base_price(product.base_price),
        "in_stock": in_stock(product),
        "locale": served,
        "fx": fx_block,
        "image": product.images[0] if product.images else None,
    }
    if detail:
        view["sku"] = product.sku
        view["attributes"] = product.attributes.as_dict() if product.attributes else {}
        view["created_at"], view["updated_at"] = product.created_at, product.updated_at
        if product.images:
            view["images"] = list(product.images)
        if product.variants:
            view["variants"] = [_variant_view(product, variant, currency) for variant in product.variants]
    if admin:
        view["status"] = product.status
        view["canonical_slug"] = product.slug
        view["stock"] = stock_levels(product)
        view["locales"] = sorted(texts_of(product))
    return view, served


def _variant_view(product: ProductItem, variant, currency: str) -> dict[str, Any]:
    amount = variant.base_price if variant.base_price is not None else product.base_price
    price, _ = pricing.price(amount, currency)
    return {"sku": variant.sku, "attributes": variant.attributes.as_dict() if variant.attributes else {},
            "price": price, "base_price": pricing.base_price(amount), "in_stock": in_stock(product, variant.sku)}


def admin_view(product: ProductItem) -> dict[str, Any]:
    """Everything stored about a product, in base currency (audit events, internal API)."""
    return {
        "id": product.id,
        "slug": product.slug,
        "category": product.category,
        "status": product.status,
        "base_price": pricing.base_price(product.base_price),
        "sku": product.sku,
        "attributes": product.attributes.as_dict() if product.attributes else {},
        "images": list(product.images or []),
        "variants": [{"sku": v.sku, "attributes": v.attributes.as_dict() if v.attributes else {},
                      "base_price": pricing.base_price(v.base_price) if v.base_price is not None else None}
                     for v in product.variants or []],
        "localizations": texts_of(product),
        "stock": stock_levels(product),
        "in_stock": in_stock(product),
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "version": int(product.version or 1),
    }


def content_language(served: list[str]) -> str:
    """Content-Language value for the locales a response was served in (first-seen order)."""
    seen: list[str] = []
    for code in served:
        if code not in seen:
            seen.append(code)
    return ", ".join(seen) or locales.DEFAULT_LOCALE
