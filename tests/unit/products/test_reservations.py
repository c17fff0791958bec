"""The internal inventory API for the orders service: reserve, commit, release, expiry."""
from __future__ import annotations

import datetime as _dt
import uuid
from concurrent.futures import ThreadPoolExecutor

from meridian.clock import iso, utcnow

from .helpers import available, make_product, service_headers

BASE = "/api/v1/products/internal/reservations"


def reserve(products, items, reservation_id=None, caller="orders", **extra):
    body = {"reservation_id": reservation_id or str(uuid.uuid4()), "items": items, **extra}
    return products.client.post(BASE, json=body, headers=service_headers(caller, "POST", BASE))


def settle(products, reservation_id, action, caller="orders"):
    path = f"{BASE}/{reservation_id}/{action}"
    return products.client.post(path, json={}, headers=service_headers(caller, "POST", path))


def test_reserve_returns_prices_names_and_expiry(products):
    pid = make_product(products, stock=5, name="Copper kettle", base_price="49.90")
    rid = str(uuid.uuid4())
    response = reserve(products, [{"product_id": pid, "quantity": 2}], rid, ttl_seconds=600)
    assert response.status == 201, response.json
    body = response.json
    assert body["reservation_id"] == rid
    assert body["items"] == [{"product_id": pid, "sku": None, "quantity": 2,
                              "unit_price": {"amount": "49.90", "currency": "USD"}, "name": "Copper kettle"}]
    expires = _dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert 590 <= (expires - utcnow()).total_seconds() <= 600
    assert available(products, pid) == 3


def test_same_reservation_id_is_idempotent_and_a_different_body_is_refused(products):
    pid = make_product(products, stock=5)
    rid = str(uuid.uuid4())
    first = reserve(products, [{"product_id": pid, "quantity": 2}], rid)
    again = reserve(products, [{"product_id": pid, "quantity": 2}], rid)
    assert first.status == again.status == 201
    assert again.json == first.json
    assert available(products, pid) == 3
    assert reserve(products, [{"product_id": pid, "quantity": 3}], rid).status == 422
    assert available(products, pid) == 3


def test_all_or_nothing_across_items_names_the_short_product(products):
    plenty = make_product(products, stock=10)
    short = make_product(products, stock=1)
    response = reserve(products, [{"product_id": plenty, "quantity": 4}, {"product_id": short, "quantity": 2}])
    assert response.status == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["product_id"] == short
    assert response.json["reason"] == "insufficient_stock"
    assert response.json["available"] == 1 and response.json["requested"] == 2
    assert available(products, plenty) == 10
    assert available(products, short) == 1
    rid = str(uuid.uuid4())
    items = [{"product_id": short, "quantity": 2}]
    assert reserve(products, items, rid).status == 409
    replay = reserve(products, items, rid)  # a reservation id is single-use: same outcome
    assert replay.status == 409 and replay.json["product_id"] == short


def test_variants_keep_their_own_stock(products):
    pid = make_product(products, variants=[{"sku": "TEE-S", "stock": 2}, {"sku": "TEE-M", "stock": 0,
                                                                         "base_price": "21.00"}])
    assert reserve(products, [{"product_id": pid, "sku": "TEE-M", "quantity": 1}]).status == 409
    ok = reserve(products, [{"product_id": pid, "sku": "tee-s", "quantity": 2}])
    assert ok.status == 201
    assert ok.json["items"][0]["sku"] == "TEE-S"
    assert available(products, pid, "TEE-S") == 0
    missing = reserve(products, [{"product_id": pid, "quantity": 1}])
    assert missing.status == 400
    assert "items.0.sku" in missing.json["errors"]


def test_draft_and_unknown_products_cannot_be_reserved(products):
    draft = make_product(products, stock=5, status="draft")
    assert reserve(products, [{"product_id": draft, "quantity": 1}]).json["reason"] == "not_available"
    unknown = reserve(products, [{"product_id": str(uuid.uuid4()), "quantity": 1}])
    assert unknown.status == 409 and unknown.json["reason"] == "not_found"
    assert available(products, draft) == 5


def test_commit_and_release_are_idempotent(products):
    pid = make_product(products, stock=5)
    rid = reserve(products, [{"product_id": pid, "quantity": 2}]).json["reservation_id"]
    assert settle(products, rid, "commit").status == 200
    committed = settle(products, rid, "commit")
    assert committed.status == 200 and committed.json["status"] == "committed"
    assert available(products, pid) == 3
    assert settle(products, rid, "release").status == 409  # sold stock does not come back
    levels = products.inventory.stock_levels(products.pim.load(pid, consistent=True))
    assert levels == [{"sku": None, "available": 3, "held": 0, "sold": 2}]

    other = reserve(products, [{"product_id": pid, "quantity": 3}]).json["reservation_id"]
    assert available(products, pid) == 0
    for _ in range(3):
        released = settle(products, other, "release")
        assert released.status == 200 and released.json["status"] == "released"
    assert available(products, pid) == 3
    assert settle(products, other, "commit").status == 409
    assert settle(products, str(uuid.uuid4()), "release").status == 404


def test_expired_reservations_return_stock_through_the_sweep(products):
    pid = make_product(products, stock=4)
    rid = reserve(products, [{"product_id": pid, "quantity": 3}], ttl_seconds=60).json["reservation_id"]
    kept = reserve(products, [{"product_id": pid, "quantity": 1}], ttl_seconds=3600).json["reservation_id"]
    assert available(products, pid) == 0

    assert products.inventory.sweep(now=utcnow())["expired"] == 0      # not due yet
    stats = products.inventory.sweep(now=utcnow() + _dt.timedelta(seconds=120))
    assert stats["expired"] == 1
    assert available(products, pid) == 3
    assert products.inventory.get_reservation(rid)["status"] == "expired"
    assert products.inventory.get_reservation(kept)["status"] == "held"
    assert settle(products, rid, "commit").status == 409
    # sweeping again changes nothing
    products.inventory.sweep(now=utcnow() + _dt.timedelta(seconds=120))
    assert available(products, pid) == 3


def test_sweep_handler_runs_as_of_its_schedule_event_time(products, load_function):
    pid = make_product(products, stock=2)
    reserve(products, [{"product_id": pid, "quantity": 2}], ttl_seconds=60)
    handler = load_function("ReservationSweepFunction")
    now = {"source": "aws.events", "detail-type": "Scheduled Event", "time": iso(utcnow())}
    assert handler(now, None)["expired"] == 0
    later = dict(now, time=iso(utcnow() + _dt.timedelta(minutes=5)))
    assert handler(later, None)["expired"] == 1
    assert available(products, pid) == 2


def test_commit_after_expiry_is_refused_and_returns_stock(products):
    pid = make_product(products, stock=2)
    rid = reserve(products, [{"product_id": pid, "quantity": 2}], ttl_seconds=60).json["reservation_id"]
    try:
        products.inventory.commit(rid, now=utcnow() + _dt.timedelta(minutes=2))
        raise AssertionError("commit of an expired reservation succeeded")
    except products.inventory.ReservationStateConflict:
        pass
    assert available(products, pid) == 2


def test_fifty_concurrent_reservations_for_ten_units(products, serialized_dynamodb):
    pid = make_product(products, stock=10)

    def attempt(_):
        try:
            products.inventory.reserve(str(uuid.uuid4()), [{"product_id": pid, "quantity": 1}])
            return True
        except products.inventory.StockUnavailable:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count(True) == 10
    assert available(products, pid) == 0
    levels = products.inventory.stock_levels(products.pim.load(pid, consistent=True))
    assert levels[0]["held"] == 10


def test_customer_tokens_and_other_services_cannot_reserve(products):
    pid = make_product(products, stock=5)
    body = {"reservation_id": str(uuid.uuid4()), "items": [{"product_id": pid, "quantity": 1}]}
    assert products.client.post(BASE, json=body, headers=products.customer).status == 401
    assert products.client.post(BASE, json=body, headers=products.admin).status == 401
    assert products.client.post(BASE, json=body, headers=service_headers("payments", "POST", BASE)).status == 403
    forged = {"X-Service-Authorization": "svc=orders,t=1700000000,v1=" + "0" * 64}
    assert products.client.post(BASE, json=body, headers=forged).status == 401
    assert available(products, pid) == 5


def test_invalid_reservation_input_is_400_per_field(products):
    response = reserve(products, [{"product_id": "nope", "quantity": 0}], reservation_id="x", ttl_seconds=5)
    assert response.status == 400
    errors = response.json["errors"]
    assert {"reservation_id", "items.0.product_id", "items.0.quantity", "ttl_seconds"} <= set(errors)
