"""Stock: the units of each stock key of a product, and the three steps that move them.

Stock lives on the product item, per stock key k (the SKU, or "_" for a product without variants):
`stock.<k>` = units available to reserve, `holds.<rid|k>` = units reservation rid holds of k,
`sold.<k>` = units sold. Units move only by these steps, each a conditional write of the product
item inside a reservation's transaction (repository.py writes them; reservations.py says when):

    HOLD    stock.k -= q, holds.<rid|k> = q    IF status = active AND stock.k >= q AND no holds.<rid|k>
    SELL    sold.k  += q, REMOVE holds.<rid|k> IF holds.<rid|k> exists
    RETURN  stock.k += q, REMOVE holds.<rid|k> IF holds.<rid|k> exists
    RESTOCK stock.k += q, sold.k -= q              IF the product exists (units sold, returned and put
                                                   back: restocks.py, once per restock id)

so stock never goes below zero and never disagrees with the reservations holding it. An admin sets
the units available to reserve now (pim.set_inventory; units held are not included).

`line_of` says what a unit of (product, SKU) is wherever one is reserved or quoted: its stock key, the
SKU reported for it, its base price and its weight (a variant's own, else the product's), and its fixed
prices (`fixed_prices_of`: a variant's own per currency, over its product's when it has the product's base
price; a variant with a base price of its own has only its own fixed prices).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from meridian.errors import ValidationFailed

from .models import SIMPLE_STOCK_KEY, ProductItem

HOLD, SELL, RETURN, RESTOCK = "hold", "sell", "return", "restock"
STEPS = (HOLD, SELL, RETURN, RESTOCK)


class Line(NamedTuple):
    """What one unit of a product's SKU is, wherever a line of it is reserved or quoted."""
    stock_key: str
    sku: str | None         # the SKU to report (as stored)
    unit_price: Decimal     # base price: the variant's own if it has one, else the product's
    weight_grams: int       # the variant's own weight if it has one, else the product's
    fixed_prices: dict[str, Decimal] = {}   # currency → the unit's fixed shelf price (fixed_prices_of)


def _prices(stored) -> dict[str, Decimal]:
    raw = stored.as_dict() if hasattr(stored, "as_dict") else dict(stored or {})
    return {code: Decimal(str(amount)) for code, amount in raw.items() if amount is not None}


def own_fixed_prices(variant) -> dict[str, Decimal]:
    """The fixed prices set on a variant itself (not those it takes from its product)."""
    return _prices(variant.prices)


def fixed_prices_of(product: ProductItem, variant=None) -> dict[str, Decimal]:
    """THE fixed-price rule: currency → the shelf price a unit has in that currency, winning over conversion.
    A product's own; a variant's own win over its product's, which it takes only while it has the product's
    base price (a variant priced on its own is converted unless it has a fixed price of its own)."""
    own = _prices(product.prices)
    if variant is None:
        return own
    if variant.base_price is not None:
        return _prices(variant.prices)
    return {**own, **_prices(variant.prices)}


def line_of(product: ProductItem, sku: str | None) -> Line | None:
    """The line of `sku` (any case) on `product`; None when it has no such SKU (a product with variants
    needs one of theirs; a product without variants takes no SKU or its own)."""
    if product.variants:
        if not sku:
            return None
        for variant in product.variants:
            if variant.sku.upper() == sku.upper():
                price = variant.base_price if variant.base_price is not None else product.base_price
                weight = variant.weight_grams if variant.weight_grams is not None else product.weight_grams
                return Line(variant.sku, variant.sku, price, int(weight or 0), fixed_prices_of(product, variant))
        return None
    if sku and (product.sku or "").upper() != sku.upper():
        return None
    return Line(SIMPLE_STOCK_KEY, product.sku, product.base_price, int(product.weight_grams or 0),
                fixed_prices_of(product))


def stock_keys(product: ProductItem) -> list[str]:
    return [v.sku for v in product.variants] if product.variants else [SIMPLE_STOCK_KEY]


def available(product: ProductItem) -> dict[str, int]:
    """Units available to reserve, per stock key."""
    return {k: int(v) for k, v in (product.stock.as_dict() if product.stock else {}).items()}


def units_available(product: ProductItem, stock_key: str) -> int:
    """Units of one stock key that can be reserved now."""
    return max(0, available(product).get(stock_key, 0))


def in_stock(product: ProductItem, sku: str | None = None) -> bool:
    stock = available(product)
    if sku is not None:
        return stock.get(sku, 0) > 0
    return any(stock.get(key, 0) > 0 for key in stock_keys(product))


def levels(product: ProductItem) -> list[dict[str, Any]]:
    """Available / held / sold units per stock key (SKU), for admins and the internal API."""
    stock = product.stock.as_dict() if product.stock else {}
    holds = product.holds.as_dict() if product.holds else {}
    sold = product.sold.as_dict() if product.sold else {}
    out = []
    for key in stock_keys(product):
        held = sum(int(q) for h, q in holds.items() if h.rsplit("|", 1)[-1] == key)
        out.append({"sku": product.sku if key == SIMPLE_STOCK_KEY else key, "available": int(stock.get(key, 0)),
                    "held": held, "sold": int(sold.get(key, 0))})
    return out


def key_to_set(product: ProductItem, sku: str | None) -> tuple[str, str | None]:
    """(stock key, SKU as reported) an admin sets the available units of; 400 naming `sku` if none."""
    found = line_of(product, sku)
    if found is None:
        raise ValidationFailed({"sku": ["Choose one of the product's SKUs." if product.variants else
                                        "This product has no such SKU."]})
    return found.stock_key, found.sku


def level_of(product: ProductItem, reported_sku: str | None) -> dict[str, Any]:
    return next(level for level in levels(product) if level["sku"] == reported_sku)
