"""What a shopper and an admin may see of the catalog, in which locale and currency.

* Shoppers (anonymous, or any signed-in role below admin) see active products only: a draft or
  archived product is a 404 for them, and listing `status=draft|archived` needs an admin (401
  without a token, 403 below admin). A caller who sends a token must send a valid one (401).
* Admins see every status, plus `status`, `canonical_slug`, `stock` and `locales`; their answers
  are never cached publicly.
* Locale: ?locale → the signed-in shopper's saved locale → Accept-Language → en; currency:
  ?currency → the saved currency → USD (`meridian.shopper`).
* Structure (taxonomy.py, one Query per answer): each product names its category in the locale
  (`category_name`, `category_slug` beside the key `category`), the detail view its attributes
  (`attribute_labels`); `?category=` takes the key or a localized slug of the locale's chain.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meridian import shopper
from meridian.auth import Principal
from meridian.errors import Forbidden, Unauthorized

from . import listing, pim, pricing, taxonomy, views
from .errors import ProductNotFound

Viewer = Callable[[], Principal | None]   # who asks, verified when first needed (a bad token is a 401)


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any]
    served: list[str]           # the locales the answer was served in (Content-Language)
    public: bool                # the same for every shopper: it may be cached


def is_admin(viewer: Principal | None) -> bool:
    return viewer is not None and viewer.is_at_least("admin")


def _may_list(status: str | None, viewer: Viewer) -> None:
    if status in (None, "active"):
        return
    who = viewer()
    if who is None:
        raise Unauthorized("An access token is required.")
    if not is_admin(who):
        raise Forbidden("Only admins can list draft or archived products.")


def page(query: dict[str, Any], *, viewer: Viewer, accept_language: str | None,
         authorization: str | None) -> Answer:
    """One page of the catalog (ListQuerySchema's query), localized and priced for the caller."""
    _may_list(query["status"], viewer)
    admin = is_admin(viewer())
    locale = shopper.locale(query["locale"], accept_language, authorization)
    currency = shopper.currency(query["currency"], authorization)
    structure = taxonomy.load()
    items, next_cursor, served = listing.list_products(
        locale=locale, shelf=pricing.Shelf.of(locale, currency),
        category=structure.category_key(query["category"], locale), q=query["q"], limit=query["limit"],
        cursor=query["cursor"], status=query["status"] or "active", admin=admin, taxonomy=structure)
    return Answer({"items": items, "next_cursor": next_cursor, "locale": locale, "currency": currency},
                  served or [locale], public=not admin)


def product(id_or_slug: str, query: dict[str, Any], *, viewer: Viewer, accept_language: str | None,
            authorization: str | None) -> Answer:
    """One product (by id or slug), localized and priced; a product that is not active exists for admins only."""
    locale = shopper.locale(query["locale"], accept_language, authorization)
    currency = shopper.currency(query["currency"], authorization)
    found, admin = pim.find(id_or_slug, locale), is_admin(viewer())
    if found.status != "active" and not admin:
        raise ProductNotFound(id_or_slug)
    view, served = views.public_view(found, locale=locale, shelf=pricing.Shelf.of(locale, currency), detail=True,
                                     admin=admin, taxonomy=taxonomy.load())
    return Answer(view, [served], public=not admin)


def categories(query: dict[str, Any], *, viewer: Viewer, accept_language: str | None,
               authorization: str | None) -> Answer:
    """Every category in the caller's locale (CategoryQuerySchema's query): flat, depth first, or a tree."""
    locale = shopper.locale(query["locale"], accept_language, authorization)
    admin = is_admin(viewer())
    body, served = views.category_list_view(taxonomy.load(), locale, tree=query["tree"], admin=admin)
    return Answer(body, served or [locale], public=not admin)
