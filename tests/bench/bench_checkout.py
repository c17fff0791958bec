"""Checkout and payment webhooks through the gateway (HTTPS, nginx, runtime, moto).

* checkout latency: POST /api/v1/orders p50 / p99 (reserve + FX + intent at the sandbox + write);
* webhook intake: signed webhooks accepted per second through the gateway next to bare SQS
  SendMessage calls per second on the same moto endpoint, at the same concurrency
  (target: ≥ 0.8 of the bare rate);
* webhook → order paid: p50 / p99 over 1,000 `payment_intent.succeeded` events sent at a
  steady BENCH_PAID_RATE per second (default 4: below the local stack's capacity, which
  moto bounds at ~25 AWS calls per paid order across payments, orders, products and SES),
  from the moment the webhook is sent to the `paid` history entry's time (target: p99 ≤ 2 s).
"""
from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from meridian.clock import parse_iso

from tests.bench.measure import percentile
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

CHECKOUTS = 100
CONCURRENCY = 8
WEBHOOKS = 500
PAID_EVENTS = int(os.environ.get("BENCH_PAID_EVENTS", "1000"))
PAID_RATE = float(os.environ.get("BENCH_PAID_RATE", "4"))
INTAKE_TARGET = 0.8
PAID_P99_TARGET_S = 2.0


def _sessions(stack, count: int) -> list:
    return [stack.session() for _ in range(count)]


def bench_checkout_latency(stack, shopper: dict, product: str) -> None:
    session = stack.session()
    for _ in range(10):                                              # warm the workers
        checkout(stack, shopper["headers"], product, session=session)
    latencies = []
    for _ in range(CHECKOUTS):
        began = time.perf_counter()
        response = checkout(stack, shopper["headers"], product, session=session)
        latencies.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 201, response.text
    print(f"checkout through the gateway (sequential, n={CHECKOUTS}): p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {percentile(latencies, 99):.1f} ms", flush=True)


def _rate(count: int, work) -> float:
    """Calls per second of `work(i, session_index)` run `count` times on CONCURRENCY threads."""
    began = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(lambda i: work(i, i % CONCURRENCY), range(count)))
    return count / (time.perf_counter() - began)


def bench_webhook_intake(stack) -> None:
    secret = webhook_secret(stack)
    sessions = _sessions(stack, CONCURRENCY)
    webhook_url = url(stack, "/webhooks/payments")
    bodies = []
    for _ in range(WEBHOOKS):
        fake = {"payment": {"intent_id": f"pi_bench{uuid.uuid4().hex[:16]}"}, "total": {"currency": "EUR"}}
        bodies.append(intent_event("payment_intent.created", fake, status="requires_payment_method"))
    failures = []

    def send_webhook(i: int, s: int) -> None:
        body, headers = signed_webhook(secret, bodies[i])
        response = sessions[s].post(webhook_url, data=body, headers=headers, timeout=10)
        if response.status_code != 200:
            failures.append(response.status_code)

    sqs = stack.client("sqs")
    scratch = sqs.create_queue(QueueName=f"bench-scratch-{uuid.uuid4().hex[:8]}.fifo",
                               Attributes={"FifoQueue": "true"})["QueueUrl"]
    clients = [stack.client("sqs") for _ in range(CONCURRENCY)]
    local = threading.local()

    def send_message(i: int, s: int) -> None:
        client = getattr(local, "client", None) or clients[s]
        local.client = client
        client.send_message(QueueUrl=scratch, MessageBody=bodies[i]["id"], MessageGroupId=f"g{i % 64}",
                            MessageDeduplicationId=bodies[i]["id"])

    send_webhook(0, 0), send_message(0, 0)                          # warm up connections
    bare = _rate(WEBHOOKS, send_message)
    webhooks = _rate(WEBHOOKS, send_webhook)
    sqs.delete_queue(QueueUrl=scratch)
    share = webhooks / bare if bare else 0
    print(f"signed webhooks accepted through the gateway: {webhooks:.0f}/s; bare SQS SendMessage: {bare:.0f}/s "
          f"(concurrency {CONCURRENCY}); ratio {share:.2f} (target ≥ {INTAKE_TARGET}) "
          f"{'OK' if share >= INTAKE_TARGET else 'BELOW TARGET'}; non-200: {len(failures)}", flush=True)


def bench_webhook_to_paid(stack, admin_headers: dict) -> None:
    product = new_product(stack, admin_headers, price="9.99", stock=PAID_EVENTS + 10)
    shoppers = [new_customer(stack) for _ in range(10)]
    sessions = _sessions(stack, CONCURRENCY)
    orders: list[tuple[dict, dict]] = []
    lock = threading.Lock()

    refused: list[int] = []

    def place(i: int, s: int) -> None:
        shopper = shoppers[i % len(shoppers)]
        response = checkout(stack, shopper["headers"], product, session=sessions[s])
        with lock:
            if response.status_code == 201:
                orders.append((shopper, response.json()))
            else:
                refused.append(response.status_code)

    began = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:                  # 2 workers per function: more only queues
        list(pool.map(lambda i: place(i, i % 4), range(PAID_EVENTS)))
    print(f"  placed {len(orders)} orders in {time.perf_counter() - began:.1f}s (refused: {refused})", flush=True)
    secret = webhook_secret(stack)
    sent_at: dict[str, float] = {}

    def send(i: int, s: int) -> None:
        shopper, order = orders[i]
        minor = int(order["total"]["amount"].replace(".", ""))
        body, headers = signed_webhook(secret, intent_event("payment_intent.succeeded", order, minor_amount=minor))
        sent_at[order["id"]] = time.time()
        response = sessions[s].post(url(stack, "/webhooks/payments"), data=body, headers=headers, timeout=10)
        if response.status_code != 200:
            sent_at.pop(order["id"], None)

    began = time.perf_counter()
    for i in range(len(orders)):                         # a steady offered load, not a burst
        pause = began + i / PAID_RATE - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        send(i, 0)
    latencies: dict[str, float] = {}
    deadline = time.monotonic() + 120
    session = stack.session()
    while len(latencies) < len(sent_at) and time.monotonic() < deadline:
        for shopper in shoppers:
            cursor = None
            while True:
                params = {"limit": "100", "status": "paid", **({"cursor": cursor} if cursor else {})}
                page = session.get(url(stack, "/api/v1/orders"), params=params, headers=shopper["headers"],
                                   timeout=30).json()
                for order in page["items"]:
                    if order["id"] in sent_at and order["id"] not in latencies:
                        paid_at = next(h["at"] for h in order["history"] if h["status"] == "paid")
                        latencies[order["id"]] = parse_iso(paid_at).timestamp() - sent_at[order["id"]]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        time.sleep(0.5)
    values = list(latencies.values())
    if not values:
        print("webhook → paid: no order became paid", flush=True)
        return
    p99, p50 = percentile(values, 99), statistics.median(values)
    complete = len(values) == len(sent_at) == len(orders)
    print(f"webhook → order paid over {len(values)}/{len(orders)} events at {PAID_RATE:g}/s: p50 {p50 * 1000:.0f} ms,"
          f" p99 {p99 * 1000:.0f} ms (target p99 ≤ {PAID_P99_TARGET_S:.0f} s) "
          f"{'OK' if p99 <= PAID_P99_TARGET_S and complete else 'BELOW TARGET'}", flush=True)


def run(stack) -> None:
    if not stack.sandbox_url or "admin@example.com" not in stack.credentials:
        print("skipped: the stack has no sandbox gateway or no seeded admin")
        return
    sandbox_control(stack)
    admin_headers = admin(stack)
    shopper = new_customer(stack)
    product = new_product(stack, admin_headers, price="19.99", stock=CHECKOUTS + 100)
    bench_checkout_latency(stack, shopper, product)
    bench_webhook_to_paid(stack, admin_headers)
    bench_webhook_intake(stack)                 # last: its backlog of events must not slow the others
