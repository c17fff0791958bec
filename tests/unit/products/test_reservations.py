"""The internal inventory API for the orders service: reserve, commit, release, expiry."""
from __future__ import annotations

import datetime as _dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from meridian.clock import iso, utcnow

from .helpers import available, make_product, reservation, service_headers

BASE = "/api/v1/products/internal/reservations"


def reserve(products, items, reservation_id=None, caller="orders", **extra):
    body = {"reservation_id": reservation_id or str(uuid.uuid4()), "items": items, **extra}
    return products.client.post(BASE, json=body, headers=service_headers(caller, "POST", BASE))


def settle(products, reservation_id, action, caller="orders"):
    path = f"{BASE}/{reservation_id}/{action}"
    return products.client.post(path, json={}, headers=service_headers(caller, "POST", path))


def test_reserve_returns_prices_names_and_expiry(products):
    pid = make_product(products, stock=5, name="Copper kettle", base_price="49.90", weight_grams=1200,
                       tax_class="reduced")
    rid = str(uuid.uuid4())
    response = reserve(products, [{"product_id": pid, "quantity": 2}], rid, ttl_seconds=600)
    assert response.status == 201, response.json
    body = response.json
    assert body["reservation_id"] == rid
    assert body["items"] == [{"product_id": pid, "sku": None, "quantity": 2,
                              "unit_price": {"amount": "49.90", "currency": "USD"}, "name": "Copper kettle",
                              "weight_grams": 1200, "tax_class": "reduced", "fixed_prices": {}}]
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
    levels = products.stock.levels(products.pim.load(pid, consistent=True))
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

    assert products.sweep.expire_due(now=utcnow())["expired"] == 0      # not due yet
    stats = products.sweep.expire_due(now=utcnow() + _dt.timedelta(seconds=120))
    assert stats["expired"] == 1
    assert available(products, pid) == 3
    assert reservation(products, rid)["status"] == "expired"
    assert reservation(products, kept)["status"] == "held"
    assert settle(products, rid, "commit").status == 409
    # sweeping again changes nothing
    products.sweep.expire_due(now=utcnow() + _dt.timedelta(seconds=120))
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
        products.reservations.commit(rid, now=utcnow() + _dt.timedelta(minutes=2))
        raise AssertionError("commit of an expired reservation succeeded")
    except products.errors.ReservationStateConflict:
        pass
    assert available(products, pid) == 2


@pytest.mark.dynamodb_local
def test_fifty_concurrent_reservations_for_ten_units(products):
    """On DynamoDB Local (a real engine): exactly the stock is held, never more, whatever the race."""
    pid = make_product(products, stock=10)
    start = threading.Barrier(16)

    def attempt(index):
        if index < 16:
            start.wait()
        try:
            products.reservations.reserve(str(uuid.uuid4()), [{"product_id": pid, "quantity": 1}])
            return True
        except products.errors.StockUnavailable:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count(True) == 10
    assert available(products, pid) == 0
    levels = products.stock.levels(products.pim.load(pid, consistent=True))
    assert levels[0]["held"] == 10


@pytest.mark.dynamodb_local
def test_racing_reservations_of_two_products_hold_both_or_neither(products):
    """Each reservation takes one unit of a plentiful and one of a scarce product: under the race,
    a reservation that loses on the scarce one holds nothing of the plentiful one either."""
    plenty, scarce = make_product(products, stock=100), make_product(products, stock=7)
    start = threading.Barrier(12)

    def attempt(_):
        start.wait()
        rid = str(uuid.uuid4())
        try:
            products.reservations.reserve(rid, [{"product_id": plenty, "quantity": 1},
                                                {"product_id": scarce, "quantity": 1}])
            return rid
        except products.errors.StockUnavailable:
            return None

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, range(24)))
    held = [rid for rid in outcomes if rid]
    assert len(held) == 7
    assert available(products, scarce) == 0
    assert available(products, plenty) == 100 - 7
    for pid in (plenty, scarce):
        product = products.pim.load(pid, consistent=True)
        assert set(product.holds.as_dict()) == {f"{rid}|_" for rid in held}
    for rid in held:  # and everything goes back
        assert settle(products, rid, "release").status == 200
    assert (available(products, plenty), available(products, scarce)) == (100, 7)


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


# --------------------------------------------------------------------------- one transaction each
def _holds(products, pid):
    product = products.pim.load(pid, consistent=True)
    return product.holds.as_dict() if product.holds else {}


def test_a_line_out_of_stock_leaves_every_other_line_and_no_reservation_behind(products, aws_calls):
    plenty = make_product(products, stock=10)
    tee = make_product(products, variants=[{"sku": "TEE-S", "stock": 5}, {"sku": "TEE-M", "stock": 5}])
    short = make_product(products, stock=1)
    rid = str(uuid.uuid4())
    aws_calls.clear()
    response = reserve(products, [{"product_id": plenty, "quantity": 3}, {"product_id": tee, "sku": "TEE-S",
                                                                           "quantity": 2},
                                  {"product_id": short, "quantity": 2}, {"product_id": tee, "sku": "TEE-M",
                                                                         "quantity": 5}], rid)
    assert response.status == 409
    assert (response.json["product_id"], response.json["reason"]) == (short, "insufficient_stock")
    assert (response.json["requested"], response.json["available"]) == (2, 1)
    writes = [op for service, op in aws_calls if service == "dynamodb" and op not in ("GetItem", "BatchGetItem",
                                                                                      "Query")]
    # (after the service-auth nonce) the holds in one transaction (cancelled), then the rejection record
    assert writes[-2:] == ["TransactWriteItems", "PutItem"] and "UpdateItem" not in writes
    assert available(products, plenty) == 10 and available(products, short) == 1
    assert (available(products, tee, "TEE-S"), available(products, tee, "TEE-M")) == (5, 5)
    assert _holds(products, plenty) == _holds(products, tee) == _holds(products, short) == {}
    record = products.repository.get_reservation(rid)
    assert record.status == "rejected" and record.gsi1pk is None   # nothing held, nothing for the sweep
    assert reservation(products, rid)["status"] == "rejected"


def test_the_first_line_that_cannot_be_held_is_named(products):
    """Several lines fail: the 409 names the first in the reservation's order (product id, then SKU)."""
    ok = make_product(products, stock=5)
    short_a, short_b = make_product(products, stock=0), make_product(products, stock=1)
    response = reserve(products, [{"product_id": short_b, "quantity": 2}, {"product_id": ok, "quantity": 1},
                                  {"product_id": short_a, "quantity": 1}])
    first = min(short_a, short_b)
    assert response.status == 409
    assert response.json["product_id"] == first
    assert response.json["available"] == (0 if first == short_a else 1)
    assert (available(products, ok), available(products, short_a), available(products, short_b)) == (5, 0, 1)


def test_a_product_archived_after_validation_is_not_available(products, monkeypatch):
    """The transaction's own condition (status = active) refuses it, with the reason read from the
    product as the failed condition saw it."""
    pid = make_product(products, stock=5)
    other = make_product(products, stock=5)
    loaded = products.repository.get_products(set([pid, other]))
    assert products.client.delete(f"/api/v1/products/{pid}", headers=products.admin).status == 204
    monkeypatch.setattr(products.repository, "get_products", lambda ids: loaded)   # read before the archive
    response = reserve(products, [{"product_id": pid, "quantity": 1}, {"product_id": other, "quantity": 1}])
    assert response.status == 409 and response.json["reason"] == "not_available"
    assert response.json["product_id"] == pid
    assert available(products, other) == 5 and _holds(products, other) == {}


def test_several_skus_of_one_product_move_together(products, aws_calls):
    tee = make_product(products, variants=[{"sku": "TEE-S", "stock": 3}, {"sku": "TEE-M", "stock": 3}])
    mug = make_product(products, stock=4)
    items = [{"product_id": tee, "sku": "TEE-S", "quantity": 2}, {"product_id": tee, "sku": "TEE-M", "quantity": 1},
             {"product_id": mug, "quantity": 4}]
    held = reserve(products, items)
    assert held.status == 201, held.json
    rid = held.json["reservation_id"]
    assert (available(products, tee, "TEE-S"), available(products, tee, "TEE-M"), available(products, mug)) == (
        1, 2, 0)
    assert set(_holds(products, tee)) == {f"{rid}|TEE-S", f"{rid}|TEE-M"}
    aws_calls.clear()
    assert products.views.reservation_view(products.reservations.commit(rid))["status"] == "committed"
    assert [op for _, op in aws_calls] == ["GetItem", "TransactWriteItems"]   # read it; one transaction
    levels = {level["sku"]: level for level in
              products.stock.levels(products.pim.load(tee, consistent=True))}
    assert levels["TEE-S"] == {"sku": "TEE-S", "available": 1, "held": 0, "sold": 2}
    assert levels["TEE-M"] == {"sku": "TEE-M", "available": 2, "held": 0, "sold": 1}
    assert _holds(products, tee) == _holds(products, mug) == {}
    assert products.repository.get_reservation(rid).gsi1pk is None   # finished: out of the sweep's index

    other = reserve(products, [{"product_id": tee, "sku": "TEE-S", "quantity": 1},
                               {"product_id": tee, "sku": "TEE-M", "quantity": 2}]).json["reservation_id"]
    assert settle(products, other, "release").status == 200
    assert (available(products, tee, "TEE-S"), available(products, tee, "TEE-M")) == (1, 2)
    assert _holds(products, tee) == {}


def test_colliding_transactions_are_retried(products, monkeypatch):
    """DynamoDB cancels a transaction that meets another one on the same item (TransactionConflict)."""
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    pid = make_product(products, stock=3)
    real, attempts = products.models.transaction, []

    def colliding():
        attempts.append(1)
        if len(attempts) < 3:
            cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                                       "TransactWriteItems", cancellation_reasons=[
                                           None, CancellationReason(code="TransactionConflict")])
            raise TransactWriteError("Failed to write transaction items", cause)
        return real()

    monkeypatch.setattr(products.repository, "transaction", colliding)
    monkeypatch.setattr(products.repository.time, "sleep", lambda seconds: None)
    response = reserve(products, [{"product_id": pid, "quantity": 2}])
    assert response.status == 201 and len(attempts) == 3
    assert available(products, pid) == 1


def test_the_sweep_queries_the_due_index_and_never_scans(products, aws_calls):
    pid = make_product(products, stock=6)
    due = [reserve(products, [{"product_id": pid, "quantity": 1}], ttl_seconds=60).json["reservation_id"]
           for _ in range(3)]
    not_due = [reserve(products, [{"product_id": pid, "quantity": 1}], ttl_seconds=3600).json["reservation_id"]
               for _ in range(2)]
    assert available(products, pid) == 1
    aws_calls.clear()
    stats = products.sweep.expire_due(now=utcnow() + _dt.timedelta(minutes=5))
    operations = [op for service, op in aws_calls if service == "dynamodb"]
    assert "Scan" not in operations
    assert operations.count("Query") == products.repository.DUE_SHARDS
    assert operations.count("TransactWriteItems") == 3          # one per expired reservation
    assert stats["expired"] == 3 and stats["examined"] == 3     # the not-yet-due were never read
    assert [reservation(products, rid)["status"] for rid in due] == ["expired"] * 3
    assert [reservation(products, rid)["status"] for rid in not_due] == ["held"] * 2
    assert available(products, pid) == 4


def test_the_sweep_finishes_records_of_the_old_step_by_step_code(products):
    """A `pending` record of the old code with one of its two lines held (it crashed in between)."""
    from products.models import META, ProductItem, ReservationItem, ReservationLine, product_pk

    repository, sweep = products.repository, products.sweep
    first, second = make_product(products, stock=5), make_product(products, stock=5)
    rid, created = str(uuid.uuid4()), utcnow() - _dt.timedelta(minutes=30)
    hold_until = created + _dt.timedelta(minutes=15)
    lines = [ReservationLine(product_id=pid, sku=None, stock_key="_", quantity=2, unit_price="1.00", name="x")
             for pid in (first, second)]
    ReservationItem(repository.reservation_pk(rid), META, id=rid, status="pending", lines=lines,
                    hold_until=iso(hold_until), hold_until_epoch=int(hold_until.timestamp()), created_at=iso(created),
                    updated_at=iso(created), gsi1pk=repository.due_partition(rid),
                    gsi1sk=repository.due_key(iso(hold_until), rid)).save()
    ProductItem(product_pk(first), META).update(actions=[ProductItem.stock["_"].set(3),
                                                         ProductItem.holds[f"{rid}|_"].set(2)])
    assert reserve(products, [{"product_id": first, "quantity": 2}, {"product_id": second, "quantity": 2}],
                   rid).status == 409                              # a replay of it: reservation-state
    stats = sweep.expire_due(now=utcnow())
    assert stats["settled"] == 1
    assert (available(products, first), available(products, second)) == (5, 5)
    assert _holds(products, first) == {}
    record = repository.get_reservation(rid)
    assert record.status == "expired" and record.gsi1pk is None
    assert sweep.expire_due(now=utcnow())["examined"] == 0
