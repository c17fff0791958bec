"""Catalog listing: one index Query per page, never a table scan.

* `category` given → gsi1 partition CATALOG#<status>#<category>; otherwise gsi2 partition
  CATALOG#<status>. Both are sorted by <created_at>#<id>, newest first, so a page is one
  Query with Limit = limit + 1 (the extra item only tells whether there is a next page).
* The cursor is the last returned item's index key, signed (meridian.pagination, HMAC
  under a key derived from the service secret) for exactly this query: a cursor edited,
  forged, or taken from another query (other category, q, locale or status) is a 400.
  Keys are immutable (created_at, id), so paging sees every item exactly once even while
  other products change.
* `q` (search): a case-insensitive match of every word of q within the product's name in
  the served locale (after fallback). It filters while paging through the same index and
  reads at most CATALOG_SEARCH_BUDGET (default 1,000) index entries per request, so a
  page may hold fewer than `limit` items (even none) and still carry a next_cursor.
  It is a substring filter, not a ranked full-text search: no stemming, no typo
  tolerance, no relevance order. A real search engine (OpenSearch) is the next step.
* A shopper's page reads only what the shopper's view shows (`_public_projection`): the texts
  of the served locale's fallback chain, not all of them, and none of the stock bookkeeping
  (holds, sold). Measured on 5-locale products, that is about a quarter of each item, and what
  is not read is neither sent, parsed nor turned into model objects. Admins read whole items.
"""
from __future__ import annotations

from meridian import locales, pagination
from meridian.config import int_env
from meridian.errors import ValidationFailed

from . import presenter
from .models import META, ProductItem, catalog_partition, product_pk

SEARCH_PAGE = 200


def _purpose(index: str, partition: str, q: str | None, locale: str) -> str:
    return f"products:{index}:{partition}:{(q or '').casefold()}:{locale if q else ''}"


def _start_key(index: str, partition: str, cursor: dict | None) -> dict | None:
    if cursor is None:
        return None
    product_id, sort_key = cursor.get("id"), cursor.get("s")
    if not isinstance(product_id, str) or not isinstance(sort_key, str):
        raise ValidationFailed({"cursor": ["The cursor is not valid."]})
    hash_name, range_name = ("gsi1pk", "gsi1sk") if index == "gsi1" else ("gsi2pk", "gsi2sk")
    return {"pk": {"S": product_pk(product_id)}, "sk": {"S": META},
            hash_name: {"S": partition}, range_name: {"S": sort_key}}


def _cursor_of(product: ProductItem) -> dict[str, str]:
    return {"id": product.id, "s": product.gsi2sk}


def _public_projection(locale: str) -> list:
    """The attributes a shopper's view of a listed product is made of (presenter.public_view)."""
    return [ProductItem.pk, ProductItem.sk, ProductItem.id, ProductItem.slug, ProductItem.category,
            ProductItem.base_price, ProductItem.images, ProductItem.variants, ProductItem.stock, ProductItem.gsi2sk,
            *(ProductItem.l10n[code] for code in locales.fallback_chain(locale))]


def _words(text: str) -> list[str]:
    return [w for w in text.casefold().split() if w]


def list_products(*, locale: str, currency: str, category: str | None, q: str | None, limit: int,
                  cursor: str | None, status: str = "active", admin: bool = False
                  ) -> tuple[list[dict], str | None, list[str]]:
    """(items, next_cursor, locales served) of one page."""
    partition = catalog_partition(status, category)
    index_name, index = ("gsi1", ProductItem.by_category) if category else ("gsi2", ProductItem.by_status)
    purpose = _purpose(index_name, partition, q, locale)
    start = _start_key(index_name, partition, pagination.decode_cursor(cursor, purpose))
    projection = None if admin else _public_projection(locale)

    if q:
        chosen, more_after = _search(index, partition, start, limit, _words(q), locale, projection)
    else:
        found = list(index.query(partition, scan_index_forward=False, limit=limit + 1, page_size=limit + 1,
                                 last_evaluated_key=start, attributes_to_get=projection))
        chosen, more_after = found[:limit], (found[limit - 1] if len(found) > limit else None)

    items, served = [], []
    for product in chosen:
        view, locale_served = presenter.public_view(product, locale=locale, currency=currency, admin=admin)
        items.append(view)
        served.append(locale_served)
    next_cursor = pagination.encode_cursor(_cursor_of(more_after), purpose) if more_after is not None else None
    return items, next_cursor, served


def _search(index, partition: str, start: dict | None, limit: int, words: list[str], locale: str,
            projection: list | None) -> tuple[list[ProductItem], ProductItem | None]:
    budget = max(limit + 1, int_env("CATALOG_SEARCH_BUDGET", 1000))
    results = index.query(partition, scan_index_forward=False, limit=budget, page_size=min(budget, SEARCH_PAGE),
                          last_evaluated_key=start, attributes_to_get=projection)
    chosen: list[ProductItem] = []
    last_seen: ProductItem | None = None
    examined = 0
    for product in results:
        examined += 1
        name = presenter.localized(product, locale)[1].get("name", "").casefold()
        if all(word in name for word in words):
            if len(chosen) == limit:
                return chosen, chosen[-1]       # there is at least one more match
            chosen.append(product)
        last_seen = product
    if examined >= budget and last_seen is not None:
        return chosen, last_seen                # budget spent: continue after the last entry read
    return chosen, None
