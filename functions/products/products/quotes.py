"""What a cart line costs now (internal API: the orders service quotes its carts with it).

For each asked (product id, SKU), in the order asked: whether products has that line at all (an unknown
product, or a SKU the product does not have, is `found: false`, not an error), whether it is for sale
(the product is active: the condition the HOLD step of stock.py holds stock on), its name in the
cart's locale, its base price (USD), its weight, its tax class, and the units that can be reserved now.
Nothing is held: a quote is advice; a reservation (reservations.py) is what holds stock, at the price
of its moment.

The rules are the ones reservations and the catalog use, not restated here: `stock.line_of` (which
stock key, price and weight a SKU is), `stock.units_available`, `views.localized` (the catalog's
fallback chain, pt-BR → pt → en). The distinct products are read in ONE BatchGetItem (a quote has at
most 50 lines, DynamoDB takes 100 keys) with only what a line is made of and the texts of the locale's
chain, from the product item's copy as the catalog reads them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from meridian import locales
from meridian.money import BASE_CURRENCY

from . import repository, stock, views
from .models import DEFAULT_TAX_CLASS, ProductItem

FOR_SALE = "active"


@dataclass(frozen=True)
class Quote:
    product_id: str
    sku: str | None                     # as asked
    line: stock.Line | None = None      # None: no such product, or no such SKU of it (not found)
    missing: str | None = None          # not found: "product", "sku" (not one of its SKUs) or "sku_required"
    for_sale: bool = False
    name: str = ""
    currency: str = BASE_CURRENCY
    tax_class: str = DEFAULT_TAX_CLASS
    available: int = 0


def quote(items: Iterable[dict], locale: str) -> list[Quote]:
    """A quote of every line of `items` ({product_id, sku}), names in `locale` along its fallback chain."""
    asked = [(str(item["product_id"]), item.get("sku")) for item in items]
    products = repository.get_products({product_id for product_id, _ in asked},
                                       texts_in=list(locales.fallback_chain(locale)))
    return [line_quote(products.get(product_id), product_id, sku, locale) for product_id, sku in asked]


def line_quote(product: ProductItem | None, product_id: str, sku: str | None, locale: str) -> Quote:
    """What one unit of `sku` of `product` (None: unknown) costs now."""
    if product is None:
        return Quote(product_id, sku, missing="product")
    line = stock.line_of(product, sku)
    if line is None:
        return Quote(product_id, sku, missing="sku" if sku else "sku_required")
    return Quote(product_id, sku, line, for_sale=product.status == FOR_SALE,
                 name=views.localized(product, locale)[1].get("name", ""),
                 currency=product.currency or BASE_CURRENCY, tax_class=product.tax_class,
                 available=stock.units_available(product, line.stock_key))
