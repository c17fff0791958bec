"""The catalog at scale: 1,000 then 10,000 products (and as many orders), seeded in bulk.

At each size (BENCH_SIZES, default 1000,10000) the catalog and the order book are topped up
(tests/bench/seed.py: BatchWriteItem straight to DynamoDB Local, items built with the services'
own models), then, one request at a time over keep-alive connections:

* catalog page: GET /api/v1/products?locale=de&currency=EUR&limit=20 (the API's default page,
  what the storefront asks for) through nginx (HTTPS) → runtime → IAM proxy → DynamoDB Local,
  next to the bare index Query that page makes (products/listing.py: gsi2, gsi2pk =
  CATALOG#active, newest first, Limit = limit + 1), timed with a plain boto3 client against
  DynamoDB Local. Target: page p50 ≤ Query p50 + 10 ms, at every size (the cost stays flat).
  The same page straight to one worker (no nginx, no TLS) shows where the difference goes;
* product page: GET /api/v1/products/{id} of random seeded products next to a bare GetItem of
  the same items (same target);
* informational: an admin's page of paid orders (GET /api/v1/orders?status=paid, gsi2) and
  the admin dashboard, whose order statistics read every order (they grow with the order book).
"""
from __future__ import annotations

import random
import time

import requests

from tests.bench.measure import env_int, env_sizes, p50, p99, timed, timed_each
from tests.bench.report import REPORT, count, ms
from tests.bench.seed import BulkSeeder

SIZES = env_sizes("BENCH_SIZES", "1000,10000")
CATALOG_REQUESTS = env_int("BENCH_CATALOG_REQUESTS", 200)
PRODUCT_REQUESTS = env_int("BENCH_PRODUCT_REQUESTS", 200)
ADMIN_REQUESTS = env_int("BENCH_ADMIN_REQUESTS", 20)
DASHBOARD_REQUESTS = env_int("BENCH_DASHBOARD_REQUESTS", 2)
WARM_UP = 20
PAGE_SIZE = 20                   # the API's default `limit` (API.md: 1–100, default 20)
ADDED_TARGET_MS = 10.0
CATALOG_QUERY = {"locale": "de", "currency": "EUR", "limit": str(PAGE_SIZE)}


def _check(response, what: str, expect_items: int | None = None) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{what} answered {response.status_code}: {response.text[:300]}")
    if expect_items is not None and len(response.json()["items"]) != expect_items:
        raise RuntimeError(f"{what} returned {len(response.json()['items'])} items, not {expect_items}")


def catalog_page(stack, section: str) -> tuple[float, float]:
    session = stack.session()
    url = f"{stack.base_url}/api/v1/products"
    table = stack.template.function("ProductsFunction").environment["TABLE_NAME"]
    dynamodb = stack.client("dynamodb")

    def page() -> None:
        _check(session.get(url, params=CATALOG_QUERY, timeout=30), "the catalog page", PAGE_SIZE)

    def query() -> None:
        result = dynamodb.query(TableName=table, IndexName="gsi2", KeyConditionExpression="gsi2pk = :p",
                                ExpressionAttributeValues={":p": {"S": "CATALOG#active"}},
                                ScanIndexForward=False, Limit=PAGE_SIZE + 1)
        if len(result["Items"]) != PAGE_SIZE + 1:
            raise RuntimeError(f"the bare Query found {len(result['Items'])} items")

    worker = requests.Session()
    worker.trust_env = False
    worker_url = f"http://127.0.0.1:{stack.runtime.upstreams['ProductsFunction'][0]}/api/v1/products"

    def page_from_worker() -> None:
        _check(worker.get(worker_url, params=CATALOG_QUERY, timeout=30), "the catalog page (one worker)", PAGE_SIZE)

    bare = timed(query, CATALOG_REQUESTS, WARM_UP)
    api = timed(page, CATALOG_REQUESTS, WARM_UP)
    direct = timed(page_from_worker, CATALOG_REQUESTS // 2, WARM_UP)
    limit = p50(bare) + ADDED_TARGET_MS
    REPORT.figure(section, f"catalog page p50 (limit {PAGE_SIZE}, de/EUR)", ms(p50(api)),
                  floor=f"Query {ms(p50(bare))}", target=f"≤ {ms(limit)}", ok=p50(api) <= limit)
    REPORT.figure(section, "catalog page p99", ms(p99(api)), floor=f"Query {ms(p99(bare))}")
    REPORT.figure(section, "  the same straight to one worker p50 / p99", f"{ms(p50(direct))} / {ms(p99(direct))}")
    return p50(api), p50(bare)


def product_page(stack, section: str, product_ids: list[str]) -> tuple[float, float]:
    session = stack.session()
    table = stack.template.function("ProductsFunction").environment["TABLE_NAME"]
    dynamodb = stack.client("dynamodb")
    rng = random.Random(len(product_ids))
    chosen = [rng.choice(product_ids) for _ in range(PRODUCT_REQUESTS + WARM_UP)]
    warm, measured = chosen[:WARM_UP], chosen[WARM_UP:]

    def page(product_id: str) -> None:
        response = session.get(f"{stack.base_url}/api/v1/products/{product_id}",
                               params={"locale": "de", "currency": "EUR"}, timeout=30)
        _check(response, f"the product page of {product_id}")

    def get_item(product_id: str) -> None:
        item = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": "META"}})
        if "Item" not in item:
            raise RuntimeError(f"the bare GetItem found no product {product_id}")

    bare = timed_each(get_item, measured, warm)
    api = timed_each(page, measured, warm)
    limit = p50(bare) + ADDED_TARGET_MS
    REPORT.figure(section, "product page p50 (de/EUR)", ms(p50(api)), floor=f"GetItem {ms(p50(bare))}",
                  target=f"≤ {ms(limit)}", ok=p50(api) <= limit)
    REPORT.figure(section, "product page p99", ms(p99(api)), floor=f"GetItem {ms(p99(bare))}")
    return p50(api), p50(bare)


def admin_reads(stack, section: str, admin_headers: dict, seeded_orders: int, *, warm_up: bool) -> None:
    session = stack.session()

    def paid_page() -> None:
        response = session.get(f"{stack.base_url}/api/v1/orders", params={"status": "paid", "limit": str(PAGE_SIZE)},
                               headers=admin_headers, timeout=30)
        _check(response, "the admin's page of paid orders")

    samples = timed(paid_page, ADMIN_REQUESTS, 3)
    REPORT.figure(section, "admin: paid orders page p50 (gsi2)", ms(p50(samples)))
    if DASHBOARD_REQUESTS < 1:
        return
    dashboard = []
    body, answers = {}, []
    if warm_up:                    # the admin and orders workers' first dashboard (cold paths), not timed
        session.get(f"{stack.base_url}/api/v1/admin/dashboard", headers=admin_headers, timeout=60)
    for _ in range(DASHBOARD_REQUESTS):
        began = time.perf_counter()
        response = session.get(f"{stack.base_url}/api/v1/admin/dashboard", headers=admin_headers, timeout=60)
        dashboard.append((time.perf_counter() - began) * 1000)
        answers.append(response.status_code)
        body = response.json() if response.status_code == 200 else {}
    counted = sum((body.get("orders_by_status") or {}).values())
    if body.get("orders_by_status") is not None:
        detail = f"{count(counted)} orders counted"
    else:                          # informational: a dashboard that cannot count this many orders is a finding
        detail = f"answers {sorted(set(answers))}, orders part unavailable"
    REPORT.figure(section, "admin dashboard p50 (reads every order)", ms(p50(dashboard)), floor=detail)
    if body.get("orders_by_status") is not None and counted < seeded_orders:
        REPORT.error(f"the dashboard counts {counted} orders, fewer than the {seeded_orders} seeded")


def verify_indexes(seeder: BulkSeeder, products: int, orders: int) -> None:
    """The seeded items are where the services look for them: the catalog's gsi2 partition and the
    orders' status partitions (gsi2) hold them all. Counting reads every item, so it is done once, at
    the first size; the admin dashboard recounts the orders at every size."""
    active, by_status = seeder.active_products(), seeder.orders_by_status()
    REPORT.note(f"indexes: {active:,} products in gsi2 CATALOG#active; orders in gsi2 STATUS#…: "
                + ", ".join(f"{k} {v:,}" for k, v in by_status.items()))
    if active != products or sum(by_status.values()) != orders:
        REPORT.error(f"the indexes hold {active:,} products and {sum(by_status.values()):,} orders, "
                     f"not {products:,} and {orders:,}")


def run(stack) -> None:
    from tests.integration.checkout_helpers import admin

    seeder = BulkSeeder(stack)
    admin_headers = admin(stack)
    products, orders = seeder.count_existing()
    REPORT.note(f"before seeding: {products:,} active products, {orders:,} orders")
    flat: dict[str, list[tuple[int, float, float]]] = {"catalog page": [], "product page": []}
    for size in SIZES:
        section = f"{count(size)} products"
        print(f"-- {size:,} products and {size:,} orders", flush=True)
        began = time.monotonic()
        products, product_items = seeder.seed_products(size)
        product_seconds = time.monotonic() - began
        began = time.monotonic()
        orders, order_items = seeder.seed_orders(size)
        order_seconds = time.monotonic() - began
        items = product_items + order_items
        seconds = product_seconds + order_seconds
        REPORT.figure(section, "bulk seeding (BatchWriteItem)", f"{seconds:.1f} s",
                      floor=f"+{count(products)} products in {product_seconds:.1f} s, +{count(orders)} orders in "
                            f"{order_seconds:.1f} s; {count(items)} items, {items / max(seconds, 1e-9):,.0f} items/s")
        active, total_orders = seeder.counts
        REPORT.note(f"now {active:,} active products, {total_orders:,} orders; seeded orders by status: "
                    + ", ".join(f"{k} {v:,}" for k, v in sorted(seeder.seeded_by_status.items())))
        if size == SIZES[0]:
            verify_indexes(seeder, active, total_orders)
        flat["catalog page"].append((size, *catalog_page(stack, section)))
        ids = [p.id for p in (seeder.products or seeder.catalog_sample())]
        flat["product page"].append((size, *product_page(stack, section, ids)))
        admin_reads(stack, section, admin_headers, total_orders, warm_up=size == SIZES[0])
    if len(SIZES) > 1:
        for what, points in flat.items():
            (small, api_small, bare_small), (large, api_large, bare_large) = points[0], points[-1]
            REPORT.figure(f"{count(small)} → {count(large)}", f"{what} p50 growth", f"{api_large - api_small:+.1f} ms",
                          floor=f"bare {bare_large - bare_small:+.1f} ms")
