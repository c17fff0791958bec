"""The internal restock API for the orders service: returned units back in stock, once per restock id."""
from __future__ import annotations

import uuid

from .helpers import available, make_product, service_headers

BASE = "/api/v1/products/internal/restocks"
RESERVATIONS = "/api/v1/products/internal/reservations"


def restock(products, items, restock_id=None, caller="orders"):
    body = {"restock_id": restock_id or str(uuid.uuid4()), "items": items}
    return products.client.post(BASE, json=body, headers=service_headers(caller, "POST", BASE))


def sell(products, pid, quantity, sku=None):
    """Reserve and commit `quantity` units (as a paid order does)."""
    rid = str(uuid.uuid4())
    line = {"product_id": pid, "quantity": quantity, **({"sku": sku} if sku else {})}
    assert products.client.post(RESERVATIONS, json={"reservation_id": rid, "items": [line]},
                                headers=service_headers("orders", "POST", RESERVATIONS)).status == 201
    path = f"{RESERVATIONS}/{rid}/commit"
    assert products.client.post(path, json={}, headers=service_headers("orders", "POST", path)).status == 200


def levels(products, pid):
    return {level["sku"]: level for level in products.stock.levels(products.pim.load(pid, consistent=True))}


def test_restock_puts_sold_units_back_once_per_restock_id(products):
    pid = make_product(products, stock=5)
    sell(products, pid, 3)
    rid = str(uuid.uuid4())
    first = restock(products, [{"product_id": pid, "quantity": 2}], rid)
    assert first.status == 201, first.json
    assert first.json["restock_id"] == rid and first.json["created_at"]
    assert first.json["items"] == [{"product_id": pid, "sku": None, "quantity": 2}]
    assert levels(products, pid)[None] == {"sku": None, "available": 4, "held": 0, "sold": 1}
    again = restock(products, [{"product_id": pid, "quantity": 2}], rid)
    assert (again.status, again.json) == (201, first.json)                  # the first result, nothing added
    assert available(products, pid) == 4
    other = restock(products, [{"product_id": pid, "quantity": 1}], rid)    # same id, other items
    assert other.status == 422 and other.json["restock_id"] == rid
    assert available(products, pid) == 4


def test_variants_take_back_their_own_sku(products):
    tee = make_product(products, variants=[{"sku": "TEE-S", "stock": 2}, {"sku": "TEE-M", "stock": 2}])
    sell(products, tee, 2, "TEE-M")
    response = restock(products, [{"product_id": tee, "sku": "tee-m", "quantity": 1}])
    assert response.status == 201, response.json
    assert response.json["items"] == [{"product_id": tee, "sku": "TEE-M", "quantity": 1}]
    found = levels(products, tee)
    assert (found["TEE-S"]["available"], found["TEE-M"]["available"], found["TEE-M"]["sold"]) == (2, 1, 1)


def test_unknown_products_and_skus_are_400_per_line_and_add_nothing(products):
    pid = make_product(products, stock=5)
    tee = make_product(products, variants=[{"sku": "TEE-S", "stock": 2}])
    unknown = str(uuid.uuid4())
    rid = str(uuid.uuid4())
    response = restock(products, [{"product_id": pid, "quantity": 1}, {"product_id": unknown, "quantity": 1},
                                  {"product_id": tee, "quantity": 1}], rid)
    assert response.status == 400
    assert set(response.json["errors"]) == {"items.1.product_id", "items.2.sku"}
    assert (available(products, pid), available(products, tee, "TEE-S")) == (5, 2)
    assert restock(products, [{"product_id": pid, "quantity": 1}], rid).status == 201   # the id was not used


def test_bad_input_is_400_per_field(products):
    pid = make_product(products, stock=5)
    for body, field in (({"items": [{"product_id": pid, "quantity": 1}]}, "restock_id"),
                        ({"restock_id": "nope", "items": [{"product_id": pid, "quantity": 1}]}, "restock_id"),
                        ({"restock_id": str(uuid.uuid4()), "items": []}, "items"),
                        ({"restock_id": str(uuid.uuid4()), "items": [{"product_id": pid, "quantity": 0}]},
                         "items.0.quantity")):
        response = products.client.post(BASE, json=body, headers=service_headers("orders", "POST", BASE))
        assert response.status == 400 and field in response.json["errors"], (body, response.json)
    assert available(products, pid) == 5


def test_only_the_orders_service_may_restock(products):
    pid = make_product(products, stock=5)
    body = {"restock_id": str(uuid.uuid4()), "items": [{"product_id": pid, "quantity": 1}]}
    assert products.client.post(BASE, json=body, headers=products.customer).status == 401
    assert products.client.post(BASE, json=body, headers=products.admin).status == 401
    assert products.client.post(BASE, json=body, headers=service_headers("payments", "POST", BASE)).status == 403
    assert available(products, pid) == 5
