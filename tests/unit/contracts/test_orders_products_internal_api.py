"""What orders expects of products' internal API (reservations, quotes of cart lines), against products' REAL API.

orders' own code (functions/orders/orders/products_api.py, with its ServiceClient signing as `orders`)
sends its requests; they are answered in process by the ProductsFunction app (its routes, service-auth
check, schemas, stock transactions on moto). Each answer must match the example orders' unit tests are
answered with (products_internal_api.py): the same status and every field orders reads, in the same shape.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import responses
from meridian import fx
from meridian.errors import Conflict, ValidationFailed

from tests.lambda_testing import ApiClient, TokenFactory, serve_in_process

from ..conftest import API_BASE_URL
from . import products_internal_api as contract

ORDERS_CODE = Path(__file__).resolve().parents[3] / "functions" / "orders"
TTL_SECONDS = 2400                                   # orders: its payment window (30 min) + 10 min


@pytest.fixture
def products(load_function):
    fx.use_static({"USD": "1.08"}, base="EUR", source="ecb")
    app = load_function("ProductsFunction")
    yield app
    fx.reset()


@pytest.fixture
def orders_side(products, monkeypatch):
    """orders' products_api module, its client signing as orders, its calls answered by products' real app;
    `.calls` are the (request, response) pairs that crossed."""
    from meridian.clients import ServiceClient

    monkeypatch.syspath_prepend(str(ORDERS_CODE))
    from orders import products_api

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_in_process(mock, API_BASE_URL, products)
        monkeypatch.setattr(products_api, "_client", ServiceClient("products", caller="orders"))
        products_api.calls = mock.calls
        yield products_api


@pytest.fixture
def catalog(products):
    """Two products with stock, made through products' admin API: id → {price, name, sku, weight_grams,
    tax_class, stock, prices (fixed)}."""
    client, admin = ApiClient(products), TokenFactory().header(role="admin")
    made = {}
    for name, price, stock, weight, tax_class, prices in (
            ("Kettle", "19.99", 5, 1200, "standard", {"JPY": "3200", "EUR": "19.90"}),
            ("Teapot", "5.00", 2, 450, "reduced", {})):
        response = client.post("/api/v1/products", headers=admin,
                               json={"name": name, "category": "kitchen", "base_price": price, "stock": stock,
                                     "weight_grams": weight, "tax_class": tax_class, "prices": prices})
        assert response.status == 201, response.json
        made[response.json["id"]] = {"price": price, "name": name, "sku": None, "weight_grams": weight,
                                     "tax_class": tax_class, "stock": stock, "prices": prices}
    return made


def last_answer(orders_side) -> tuple[int, dict]:
    response = orders_side.calls[-1].response
    return response.status_code, response.json()


def by_line(body: dict) -> dict:
    """A reservation's body with its lines in one order (products answers them by product, orders reads them so)."""
    if "reservation_id" not in body or not isinstance(body.get("items"), list):
        return body
    return {**body, "items": sorted(body["items"], key=lambda line: (line["product_id"], line.get("sku") or ""))}


def assert_matches(example: contract.Example, answer: tuple[int, dict], content_type: str) -> None:
    assert answer[0] == example[0], answer
    assert contract.missing_from(by_line(example[1]), by_line(answer[1])) == [], answer[1]
    # (the `responses` mock that carries it adds its own text/plain in front)
    assert contract.CONTENT_TYPES["json" if example[0] < 400 else "problem"] in content_type


def test_reserve_answers_every_line_held_and_priced(orders_side, catalog):
    (kettle, _), (teapot, _) = catalog.items()
    order_id, lines = str(uuid.uuid4()), [{"product_id": uuid.UUID(kettle), "quantity": 2, "sku": None},
                                          {"product_id": uuid.UUID(teapot), "quantity": 1, "sku": None}]
    body = orders_side.reserve(order_id, lines, ttl_seconds=TTL_SECONDS)
    request = orders_side.reserve_request(order_id, lines, TTL_SECONDS)
    example = contract.reserved(request, catalog)
    assert_matches(example, last_answer(orders_side), orders_side.calls[-1].response.headers["Content-Type"])
    assert body == last_answer(orders_side)[1]
    read = [{k: line[k] for k in ("product_id", "sku", "quantity", "name", "unit_price", "weight_grams", "tax_class",
                                  "fixed_prices")}
            for line in body["items"]]
    assert sorted(read, key=lambda line: line["product_id"]) == sorted(example[1]["items"],
                                                                       key=lambda line: line["product_id"])
    assert body["reservation_id"] == order_id and body["status"] == "held"


def test_the_same_reservation_id_answers_its_first_outcome(orders_side, catalog):
    kettle = next(iter(catalog))
    order_id, lines = str(uuid.uuid4()), [{"product_id": kettle, "quantity": 1}]
    first = orders_side.reserve(order_id, lines, ttl_seconds=TTL_SECONDS)
    again = orders_side.reserve(order_id, lines, ttl_seconds=TTL_SECONDS)
    assert again == first
    assert_matches(contract.reserved(orders_side.reserve_request(order_id, lines, TTL_SECONDS), catalog),
                   last_answer(orders_side), orders_side.calls[-1].response.headers["Content-Type"])


def test_out_of_stock_is_a_409_with_the_members_orders_passes_on(orders_side, catalog):
    teapot = list(catalog)[1]
    order_id = str(uuid.uuid4())
    with pytest.raises(Conflict) as short:
        orders_side.reserve(order_id, [{"product_id": teapot, "quantity": 3}], ttl_seconds=TTL_SECONDS)
    example = contract.out_of_stock(teapot, requested=3, available=2)
    answer = last_answer(orders_side)
    assert_matches(example, answer, orders_side.calls[-1].response.headers["Content-Type"])
    members = {k: example[1].get(k) for k in orders_side.SHORTAGE_MEMBERS}
    assert {k: answer[1].get(k) for k in orders_side.SHORTAGE_MEMBERS} == members
    assert short.value.status == 409
    assert {k: short.value.extra.get(k) for k in orders_side.SHORTAGE_MEMBERS} == members
    with pytest.raises(Conflict):                    # the id replays its 409; nothing was held meanwhile
        orders_side.reserve(order_id, [{"product_id": teapot, "quantity": 3}], ttl_seconds=TTL_SECONDS)
    assert_matches(example, last_answer(orders_side), orders_side.calls[-1].response.headers["Content-Type"])


def test_an_unknown_product_is_a_409_not_found_that_orders_answers_as_a_bad_line(orders_side, catalog):
    kettle, unknown = next(iter(catalog)), str(uuid.uuid4())
    with pytest.raises(ValidationFailed) as bad:
        orders_side.reserve(str(uuid.uuid4()), [{"product_id": kettle, "quantity": 1},
                                                {"product_id": unknown, "quantity": 4}], ttl_seconds=TTL_SECONDS)
    example = contract.unknown_product(unknown, requested=4)
    answer = last_answer(orders_side)
    assert_matches(example, answer, orders_side.calls[-1].response.headers["Content-Type"])
    assert (answer[1]["product_id"], answer[1]["reason"]) == (unknown, "not_found")
    assert bad.value.status == 400 and set(bad.value.extra["errors"]) == {"items.1.product_id"}


@pytest.mark.parametrize("action,status", [("commit", "committed"), ("release", "released")])
def test_commit_and_release_settle_once_and_answer_the_same_again(orders_side, catalog, action, status):
    kettle = next(iter(catalog))
    order_id, lines = str(uuid.uuid4()), [{"product_id": kettle, "quantity": 1}]
    orders_side.reserve(order_id, lines, ttl_seconds=TTL_SECONDS)
    example = contract.settled(contract.reserved(orders_side.reserve_request(order_id, lines, TTL_SECONDS), catalog),
                               status)
    settle = getattr(orders_side, action)
    for _ in range(2):                               # idempotent
        assert settle(order_id) is True
        assert_matches(example, last_answer(orders_side), orders_side.calls[-1].response.headers["Content-Type"])
        assert last_answer(orders_side)[1]["status"] == status
    other = orders_side.release if action == "commit" else orders_side.commit
    assert other(order_id) is False                  # sold stock does not come back; released is not sold
    assert_matches(contract.settle_refused(order_id, status), last_answer(orders_side),
                   orders_side.calls[-1].response.headers["Content-Type"])


def test_settling_an_unknown_reservation_is_a_404(orders_side, catalog):
    reservation_id = str(uuid.uuid4())
    for settle in (orders_side.commit, orders_side.release):
        assert settle(reservation_id) is False
        assert_matches(contract.unknown_reservation(reservation_id), last_answer(orders_side),
                       orders_side.calls[-1].response.headers["Content-Type"])


# --------------------------------------------------------------------------- quotes of cart lines
def quote(orders_side, request: dict) -> tuple[int, dict, str]:
    """The call orders' carts make: client().post("/internal/quotes", internal=True, json=...)."""
    response = orders_side.client().post("/internal/quotes", internal=True, json=request)
    assert last_answer(orders_side) == (response.status, response.body)
    return response.status, response.body, orders_side.calls[-1].response.headers["Content-Type"]


def test_a_quote_answers_every_line_in_order_found_or_not(orders_side, catalog):
    (kettle, _), (teapot, _) = catalog.items()
    request = contract.quote_request("en", [{"product_id": uuid.UUID(kettle)}, {"product_id": str(uuid.uuid4())},
                                            {"product_id": teapot, "sku": None}, {"product_id": kettle, "sku": "NO-1"}])
    example = contract.quoted(request, catalog)
    status, body, content_type = quote(orders_side, request)
    assert_matches(example, (status, body), content_type)
    assert body == example[1]                         # every value orders prices, weighs and taxes a cart with
    assert [line["found"] for line in body["items"]] == [True, False, True, False]
    assert orders_side.quote(request["items"], "en") == body["items"]      # what carts read of it


def test_a_quote_names_lines_in_the_carts_locale_and_holds_nothing(orders_side, catalog, products):
    kettle = next(iter(catalog))
    client, admin = ApiClient(products), TokenFactory().header(role="admin")
    put = client.put(f"/api/v1/products/{kettle}/localizations/de", headers=admin, json={"name": "Wasserkocher"})
    assert put.status == 200, put.json
    request = contract.quote_request("de", [{"product_id": kettle}] * 2)
    german = {**catalog, kettle: {**catalog[kettle], "name": "Wasserkocher"}}
    for _ in range(2):                                # a quote holds nothing: the same answer again
        status, body, content_type = quote(orders_side, request)
        assert_matches(contract.quoted(request, german), (status, body), content_type)
        assert body == contract.quoted(request, german)[1]
    orders_side.reserve(str(uuid.uuid4()), [{"product_id": kettle, "quantity": 2}], ttl_seconds=TTL_SECONDS)
    left = {**german, kettle: {**german[kettle], "stock": german[kettle]["stock"] - 2}}
    assert quote(orders_side, request)[1] == contract.quoted(request, left)[1]


def test_a_bad_quote_request_is_a_400_naming_the_field(orders_side, catalog):
    status, body, content_type = quote(orders_side, {"locale": "xx", "items": [{"product_id": next(iter(catalog))}]})
    assert status == 400 and "locale" in body["errors"]
    assert contract.CONTENT_TYPES["problem"] in content_type


def test_restock_puts_returned_units_back_once_and_answers_the_same_again(orders_side, catalog, products):
    kettle = next(iter(catalog))
    order_id, lines = str(uuid.uuid4()), [{"product_id": kettle, "quantity": 2}]
    orders_side.reserve(order_id, lines, ttl_seconds=TTL_SECONDS)
    orders_side.commit(order_id)
    return_id = str(uuid.uuid4())
    request = {"restock_id": return_id, "items": [{"product_id": kettle, "quantity": 1}]}
    example = contract.restocked(request, catalog)
    for _ in range(2):                               # once per restock id: a repeat answers the first restock
        body = orders_side.restock(return_id, [{"product_id": kettle, "sku": None, "quantity": 1}])
        assert_matches(example, last_answer(orders_side), orders_side.calls[-1].response.headers["Content-Type"])
        assert body["items"] == example[1]["items"] and body["restock_id"] == return_id
    inventory = ApiClient(products).get(f"/api/v1/products/{kettle}/inventory",
                                        headers=TokenFactory().header(role="admin")).json["items"][0]
    assert (inventory["available"], inventory["sold"]) == (catalog[kettle]["stock"] - 1, 1)


def test_restock_of_an_unknown_product_is_a_bad_line(orders_side, catalog):
    with pytest.raises(ValidationFailed) as bad:
        orders_side.restock(str(uuid.uuid4()), [{"product_id": str(uuid.uuid4()), "quantity": 1}])
    assert bad.value.status == 400 and set(bad.value.extra["errors"]) == {"items.0.product_id"}
