"""Idempotency-Key on checkout: same key + body → first response; other body → 422; concurrent → one order."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from .conftest import ADDRESS


def test_same_key_and_body_returns_the_first_response(checkout, services):
    product = services.products.add("2.50", stock=10)
    user, key = str(uuid.uuid4()), str(uuid.uuid4())
    first = checkout(user, [{"product_id": product, "quantity": 2}], key=key)
    second = checkout(user, [{"product_id": product, "quantity": 2}], key=key)
    assert first.status == second.status == 201
    assert second.json == first.json
    assert len(services.payments.by_order) == 1                 # one intent
    assert len(services.products.reservations) == 1             # one reservation
    assert services.products.stock(product) == 8


def test_same_key_with_another_body_is_422(checkout, services):
    product = services.products.add("2.50", stock=10)
    user, key = str(uuid.uuid4()), str(uuid.uuid4())
    assert checkout(user, [{"product_id": product, "quantity": 1}], key=key).status == 201
    response = checkout(user, [{"product_id": product, "quantity": 3}], key=key)
    assert response.status == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert services.products.stock(product) == 9 and len(services.payments.by_order) == 1


def test_the_key_belongs_to_its_user(checkout, services):
    product = services.products.add("2.50", stock=10)
    key = str(uuid.uuid4())
    first = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], key=key)
    other = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], key=key)
    assert first.status == other.status == 201 and first.json["id"] != other.json["id"]


def test_a_failed_checkout_can_be_retried_with_the_same_key(checkout, services):
    product = services.products.add("2.50", stock=10)
    user, key = str(uuid.uuid4()), str(uuid.uuid4())
    services.payments.down = True
    assert checkout(user, [{"product_id": product, "quantity": 1}], key=key).status == 503
    services.payments.down = False
    retried = checkout(user, [{"product_id": product, "quantity": 1}], key=key)
    assert retried.status == 201
    assert services.products.stock(product) == 9


@pytest.mark.dynamodb_local
def test_concurrent_requests_with_one_key_place_one_order(orders_app, services, monkeypatch):
    """Two requests race with one key: the second waits for the first and answers the same."""
    from meridian import api, idempotency
    from meridian.auth import Principal
    from orders import checkout

    monkeypatch.setitem(api._current, "app", None)          # called outside a request: no Lambda context
    product = services.products.add("2.50", stock=10)
    real = checkout.place_order
    started, release, second_waiting = threading.Event(), threading.Event(), threading.Event()

    def held_place_order(**kwargs):
        started.set()
        assert release.wait(60)              # held until the second request is seen waiting
        return real(**kwargs)

    class WaitSpy:                           # idempotency's clock: sleeping = waiting for the first
        monotonic = staticmethod(time.monotonic)

        @staticmethod
        def sleep(seconds):
            second_waiting.set()
            time.sleep(seconds)

    monkeypatch.setattr(checkout, "place_order", held_place_order)
    monkeypatch.setattr(idempotency, "time", WaitSpy)
    body = {"items": [{"product_id": product, "quantity": 1}], "shipping_address": ADDRESS}
    order = {"items": [{"product_id": uuid.UUID(product), "quantity": 1, "sku": None}], "currency": "USD",
             "shipping_address": {**ADDRESS, "line2": None, "region": None}}
    results: list[dict] = []

    def request():
        results.append(checkout.place_order_once(Principal("u1", "customer"), key="same", body=body, order=order,
                                                 authorization=None))

    first = threading.Thread(target=request)
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=request)
    second.start()
    assert second_waiting.wait(30), "the second request never saw the first in progress"
    release.set()
    first.join(60)
    second.join(60)
    assert not first.is_alive() and not second.is_alive()
    assert len(results) == 2
    assert results[0] == results[1]
    assert len(services.payments.by_order) == 1 and services.products.stock(product) == 9


@pytest.mark.dynamodb_local
def test_racing_requests_with_one_key_place_one_order(orders_app, services, monkeypatch):
    """Six requests with one key released at once (DynamoDB Local, a real engine): one places the
    order, the others wait for it and answer the same."""
    from meridian import api, idempotency
    from meridian.auth import Principal
    from orders import checkout

    monkeypatch.setitem(api._current, "app", None)          # called outside a request: no Lambda context
    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST_SECONDS", 60.0)
    product = services.products.add("2.50", stock=10)
    body = {"items": [{"product_id": product, "quantity": 1}], "shipping_address": ADDRESS}
    order = {"items": [{"product_id": uuid.UUID(product), "quantity": 1, "sku": None}], "currency": "USD",
             "shipping_address": {**ADDRESS, "line2": None, "region": None}}
    start, results, errors = threading.Barrier(6), [], []

    def request():
        start.wait()
        try:
            results.append(checkout.place_order_once(Principal("u-race", "customer"), key="one-key", body=body,
                                                     order=order, authorization=None))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(results) == 6 and all(result == results[0] for result in results)
    assert len(services.payments.by_order) == 1 and len(services.products.reservations) == 1
    assert services.products.stock(product) == 9
