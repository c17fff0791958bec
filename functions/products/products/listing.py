"""Catalog listing: one index Query per page, never a table scan.

* `category` given → gsi1 partition CATALOG#<status>#<category>; otherwise gsi2 partition
  CATALOG#<status>. Both are sorted by <created_at>#<id>, newest first, so a page is one
  Query with Limit = limit + 1 (the extra item only tells whether there is a next page).
* The cursor is the last returned item's index key, signed (meridian.pagination, HMAC
  under a key derived from the service secret) for exactly this query: a cursor edited,
  forged, or taken from another query (other category, q, locale or status) is a 400.
  Keys are immutable (created_at, id), so paging sees every item exactly once even while
  other products change.
* `q` (search): search.py decides what a query finds (name and description in the served locale after
  fallback, accent- and case-insensitive, every term by prefix or stem; substrings for ja). It filters while
  paging through the same index and reads at most CATALOG_SEARCH_BUDGET (default 1,000) index entries per
  request, so a page may hold fewer than `limit` items (even none) and still carry a next_cursor. No
  relevance order: a real search engine is the next step (README).
* A shopper's page reads only what the shopper's view shows (`repository.catalog(texts_in=…)`): the texts
  of the served locale's fallback chain, not all of them, and none of the stock bookkeeping
  (holds, sold). Measured on 5-locale products, that is about a quarter of each item, and what
  is not read is neither sent, parsed nor turned into model objects. Admins read whole items.
"""
from __future__ import annotations

from meridian import locales, pagination
from meridian.config import int_env
from meridian.errors import ValidationFailed

from . import pricing, repository, search, views
from .models import ProductItem, catalog_partition

SEARCH_PAGE = 200


def _purpose(index: str, partition: str, q: str | None, locale: str) -> str:
    return f"products:{index}:{partition}:{(q or '').casefold()}:{locale if q else ''}"


def _after(cursor: dict | None) -> tuple[str, str] | None:
    """(product id, sort key) a signed cursor continues after; 400 when it does not hold them."""
    if cursor is None:
        return None
    product_id, sort_key = cursor.get("id"), cursor.get("s")
    if not isinstance(product_id, str) or not isinstance(sort_key, str):
        raise ValidationFailed({"cursor": ["The cursor is not valid."]})
    return product_id, sort_key


def _cursor_of(product: ProductItem) -> dict[str, str]:
    return {"id": product.id, "s": product.gsi2sk}


def list_products(*, locale: str, shelf: pricing.Shelf, category: str | None, q: str | None, limit: int,
                  cursor: str | None, status: str = "active", admin: bool = False, taxonomy=None
                  ) -> tuple[list[dict], str | None, list[str]]:
    """(items, next_cursor, locales served) of one page."""
    partition = catalog_partition(status, category)
    purpose = _purpose("gsi1" if category else "gsi2", partition, q, locale)
    after = _after(pagination.decode_cursor(cursor, purpose))
    texts_in = None if admin else locales.fallback_chain(locale)

    query = search.Query.parse(q or "")
    if query:
        chosen, more_after = _search(status, category, after, limit, query, locale, texts_in)
    else:
        found = list(repository.catalog(status, category, after=after, limit=limit + 1, page_size=limit + 1,
                                        texts_in=texts_in))
        chosen, more_after = found[:limit], (found[limit - 1] if len(found) > limit else None)

    items, served = [], []
    for product in chosen:
        view, locale_served = views.public_view(product, locale=locale, shelf=shelf, admin=admin, taxonomy=taxonomy)
        items.append(view)
        served.append(locale_served)
    next_cursor = pagination.encode_cursor(_cursor_of(more_after), purpose) if more_after is not None else None
    return items, next_cursor, served


def _search(status: str, category: str | None, after: tuple[str, str] | None, limit: int, query: search.Query,
            locale: str, texts_in: list[str] | None) -> tuple[list[ProductItem], ProductItem | None]:
    budget = max(limit + 1, int_env("CATALOG_SEARCH_BUDGET", 1000))
    results = repository.catalog(status, category, after=after, limit=budget, page_size=min(budget, SEARCH_PAGE),
                                 texts_in=texts_in)
    chosen: list[ProductItem] = []
    last_seen: ProductItem | None = None
    examined = 0
    for product in results:
        examined += 1
        served, text = views.localized(product, locale)
        if query.matches(served, (text.get("name") or "", text.get("description") or "")):
            if len(chosen) == limit:
                return chosen, chosen[-1]       # there is at least one more match
            chosen.append(product)
        last_seen = product
    if examined >= budget and last_seen is not None:
        return chosen, last_seen                # budget spent: continue after the last entry read
    return chosen, None
