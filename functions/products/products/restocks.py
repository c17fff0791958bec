"""Restocks: units the orders service sold, took back (a return received) and puts back in stock.

A restock is ONE transaction (repository.restock): the record RESTOCK#<id> is put IF its id is new, and
each line's RESTOCK step (stock.py: `stock.k += q`, `sold.k -= q`) is applied to its product IF the product
exists. So a restock id adds its units once: a repeat with the same items answers the first restock (nothing
added again), with other items 422 (as a reservation id does). A line names a product and, for a product with
variants, one of its SKUs (stock.line_of); an unknown product or SKU is a 400 naming `items.<n>.product_id` or
`items.<n>.sku`, and nothing is added. Archived or draft products take their units back too (they are simply
not for sale).
"""
from __future__ import annotations

import datetime as _dt

from meridian.clock import iso, utcnow
from meridian.errors import Unprocessable, ValidationFailed
from meridian.observability import count, logger

from . import repository
from .models import RestockItem, RestockLine
from .reservations import _merge, _request_hash
from .stock import line_of


def _replay(item: RestockItem, request_hash: str) -> RestockItem:
    if item.request_hash != request_hash:
        raise Unprocessable(f"Restock {item.id} was already made with different items.", restock_id=item.id)
    return item


def restock(restock_id: str, items: list[dict], *, caller: str | None = None,
            now: _dt.datetime | None = None) -> tuple[RestockItem, bool]:
    """Put the units of `items` ([{product_id, sku?, quantity}]) back in stock once for `restock_id`:
    (the restock, True) when added now, (the first restock, False) for a repeat."""
    restock_id = str(restock_id)
    merged = _merge(items)
    request_hash = _request_hash((pid, sku, qty) for pid, sku, qty, _ in merged)
    first = repository.get_restock(restock_id)
    if first is not None:
        return _replay(first, request_hash), False
    products = repository.get_products({pid for pid, *_ in merged})
    lines, errors = [], {}
    for pid, sku, qty, index in merged:
        product = products.get(pid)
        found = line_of(product, sku) if product is not None else None
        if product is None:
            errors[f"items.{index}.product_id"] = [f"Product {pid} does not exist."]
        elif found is None:
            errors[f"items.{index}.sku"] = ["Choose one of the product's SKUs." if product.variants
                                            else "This product has no such SKU."]
        else:
            lines.append(RestockLine(product_id=pid, sku=found.sku, stock_key=found.stock_key, quantity=qty))
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    item = RestockItem(repository.restock_pk(restock_id), id=restock_id, caller=caller, request_hash=request_hash,
                       lines=lines, created_at=iso(now))
    reasons = repository.restock(item)
    if reasons is None:
        count("StockRestocked", sum(int(line.quantity) for line in lines))
        logger.info("returned units restocked", extra={"restock_id": restock_id, "caller": caller})
        return item, True
    if reasons[0] is not None:                 # a concurrent repeat of the same id got there first
        return _replay(repository.get_restock(restock_id), request_hash), False
    gone = [pid for pid, reason in zip(repository.by_product(lines), reasons[1:], strict=False) if reason is not None]
    index = next(index for pid, _, _, index in merged if pid in gone)
    raise ValidationFailed({f"items.{index}.product_id": [f"Product {gone[0]} does not exist."]})
