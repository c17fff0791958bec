"""The products service's internal reservations API, as orders uses it (reservation id = order id), and its
restocks (returned units back in stock; restock id = the return's id).

What orders sends and reads here is pinned by tests/unit/contracts/test_orders_products_internal_api.py
against products' real API.
"""
from __future__ import annotations

from meridian.clients import ServiceClient
from meridian.errors import Conflict, ServiceUnavailable, Unprocessable, ValidationFailed
from meridian.observability import count, logger

_client: ServiceClient | None = None

# the members of products' 409 (insufficient-stock) that orders' own 409 carries on
SHORTAGE_MEMBERS = ("product_id", "sku", "reason", "requested", "available")


def client() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient("products")
    return _client


def reserve_request(reservation_id: str, items: list[dict], ttl_seconds: int) -> dict:
    """The body of POST /internal/reservations for an order's validated lines."""
    lines = [{"product_id": str(i["product_id"]), "quantity": i["quantity"],
              **({"sku": i["sku"]} if i.get("sku") else {})} for i in items]
    return {"reservation_id": reservation_id, "items": lines, "ttl_seconds": ttl_seconds}


def reserve(reservation_id: str, items: list[dict], ttl_seconds: int) -> dict:
    """Hold stock for every line (or none): {reservation_id, items: [{product_id, sku, quantity, name,
    unit_price, fixed_prices}], ...}. Conflict (409, with SHORTAGE_MEMBERS) when stock is short or a product is not for
    sale; ValidationFailed (400) with the lines' errors (under items.) for unknown products or bad lines;
    Unprocessable (422)."""
    body = reserve_request(reservation_id, items, ttl_seconds)
    response = client().post("/internal/reservations", internal=True, json=body)
    try:
        return response.result("reserve stock", errors={409: Conflict, 400: ValidationFailed, 404: ValidationFailed,
                                                        422: Unprocessable},
                               field="items", members=SHORTAGE_MEMBERS, shape=dict)
    except Conflict as short:
        count("CheckoutsOutOfStock")
        if short.extra.get("reason") != "not_found":
            raise
        # products answers an unknown product as a line it cannot hold (409, reason not_found): for the
        # shopper it is a bad line of their request
        index = next((n for n, line in enumerate(body["items"]) if line["product_id"] == short.extra.get("product_id")),
                     None)
        raise ValidationFailed({"items" if index is None else f"items.{index}.product_id": [short.detail]}) from None


def _settle(action: str, reservation_id: str) -> bool:
    try:
        response = client().post(f"/internal/reservations/{reservation_id}/{action}", internal=True, json={})
    except ServiceUnavailable:
        logger.warning(f"could not {action} reservation", extra={"reservation_id": reservation_id})
        raise
    if not response.ok:
        logger.warning(f"products refused to {action} reservation",
                       extra={"reservation_id": reservation_id, "status": response.status})
    return response.ok


def release(reservation_id: str) -> bool:
    """Give the reserved stock back (idempotent)."""
    return _settle("release", reservation_id)


def commit(reservation_id: str) -> bool:
    """The reserved stock is sold (idempotent)."""
    return _settle("commit", reservation_id)


def restock(restock_id: str, items: list[dict]) -> dict:
    """Put returned units ([{product_id, sku?, quantity}]) back in stock, once for `restock_id` (a repeat
    answers the first restock): {restock_id, created_at, items: [{product_id, sku, quantity}]}. 503 when
    products is down (the return is not received; the admin retries with the same id)."""
    body = {"restock_id": restock_id, "items": [{"product_id": str(i["product_id"]), "quantity": int(i["quantity"]),
                                                 **({"sku": i["sku"]} if i.get("sku") else {})} for i in items]}
    response = client().post("/internal/restocks", internal=True, json=body)
    return response.result("restock returned units", errors={400: ValidationFailed, 422: Unprocessable},
                           field="items", shape=dict)


def quote(items: list[dict], locale: str) -> list[dict]:
    """What each line ({product_id, sku}) costs now, without holding stock, in the order asked: per line
    {product_id, sku, found, for_sale, name (in `locale`), unit_price {amount, currency} (net, base currency),
    weight_grams, tax_class, fixed_prices {currency: amount} (pricing.line_input takes the cart's), available},
    or {found: false, missing: product | sku | sku_required}."""
    body = {"locale": locale, "items": [{"product_id": str(i["product_id"]), "sku": i.get("sku")} for i in items]}
    response = client().post("/internal/quotes", internal=True, json=body)
    return response.result("price the cart", shape=dict)["items"]
