"""Every answer of the service made from its items: a product as shoppers and admins see it (localized,
priced), its stock levels, its localized texts, and a reservation and a quote (internal API).

Weights are effective (a variant without its own weight weighs what its product weighs: stock.line_of)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meridian import locales
from meridian.money import Money

from . import pricing, stock
from .models import DEFAULT_TAX_CLASS, LocalizedDetailsItem, ProductItem, ReservationItem
from .taxonomy import EMPTY, Category, Taxonomy

if TYPE_CHECKING:
    from .quotes import Quote


def texts_of(product: ProductItem) -> dict[str, dict]:
    return product.l10n.as_dict() if product.l10n else {}


def localized(product: ProductItem, locale: str) -> tuple[str, dict]:
    """(served locale, {name, description, slug}) along `locale`'s fallback chain."""
    texts = texts_of(product)
    picked = locales.pick(locale, texts)
    if picked is None:  # no text in the chain (should not happen: en is written at creation)
        return locales.DEFAULT_LOCALE, {"name": product.slug, "description": "", "slug": product.slug}
    return picked


def public_view(product: ProductItem, *, locale: str, shelf: pricing.Shelf, detail: bool = False,
                admin: bool = False, taxonomy: Taxonomy | None = None) -> tuple[dict[str, Any], str]:
    """The product as a shopper sees it (priced on `shelf`: currency and the market's tax), and the locale it
    was served in. `taxonomy` names its category and attributes in the locale (taxonomy.py)."""
    taxonomy = taxonomy or EMPTY
    served, text = localized(product, locale)
    price, fx_block = pricing.price(product.base_price, shelf, product.tax_class,
                                    fixed=stock.fixed_prices_of(product))
    view: dict[str, Any] = {
        "id": product.id,
        "slug": text.get("slug") or product.slug,
        "name": text.get("name", ""),
        "description": text.get("description", ""),
        "category": product.category,
        **taxonomy.category_label(product.category, locale),
        "price": price,
        "base_price": pricing.base_price(product.base_price),
        "in_stock": stock.in_stock(product),
        "locale": served,
        "fx": fx_block,
        "tax": shelf.tax_view(product.tax_class),
        "image": product.images[0] if product.images else None,
        "weight_grams": int(product.weight_grams or 0),
        "tax_class": product.tax_class,
    }
    if detail:
        view["sku"] = product.sku
        view["attributes"] = product.attributes.as_dict() if product.attributes else {}
        view["attribute_labels"] = taxonomy.attribute_labels(view["attributes"], locale)
        view["created_at"], view["updated_at"] = product.created_at, product.updated_at
        if product.images:
            view["images"] = list(product.images)
        if product.variants:
            view["variants"] = [_variant_view(product, variant, shelf) for variant in product.variants]
            for variant in view["variants"]:
                variant["attribute_labels"] = taxonomy.attribute_labels(variant["attributes"], locale)
    if admin:
        view["status"] = product.status
        view["canonical_slug"] = product.slug
        view["stock"] = stock.levels(product)
        view["locales"] = sorted(texts_of(product))
        view["prices"] = pricing.fixed_prices_json(stock.fixed_prices_of(product))
    return view, served


def _variant_view(product: ProductItem, variant, shelf: pricing.Shelf) -> dict[str, Any]:
    line = stock.line_of(product, variant.sku)
    price, _ = pricing.price(line.unit_price, shelf, product.tax_class, fixed=line.fixed_prices)
    return {"sku": variant.sku, "attributes": variant.attributes.as_dict() if variant.attributes else {},
            "price": price, "base_price": pricing.base_price(line.unit_price),
            "in_stock": stock.in_stock(product, variant.sku), "weight_grams": line.weight_grams}


def admin_view(product: ProductItem) -> dict[str, Any]:
    """Everything stored about a product, in base currency (audit events, internal API)."""
    return {
        "id": product.id,
        "slug": product.slug,
        "category": product.category,
        "status": product.status,
        "base_price": pricing.base_price(product.base_price),
        "weight_grams": int(product.weight_grams or 0),
        "tax_class": product.tax_class,
        "prices": pricing.fixed_prices_json(stock.fixed_prices_of(product)),
        "sku": product.sku,
        "attributes": product.attributes.as_dict() if product.attributes else {},
        "images": list(product.images or []),
        "variants": [{"sku": v.sku, "attributes": v.attributes.as_dict() if v.attributes else {},
                      "base_price": pricing.base_price(v.base_price) if v.base_price is not None else None,
                      "prices": pricing.fixed_prices_json(stock.own_fixed_prices(v)),
                      "weight_grams": stock.line_of(product, v.sku).weight_grams}
                     for v in product.variants or []],
        "localizations": texts_of(product),
        "stock": stock.levels(product),
        "in_stock": stock.in_stock(product),
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


def inventory_view(product: ProductItem) -> dict[str, Any]:
    """Available, held and sold units per SKU (GET /{id}/inventory)."""
    return {"product_id": product.id, "items": stock.levels(product)}


def stock_set_view(product: ProductItem, level: dict[str, Any]) -> dict[str, Any]:
    """One SKU's units once an admin set them (PUT /{id}/inventory)."""
    return {"product_id": product.id, **level}


def localization_view(product_id: str, locale: str, text: dict[str, Any]) -> dict[str, Any]:
    """A product's texts in one locale, as an admin set them."""
    return {"product_id": product_id, "locale": locale, **text}


def localization_list_view(product: ProductItem, items: list[LocalizedDetailsItem]) -> dict[str, Any]:
    """Every localized text of a product, from its (product, locale) details items."""
    return {"items": [{"product_id": product.id, "locale": item.locale, "name": item.name,
                       "description": item.description, "slug": item.slug, "updated_at": item.updated_at}
                      for item in items]}


def reservation_view(item: ReservationItem) -> dict[str, Any]:
    """A reservation as the orders service reads it (internal API)."""
    return {
        "reservation_id": item.id,
        "status": item.status,
        "expires_at": item.hold_until,
        "created_at": item.created_at,
        "items": [{
            "product_id": line.product_id,
            "sku": line.sku,
            "quantity": int(line.quantity),
            "unit_price": Money(line.unit_price, line.currency).to_json(),
            "name": line.name,
            "weight_grams": int(line.weight_grams or 0),
            "tax_class": line.tax_class or DEFAULT_TAX_CLASS,
            "fixed_prices": _stored_prices(line.fixed_prices),
        } for line in item.lines],
    }


def _stored_prices(stored) -> dict[str, str]:
    """A reservation line's fixed prices as stored (records before fixed prices: none)."""
    return {code: str(amount) for code, amount in (stored.as_dict() if stored else {}).items()}


def restock_view(item) -> dict[str, Any]:
    """A restock as the orders service reads it (internal API): the units put back, per line."""
    return {"restock_id": item.id, "created_at": item.created_at,
            "items": [{"product_id": line.product_id, "sku": line.sku, "quantity": int(line.quantity)}
                      for line in item.lines]}


def quote_view(quotes: list[Quote]) -> dict[str, Any]:
    """What each asked line costs now, in the order asked (internal API): a line products does not have is
    `found: false`."""
    items = []
    for quote in quotes:
        if quote.line is None:
            items.append({"product_id": quote.product_id, "sku": quote.sku, "found": False,
                          "missing": quote.missing})
            continue
        items.append({
            "product_id": quote.product_id,
            "sku": quote.line.sku,
            "found": True,
            "for_sale": quote.for_sale,
            "name": quote.name,
            "unit_price": Money(quote.line.unit_price, quote.currency).to_json(),
            "weight_grams": quote.line.weight_grams,
            "tax_class": quote.tax_class,
            "fixed_prices": pricing.fixed_prices_json(quote.line.fixed_prices),
            "available": quote.available,
        })
    return {"items": items}


def category_view(category: Category, locale: str, *, admin: bool = False) -> dict[str, Any]:
    """A category as shoppers see it in `locale` (name and slug along its chain); admins also get every text."""
    served, name = category.name_in(locale)
    view: dict[str, Any] = {"key": category.key, "slug": category.slug_in(locale), "name": name, "locale": served,
                            "parent": category.parent, "position": category.position}
    if admin:
        view.update(names=dict(category.names), slugs=dict(category.slugs), updated_at=category.updated_at)
    return view


def category_list_view(taxonomy: Taxonomy, locale: str, *, tree: bool, admin: bool = False
                       ) -> tuple[dict[str, Any], list[str]]:
    """GET /categories: every category in `locale`, depth first (flat, each with `depth`), or as a tree
    (`children` nested by parent); and the locales its names were served in."""
    ordered = taxonomy.ordered()
    views = {c.key: category_view(c, locale, admin=admin) for c in ordered}
    served = [v["locale"] for v in views.values()]
    if not tree:
        items = [dict(views[c.key], depth=taxonomy.depth_of(c.key)) for c in ordered]
        return {"locale": locale, "items": items}, served
    roots = []
    for category in ordered:
        node = views[category.key]
        node.setdefault("children", [])
        parent = views.get(category.parent) if category.parent else None
        if parent is not None and parent is not node and "children" in parent:
            parent["children"].append(node)
        else:
            roots.append(node)
    return {"locale": locale, "items": roots}, served
