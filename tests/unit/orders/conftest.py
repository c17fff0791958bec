"""Fixtures of the orders tests: the OrdersFunction app, a products stub, fake payments / users APIs.

The sibling services are stood in for at the HTTP boundary (`responses` intercepts the calls
ServiceClient makes to the API's base URL), so the orders code runs unchanged: its clients
sign, time out, retry and trip breakers as they would against the real services. The products
stub answers canned examples that tests/unit/contracts/ checks against products' real API.
"""
from __future__ import annotations

import json
import os
import re
import threading
import uuid
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import responses
from meridian import fx
from meridian.clock import iso

from tests.lambda_testing import ApiClient, TokenFactory, signed_by

from ..conftest import API_BASE_URL
from ..contracts import products_internal_api as contract

BASE = API_BASE_URL
RATES = {"USD": "1.08", "JPY": "162.37", "KWD": "0.3321", "GBP": "0.8573"}   # per 1 EUR (ECB style)
ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


class ProductsStub:
    """products' internal reservations API as orders sees it: it records every call and answers the canned
    examples of tests/unit/contracts/products_internal_api.py, whose shapes the contract test checks against
    products' real API. It decides nothing about stock: a reservation of the products a test added is
    `reserved`; of a product it was not given, `unknown_product`; anything else a test wants (a shortage)
    it queues with `answer_next_reserve`. A reservation id answers its first outcome again."""

    def __init__(self):
        self.lock = threading.Lock()
        self.catalog: dict[str, dict] = {}
        self.starting_stock: dict[str, int] = {}
        self.reservations: dict[str, dict] = {}      # held, committed or released (a 201 answered)
        self.refused: dict[str, dict] = {}           # answered 409 (replayed as such)
        self.restocks: dict[str, contract.Example] = {}   # restock id → its first answer
        self.calls: list[tuple[str, str]] = []
        self.queued: list[contract.Example] = []

    def add(self, price: str, stock: int = 10, name: str = "Widget", *, tax_class: str = "standard",
            weight_grams: int = 500, sku: str | None = None, prices: dict[str, str] | None = None) -> str:
        """A product without variants (`sku`: its own SKU, which products reports on its reservation lines;
        `prices`: its fixed prices, currency → amount)."""
        product_id = str(uuid.uuid4())
        self.catalog[product_id] = {"price": price, "name": name, "sku": sku, "tax_class": tax_class,
                                    "weight_grams": weight_grams, "prices": dict(prices or {})}
        self.starting_stock[product_id] = stock
        return product_id

    def answer_next_reserve(self, example: contract.Example) -> None:
        self.queued.append(example)

    def stock(self, product_id: str) -> int:
        """The stock products would show after the calls orders made: what it started with, less what the
        reservations orders holds or bought (from the recorded calls, not a rule of products)."""
        taken = sum(line["quantity"] for found in self.reservations.values() if found["status"] != "released"
                    for line in found["items"] if line["product_id"] == product_id)
        back = sum(line["quantity"] for status, body in self.restocks.values() if status == 201
                   for line in body["items"] if line["product_id"] == product_id)
        return self.starting_stock[product_id] - taken + back

    def status(self, reservation_id: str) -> str | None:
        found = self.reservations.get(reservation_id)
        return found["status"] if found else None

    def handle(self, request):
        path = request.path_url.split("?")[0]
        body = json.loads(request.body or b"{}")
        assert signed_by(request, BASE) == "orders"
        with self.lock:
            self.calls.append((request.method, path))
            if path.endswith("/internal/reservations"):
                return self._answer(*self._reserve(body))
            if path.endswith("/internal/restocks"):   # once per restock id: a repeat answers the first
                if body["restock_id"] not in self.restocks:
                    self.restocks[body["restock_id"]] = contract.restocked(body, self.catalog)
                return self._answer(*self.restocks[body["restock_id"]])
            if path.endswith("/internal/quotes"):   # the catalog's prices and the stock left after orders' calls
                return self._answer(*contract.quoted(body, {pid: {**product, "stock": self.stock(pid)}
                                                            for pid, product in self.catalog.items()}))
            reservation_id, action = re.search(r"/reservations/([^/]+)/(commit|release)$", path).groups()
            found = self.reservations.get(reservation_id)
            if found is None:
                return self._answer(*contract.unknown_reservation(reservation_id))
            wanted = "committed" if action == "commit" else "released"
            if found["status"] not in ("held", wanted):
                return self._answer(*contract.settle_refused(reservation_id, found["status"]))
            found["status"] = wanted
            return self._answer(*contract.settled(found["answer"], wanted))

    def _reserve(self, body) -> contract.Example:
        first = self.reservations.get(body["reservation_id"]) or self.refused.get(body["reservation_id"])
        if first is not None:
            return first["answer"]
        if self.queued:
            answer = self.queued.pop(0)
        else:
            unknown = next((line for line in body["items"] if line["product_id"] not in self.catalog), None)
            answer = (contract.unknown_product(unknown["product_id"], requested=unknown["quantity"]) if unknown
                      else contract.reserved(body, self.catalog))
        record = {"status": "held", "items": body["items"], "answer": answer}
        (self.reservations if answer[0] == 201 else self.refused)[body["reservation_id"]] = record
        return answer

    @staticmethod
    def _answer(status: int, body: dict):
        kind = "json" if status < 400 else "problem"
        return status, {"Content-Type": contract.CONTENT_TYPES[kind]}, json.dumps(body)


class FakePayments:
    """The payments internal API: intents per order, cancel, refund, list succeeded."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_order: dict[str, dict] = {}
        self.by_id: dict[str, dict] = {}
        self.down = False                 # answer 503 like a payments service whose gateway is down
        self.lost_answers = 0             # create this many intents, then answer 503 as if the answer were lost
        self.claims: dict[str, str] = {}  # order id → claimed at: a claim that never got its payment
        self.abandoned: list[str] = []
        self.refunds: list[str] = []
        self.refund_bodies: list[dict] = []      # what each refund call asked ({} for "all that is left")
        self.refuse_refunds = False              # answer 409 as payments does while a refund is pending
        self.cancels: list[str] = []

    def succeed(self, payment_id: str) -> None:
        self.by_id[payment_id]["status"] = "succeeded"

    def handle(self, request):
        path = request.path_url.split("?")[0]
        assert signed_by(request, BASE) == "orders"
        json_headers = {"Content-Type": "application/json"}
        with self.lock:
            if self.down:
                return 503, {"Content-Type": "application/problem+json", "Retry-After": "5"}, json.dumps(
                    {"status": 503, "detail": "The payment gateway is unavailable."})
            if path.endswith("/internal/intents"):
                body = json.loads(request.body)
                if body["order_id"] in self.by_order and not self.lost_answers:
                    return 200, json_headers, json.dumps(self.by_order[body["order_id"]])
                payment_id = self.by_order[body["order_id"]]["id"] if body["order_id"] in self.by_order \
                    else str(uuid.uuid4())
                payment = {"id": payment_id, "order_id": body["order_id"], "user_id": body["user_id"],
                           "breakdown": body.get("breakdown"), "created_at": iso(),
                           "intent_id": f"pi_{uuid.uuid4().hex[:12]}", "client_secret": f"secret_{payment_id}",
                           "status": "pending", "amount": {"amount": body["amount"], "currency": body["currency"]}}
                self.by_order[body["order_id"]] = self.by_id[payment_id] = payment
                if self.lost_answers:
                    self.lost_answers -= 1
                    return 503, {"Content-Type": "application/problem+json", "Retry-After": "5"}, json.dumps(
                        {"status": 503, "detail": "The payment gateway did not answer."})
                return 201, json_headers, json.dumps(payment)
            if request.method == "GET" and path.endswith("/internal/payments"):
                query = parse_qs(urlparse(request.url).query)
                status, before = query.get("status", ["succeeded"])[0], query.get("before", [None])[0]
                if status == "claimed":
                    items = [{"order_id": order_id, "payment_id": str(uuid.uuid4()), "status": "claimed",
                              "created_at": at} for order_id, at in self.claims.items() if not before or at < before]
                else:
                    items = [p for p in self.by_id.values() if p["status"] == status
                             and (not before or p["created_at"] < before)]
                return 200, json_headers, json.dumps({"items": items, "next_cursor": None})
            abandon = re.search(r"/internal/orders/([^/]+)/abandon$", path)
            if abandon:
                order_id = abandon.group(1)
                self.abandoned.append(order_id)
                self.claims.pop(order_id, None)
                payment = self.by_order.get(order_id)
                if payment is None:
                    return 200, json_headers, json.dumps({"order_id": order_id, "payment": None})
                if payment["status"] == "succeeded":
                    return 409, {"Content-Type": "application/problem+json"}, json.dumps(
                        {"status": 409, "detail": "The payment is succeeded; it can no longer be cancelled."})
                payment["status"] = "canceled"
                return 200, json_headers, json.dumps({"order_id": order_id, "payment": payment})
            payment_id, action = re.search(r"/internal/payments/([^/]+)/(cancel|refund)$", path).groups()
            payment = self.by_id[payment_id]
            if action == "cancel":
                if payment["status"] == "succeeded":
                    return 409, {"Content-Type": "application/problem+json"}, json.dumps(
                        {"status": 409, "detail": "The payment is succeeded; it can no longer be cancelled."})
                payment["status"] = "canceled"
                self.cancels.append(payment_id)
                return 200, json_headers, json.dumps(payment)
            if self.refuse_refunds:
                return 409, {"Content-Type": "application/problem+json"}, json.dumps(
                    {"status": 409, "detail": "A refund_pending payment cannot be refunded."})
            payment["status"] = "refund_pending"
            self.refunds.append(payment_id)
            self.refund_bodies.append(json.loads(request.body or b"{}"))
            return 202, json_headers, json.dumps(payment)


class Services:
    def __init__(self):
        self.products = ProductsStub()
        self.payments = FakePayments()
        self.saved_currency = None
        self.saved_locale = None
        self.addresses: dict[str, dict] = {}

    def users_address(self, request):
        address = self.addresses.get(request.path_url.rsplit("/", 1)[-1])
        if address is None:
            return 404, {"Content-Type": "application/problem+json"}, json.dumps({"status": 404, "detail": "No."})
        return 200, {"Content-Type": "application/json"}, json.dumps(address)

    def users_me(self, request):
        assert request.headers.get("Authorization", "").startswith("Bearer ")
        profile = {"email": "shopper@example.com", "currency": self.saved_currency, "locale": self.saved_locale}
        return 200, {"Content-Type": "application/json"}, json.dumps(profile)


@pytest.fixture
def services():
    found = Services()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, re.compile(f"{BASE}/api/v1/products/internal/.*"),
                          callback=found.products.handle)
        mock.add_callback(responses.POST, re.compile(f"{BASE}/api/v1/payments/internal/.*"),
                          callback=found.payments.handle)
        mock.add_callback(responses.GET, re.compile(f"{BASE}/api/v1/payments/internal/.*"),
                          callback=found.payments.handle)
        mock.add_callback(responses.GET, f"{BASE}/api/v1/users/me", callback=found.users_me)
        mock.add_callback(responses.GET, re.compile(f"{BASE}/api/v1/users/me/addresses/.*"),
                          callback=found.users_address)
        yield found


@pytest.fixture
def static_rates():
    fx.use_static(RATES, base="EUR", source="ecb")
    yield RATES
    fx.reset()


@pytest.fixture
def tokens():
    return TokenFactory()


@pytest.fixture
def orders_app(load_function, services, static_rates):
    """The OrdersFunction's Chalice app (services faked, rates static)."""
    return load_function("OrdersFunction")


@pytest.fixture
def api(orders_app):
    return ApiClient(orders_app)


@pytest.fixture
def checkout(api, tokens):
    """Place an order: checkout(user, items, currency="EUR", key=None, address=ADDRESS) → ApiResponse."""

    def place(user: str, items: list[dict], *, currency: str | None = "EUR", key: str | None = None,
              extra: dict | None = None, headers: dict | None = None):
        body = {"items": items, "shipping_address": ADDRESS, **({"currency": currency} if currency else {}),
                **(extra or {})}
        sent = {**tokens.header(user), "Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})}
        return api.post("/api/v1/orders", json=body, headers=sent)

    return place


def money(value) -> Decimal:
    return Decimal(value["amount"])


@pytest.fixture
def order_events(aws):
    """What a consumer of the bus's meridian.orders events receives (a rule to a queue of the test's own)."""
    events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    bus = os.environ["EVENT_BUS_NAME"]
    queue = sqs.create_queue(QueueName=f"order-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="test-order-events", EventBusName=bus,
                    EventPattern=json.dumps({"source": ["meridian.orders"]}))
    events.put_targets(Rule="test-order-events", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[dict]:
        found = []
        while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            found += [json.loads(m["Body"]) for m in batch]
            sqs.delete_message_batch(QueueUrl=queue, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                                                              for n, m in enumerate(batch)])
        return found

    return received
