"""Examples of products' internal API as orders uses it (reservations, and quotes of cart lines): ONE set of
payloads.

orders' unit tests answer with these (`ProductsStub` in tests/unit/orders/conftest.py), and
test_orders_products_internal_api.py checks them against products' REAL API, driven with exactly the
requests orders' products_api.py sends: same status, and every field orders reads present with the same
shape (and, where orders relies on it, the same value). A change on either side fails there first.

Each example is (status, body), body as products answers it (JSON or problem+json).
"""
from __future__ import annotations

from typing import Any

CONTENT_TYPES = {"json": "application/json", "problem": "application/problem+json"}
PROBLEM_TYPE = "https://meridian.dev/problems/"
# the answer to a reservation that is held (or settled), as orders' pricing and compensation read it
EXPIRES_AT = "2099-01-01T00:00:00.000Z"
CREATED_AT = "2025-01-01T00:00:00.000Z"

Example = tuple[int, dict[str, Any]]


def reserved(request: dict, catalog: dict[str, dict], *, status: str = "held") -> Example:
    """201: every line of `request` (the body orders POSTs to /internal/reservations) held, priced in USD.
    `catalog`: product id → {price (USD, "19.99"), name, sku (None for a product without variants),
    weight_grams? (0), tax_class? ("standard"), prices? ({}: its fixed prices, currency → amount)}."""
    items = [{"product_id": line["product_id"], "sku": line.get("sku") or catalog[line["product_id"]].get("sku"),
              "quantity": line["quantity"],
              "unit_price": {"amount": catalog[line["product_id"]]["price"], "currency": "USD"},
              "name": catalog[line["product_id"]]["name"],
              "weight_grams": catalog[line["product_id"]].get("weight_grams", 0),
              "tax_class": catalog[line["product_id"]].get("tax_class", "standard"),
              "fixed_prices": catalog[line["product_id"]].get("prices", {})} for line in request["items"]]
    return 201, {"reservation_id": request["reservation_id"], "status": status, "expires_at": EXPIRES_AT,
                 "created_at": CREATED_AT, "items": items}


def quote_request(locale: str, lines: list[dict]) -> dict:
    """The body orders POSTs to /internal/quotes: `lines` [{product_id, sku?}] of a cart, names in `locale`."""
    return {"locale": locale, "items": [{"product_id": str(line["product_id"]), "sku": line.get("sku")}
                                        for line in lines]}


def quoted(request: dict, catalog: dict[str, dict]) -> Example:
    """200: what each line of `request` (quote_request's body) costs now, in its order. `catalog`: product id →
    {price, name (in the request's locale), sku, weight_grams? (0), tax_class? ("standard"), prices? ({}: fixed
    prices, currency → amount), stock? (0: units available now), status? ("active")}; a product not in it, or a
    SKU it does not have, is `found: false` with `missing`: "product" or "sku" ("sku_required" for a product
    with variants asked without one)."""
    items = []
    for line in request["items"]:
        product = catalog.get(line["product_id"])
        sku = line.get("sku")
        if product is None or (sku and (product.get("sku") or "").upper() != sku.upper()):
            items.append({"product_id": line["product_id"], "sku": sku, "found": False,
                          "missing": "product" if product is None else "sku"})
            continue
        items.append({"product_id": line["product_id"], "sku": product.get("sku"), "found": True,
                      "for_sale": product.get("status", "active") == "active", "name": product["name"],
                      "unit_price": {"amount": product["price"], "currency": "USD"},
                      "weight_grams": product.get("weight_grams", 0),
                      "tax_class": product.get("tax_class", "standard"), "fixed_prices": product.get("prices", {}),
                      "available": product.get("stock", 0)})
    return 200, {"items": items}


def _shortage(product_id: str, reason: str, requested: int, available: int, detail: str) -> Example:
    # (a line without a SKU: the problem has no `sku` member, as problem+json leaves out what is null)
    return 409, {"type": PROBLEM_TYPE + "insufficient-stock", "title": "Conflict", "status": 409, "detail": detail,
                 "product_id": product_id, "reason": reason, "requested": requested, "available": available}


def out_of_stock(product_id: str, *, requested: int, available: int) -> Example:
    """409: a line asks for more than is left; nothing is held."""
    return _shortage(product_id, "insufficient_stock", requested, available,
                     f"Not enough stock for product {product_id}: {requested} requested, {available} available.")


def unknown_product(product_id: str, *, requested: int) -> Example:
    """409 with reason not_found: a line names a product products does not have; nothing is held."""
    return _shortage(product_id, "not_found", requested, 0, f"Product {product_id} is not available for sale.")


def settled(reserved_example: Example, status: str) -> Example:
    """200: the reservation committed or released (idempotent: a repeat answers the same)."""
    return 200, {**reserved_example[1], "status": status}


def settle_refused(reservation_id: str, current: str) -> Example:
    """409: commit of a released reservation, release of a committed one."""
    return 409, {"type": PROBLEM_TYPE + "reservation-state", "title": "Conflict", "status": 409,
                 "detail": f"Reservation {reservation_id} is {current}.", "reservation_id": reservation_id,
                 "reservation_status": current}


def unknown_reservation(reservation_id: str) -> Example:
    """404: commit or release of a reservation products never made."""
    return 404, {"type": PROBLEM_TYPE + "not-found", "title": "Not Found", "status": 404,
                 "detail": f"Reservation {reservation_id} does not exist.", "reservation_id": reservation_id}


def restocked(request: dict, catalog: dict[str, dict]) -> Example:
    """201: every line of `request` (the body orders POSTs to /internal/restocks) back in stock; a repeat of the
    restock_id answers the same."""
    items = [{"product_id": line["product_id"], "sku": line.get("sku") or catalog[line["product_id"]].get("sku"),
              "quantity": line["quantity"]} for line in request["items"]]
    return 201, {"restock_id": request["restock_id"], "created_at": CREATED_AT, "items": items}


def shape(value: Any) -> Any:
    """A JSON value's shape: dicts by key, lists by their first element, scalars by type."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def missing_from(example: Any, real: Any, where: str = "") -> list[str]:
    """Where `real` lacks a field of `example`, or has it in another shape (type); [] when it has them all."""
    if isinstance(example, dict):
        if not isinstance(real, dict):
            return [f"{where or '.'}: {shape(real)} instead of an object"]
        found = []
        for key, item in example.items():
            if key not in real:
                found.append(f"{where}.{key}: missing")
            else:
                found += missing_from(item, real[key], f"{where}.{key}")
        return found
    if isinstance(example, list):
        if not isinstance(real, list) or len(real) != len(example):
            return [f"{where}: {shape(real)} instead of {len(example)} items"]
        return [problem for n, (a, b) in enumerate(zip(example, real, strict=True))
                for problem in missing_from(a, b, f"{where}.{n}")]
    if type(example) is not type(real):
        return [f"{where}: {type(real).__name__} instead of {type(example).__name__}"]
    return []
