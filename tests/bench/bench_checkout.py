"""Checkout and payment webhooks through the gateway (HTTPS, nginx, runtime, IAM proxy, DynamoDB
Local, moto), on the order book the products bench grew (10,000 orders when run in full).

* checkout latency: POST /api/v1/orders one at a time, p50 / p99 (reserve + FX + intent at the
  sandbox gateway + write);
* sustained checkouts: BENCH_PAID_EVENTS orders placed by BENCH_CHECKOUT_CLIENTS concurrent
  shoppers: checkouts per second, with 0 errors (a failed checkout is an error of the run);
* webhook → order paid: a signed `payment_intent.succeeded` for each of those orders, sent at a
  steady BENCH_PAID_RATE per second (default 20), from the moment it is sent to the time of the
  order's `paid` history entry (polled straight from DynamoDB Local once the last event is
  sent: the polling neither goes through the services nor moves the measured times). Target
  p99 ≤ 2 s. Orders not paid BENCH_PAID_DEADLINE seconds after the last event are late (they
  count as slower than the wait in the percentiles); once every queue has drained at the end
  of the run they are asked for again: still not paid is lost (an error), and p50 / p99 over
  every event are printed again;
* webhook intake: signed webhooks accepted per second through the gateway next to bare SQS
  SendMessage calls per second of the same bodies on the same moto, at the same concurrency
  (target ≥ 0.8 × bare; the bare rate is the mean of a run before and one after, each with
  the webhook queue drained, so neither competes with the pipeline's own SQS traffic). Its
  events (`payment_intent.created`, for the placed orders' intents) are recorded and ignored
  by the payments processor; it runs last so their backlog slows nothing else. The DLQs are
  checked at the very end of the run (tests/bench/final.py).
"""
from __future__ import annotations

import threading
import time
import uuid

from meridian.clock import parse_iso

from tests.bench.final import undrained
from tests.bench.measure import concurrently, env_float, env_int, p50, p99, paced
from tests.bench.report import REPORT, count, ms, per_second
from tests.integration.checkout_helpers import (
    admin,
    checkout,
    intent_event,
    new_customer,
    new_product,
    sandbox_control,
    signed_webhook,
    url,
    webhook_secret,
)

CHECKOUTS = env_int("BENCH_CHECKOUTS", 100)
CHECKOUT_CLIENTS = env_int("BENCH_CHECKOUT_CLIENTS", 4)
PAID_EVENTS = env_int("BENCH_PAID_EVENTS", 1000)
PAID_RATE = env_float("BENCH_PAID_RATE", 20)
PAID_DEADLINE_S = env_float("BENCH_PAID_DEADLINE", 120)
WEBHOOKS = env_int("BENCH_WEBHOOKS", 500)
INTAKE_CLIENTS = env_int("BENCH_INTAKE_CLIENTS", 8)
SHOPPERS = 10
PRODUCTS = 10
INTAKE_TARGET = 0.8
PAID_P99_TARGET_S = 2.0


class Shop:
    """Shoppers and products of the checkout benches (created through the API, as a shop would have them)."""

    def __init__(self, stack):
        self.stack = stack
        sandbox_control(stack)
        headers = admin(stack)
        stock = CHECKOUTS + PAID_EVENTS + 100
        self.products = [new_product(stack, headers, price=f"{9 + i}.99", stock=stock) for i in range(PRODUCTS)]
        self.shoppers = [new_customer(stack) for _ in range(SHOPPERS)]

    def place(self, i: int, session) -> tuple[int, dict | str]:
        shopper = self.shoppers[i % len(self.shoppers)]
        response = checkout(self.stack, shopper["headers"], self.products[i % len(self.products)], session=session)
        return response.status_code, response.json() if response.status_code == 201 else response.text[:300]


def checkout_latency(shop: Shop) -> None:
    session = shop.stack.session()
    for i in range(10):                                              # warm the workers and connections
        shop.place(i, session)
    samples, failures = [], []
    for i in range(CHECKOUTS):
        began = time.perf_counter()
        status, body = shop.place(i, session)
        samples.append((time.perf_counter() - began) * 1000)
        if status != 201:
            failures.append(f"{status} {body}")
    REPORT.figure("checkout", f"checkout p50 (one at a time, n={CHECKOUTS})", ms(p50(samples)))
    REPORT.figure("checkout", "checkout p99", ms(p99(samples)))
    if failures:
        REPORT.error(f"{len(failures)} of {CHECKOUTS} sequential checkouts failed, e.g. {failures[0]}")


def sustained_checkouts(shop: Shop) -> list[dict]:
    orders: list[dict] = []
    failures: list[str] = []
    lock = threading.Lock()

    def make():
        session = shop.stack.session()

        def call(i: int) -> None:
            status, body = shop.place(i, session)
            with lock:
                (orders.append(body) if status == 201 else failures.append(f"{status} {body}"))
        return call

    samples, rate = concurrently(make, PAID_EVENTS, CHECKOUT_CLIENTS)
    REPORT.figure("checkout", f"sustained checkouts ({CHECKOUT_CLIENTS} clients, n={count(PAID_EVENTS)})",
                  per_second(len(orders) / (PAID_EVENTS / rate)), target="0 errors",
                  floor=f"{len(failures)} errors", ok=not failures)
    REPORT.figure("checkout", f"checkout p50 / p99 under {CHECKOUT_CLIENTS} clients",
                  f"{ms(p50(samples))} / {ms(p99(samples))}")
    if failures:
        REPORT.error(f"{len(failures)} of {PAID_EVENTS} concurrent checkouts failed, e.g. {failures[0]}")
    return orders


def _paid_at(stack, order_ids: list[str]) -> dict[str, float]:
    """{order id: epoch of its `paid` history entry} for those of `order_ids` that are paid (DynamoDB Local)."""
    dynamodb = stack.client("dynamodb")
    table = stack.template.function("OrdersFunction").environment["TABLE_NAME"]
    found: dict[str, float] = {}
    for start in range(0, len(order_ids), 100):
        request = {table: {"Keys": [{"pk": {"S": f"ORDER#{oid}"}, "sk": {"S": "ORDER"}}
                                    for oid in order_ids[start:start + 100]],
                           "ProjectionExpression": "id, history", "ConsistentRead": True}}
        while request:
            result = dynamodb.batch_get_item(RequestItems=request)
            for item in result["Responses"].get(table, []):
                for entry in item.get("history", {}).get("L", []):
                    if entry["M"]["status"]["S"] == "paid":
                        found[item["id"]["S"]] = parse_iso(entry["M"]["at"]["S"]).timestamp()
            request = result.get("UnprocessedKeys") or None
    return found


def webhook_to_paid(stack, orders: list[dict]) -> None:
    if not orders:
        REPORT.error("webhook → paid: no order was placed to pay")
        return
    secret = webhook_secret(stack)
    sessions = [stack.session() for _ in range(4)]
    sent_at: dict[str, float] = {}
    failures: list[str] = []

    def send(i: int, thread: int) -> None:
        order = orders[i]
        minor = int(order["total"]["amount"].replace(".", ""))
        event = intent_event("payment_intent.succeeded", order, minor_amount=minor)
        event["data"]["object"]["metadata"] = {"order_id": order["id"], "payment_id": order["payment"]["id"]}
        body, headers = signed_webhook(secret, event)
        sent_at[order["id"]] = time.time()
        response = sessions[thread].post(url(stack, "/webhooks/payments"), data=body, headers=headers, timeout=30)
        if response.status_code != 200:
            sent_at.pop(order["id"], None)
            failures.append(f"{response.status_code} {response.text[:200]}")

    rate = paced(len(orders), PAID_RATE, send, threads=len(sessions))
    last_sent = time.time()
    paid: dict[str, float] = {}
    deadline = time.monotonic() + PAID_DEADLINE_S
    while time.monotonic() < deadline:
        paid.update(_paid_at(stack, [oid for oid in sent_at if oid not in paid]))
        if len(paid) == len(sent_at):
            break
        time.sleep(1.0)
    section = "webhooks"
    REPORT.figure(section, f"webhook → paid events sent (offered {PAID_RATE:g}/s)",
                  f"{count(len(sent_at))} at {per_second(rate)}", floor=f"{len(failures)} not accepted",
                  target="all accepted", ok=not failures and len(sent_at) == len(orders))
    _paid_figures(section, sent_at, paid, waited_s=time.time() - last_sent)
    late = [oid for oid in sent_at if oid not in paid]
    REPORT.figure(section, f"orders not paid {PAID_DEADLINE_S:g} s after the last event", count(len(late)),
                  target="0", ok=not late,
                  floor=f"last paid {max(paid.values(), default=last_sent) - last_sent:+.1f} s after the last send")
    if failures:
        REPORT.error(f"{len(failures)} paid webhooks were not accepted, e.g. {failures[0]}")
    if late:                       # late or lost? Asked again once every queue has drained (final.py)
        REPORT.after_drain(lambda: _late_orders(stack, sent_at, paid))


def _paid_figures(section: str, sent_at: dict[str, float], paid: dict[str, float], *, waited_s: float,
                  label: str = "") -> None:
    """p50 / p99 from sending to paid over every event sent; an event not paid yet counts as slower than
    anything measured (when it decides a percentile, the figure says "> the time waited")."""
    latencies = sorted((paid[oid] - sent_at[oid]) * 1000 for oid in sent_at if oid in paid)
    latencies += [float("inf")] * (len(sent_at) - len(latencies))
    if not latencies:
        return

    def shown(value: float) -> str:
        return ms(value) if value != float("inf") else f"> {ms(waited_s * 1000)}"

    REPORT.figure(section, f"webhook → order paid p50{label}", shown(p50(latencies)))
    REPORT.figure(section, f"webhook → order paid p99{label}", shown(p99(latencies)),
                  target=f"≤ {ms(PAID_P99_TARGET_S * 1000)}", ok=p99(latencies) <= PAID_P99_TARGET_S * 1000)


def _late_orders(stack, sent_at: dict[str, float], paid: dict[str, float]) -> None:
    """After the queues drained: the events that were late are either paid by now or lost."""
    late = [oid for oid in sent_at if oid not in paid]
    now_paid = {**paid, **_paid_at(stack, late)}
    lost = [oid for oid in late if oid not in now_paid]
    _paid_figures("webhooks", sent_at, now_paid, waited_s=time.time() - max(sent_at.values()),
                  label=" (after the drain, every event)")
    REPORT.figure("webhooks", "webhook → paid events lost (not paid once the queues drained)", count(len(lost)),
                  target="0 (none lost)", ok=not lost)
    if lost:
        REPORT.error(f"{len(lost)} of {len(sent_at)} orders were never paid, e.g. order {lost[0]}")


def webhook_intake(stack, orders: list[dict]) -> None:
    secret = webhook_secret(stack)
    intents = [o["payment"]["intent_id"] for o in orders] or [f"pi_bench{uuid.uuid4().hex[:16]}"]
    bodies = []
    for i in range(WEBHOOKS):
        fake = {"payment": {"intent_id": intents[i % len(intents)]}, "total": {"currency": "EUR"}}
        bodies.append(intent_event("payment_intent.created", fake, status="requires_payment_method"))
    failures: list[str] = []
    webhook_url = url(stack, "/webhooks/payments")

    def make_webhook():
        session = stack.session()

        def call(i: int) -> None:
            body, headers = signed_webhook(secret, bodies[i])
            response = session.post(webhook_url, data=body, headers=headers, timeout=30)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:200]}")
        return call

    sqs = stack.client("sqs")
    scratch = sqs.create_queue(QueueName=f"bench-scratch-{uuid.uuid4().hex[:8]}.fifo",
                               Attributes={"FifoQueue": "true"})["QueueUrl"]

    def make_send():
        client = stack.client("sqs")

        def call(i: int) -> None:
            body, _ = signed_webhook(secret, bodies[i])
            client.send_message(QueueUrl=scratch, MessageBody=body.decode(), MessageGroupId=intents[i % len(intents)],
                                MessageDeduplicationId=f"bare-{bodies[i]['id']}-{time.monotonic_ns()}")
        return call

    webhook_queue = {"PaymentWebhooksQueue": sqs.get_queue_url(
        QueueName=stack.template.physical_name("PaymentWebhooksQueue"))["QueueUrl"]}
    try:
        make_webhook()(0), make_send()(0)                             # warm up
        undrained(stack, webhook_queue, 60)                           # both measured on a quiet moto
        _, bare_before = concurrently(make_send, WEBHOOKS, INTAKE_CLIENTS)
        _, webhooks = concurrently(make_webhook, WEBHOOKS, INTAKE_CLIENTS)
        undrained(stack, webhook_queue, 60)
        _, bare_after = concurrently(make_send, WEBHOOKS, INTAKE_CLIENTS)
    finally:
        sqs.delete_queue(QueueUrl=scratch)
    bare = (bare_before + bare_after) / 2
    REPORT.figure("webhooks", f"webhooks accepted ({INTAKE_CLIENTS} clients, n={WEBHOOKS})", per_second(webhooks),
                  floor=f"SendMessage {per_second(bare)} (mean of {per_second(bare_before)} before, "
                        f"{per_second(bare_after)} after)",
                  target=f"≥ {per_second(INTAKE_TARGET * bare)} ({INTAKE_TARGET} × bare)",
                  ok=webhooks >= INTAKE_TARGET * bare)
    if failures:
        REPORT.error(f"{len(failures)} of {WEBHOOKS} intake webhooks were not accepted, e.g. {failures[0]}")


def run(stack) -> None:
    if not stack.sandbox_url or "admin@example.com" not in stack.credentials:
        REPORT.error("checkout bench skipped: the stack has no sandbox gateway or no seeded admin")
        return
    shop = Shop(stack)
    checkout_latency(shop)
    orders = sustained_checkouts(shop)
    webhook_to_paid(stack, orders)
    webhook_intake(stack, orders)              # last: its backlog of events must not slow the others
