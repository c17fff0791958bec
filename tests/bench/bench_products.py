"""Catalog listing through the gateway next to the bare DynamoDB Query it is built on.

GET /api/v1/products?locale=de&currency=JPY&limit=20 over HTTPS through nginx (8 clients,
keep-alive), and on the same moto server, at the same concurrency, the Query the service
issues for the same 20 items (gsi2 CATALOG#active, newest first, Limit 21). Reported:
p50 and p99 of each, and their ratio (target ≤ 2.5); also one client at a time, which shows
the per-request overhead without queueing (the gateway path runs on the function's N
workers, the bare Query on all 8 threads of moto). Measured on the seeded catalog, then
again with the catalog grown to 10,000 products (the listing's cost must not grow with it
beyond what the Query itself costs).
"""
from __future__ import annotations

import datetime as _dt
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.bench.measure import percentile

CLIENTS = 8
REQUESTS_PER_CLIENT = 40          # on the seeded catalog
LARGE_REQUESTS_PER_CLIENT = 10    # at 10,000 products (moto scans the whole index per Query: slow for both)
WARM_UP = 16
TARGET_RATIO = 2.5
LARGE_CATALOG = 10_000
QUERY = {"locale": "de", "currency": "JPY", "limit": "20"}


def concurrently(make_call, per_client: int, clients: int = CLIENTS) -> list[float]:
    """`clients` threads, each with its own connection (make_call() → a callable), `per_client` calls each."""
    samples: list[float] = []
    lock = threading.Lock()

    def client(_):
        call = make_call()
        for _ in range(WARM_UP // clients + 1):
            call()
        mine = []
        for _ in range(per_client):
            began = time.perf_counter()
            call()
            mine.append((time.perf_counter() - began) * 1000)
        with lock:
            samples.extend(mine)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return samples


def gateway_call(stack):
    def make():
        session = stack.session()
        url = f"{stack.base_url}/api/v1/products"

        def call():
            response = session.get(url, params=QUERY, timeout=30)
            if response.status_code != 200 or len(response.json()["items"]) != 20:
                raise RuntimeError(f"listing answered {response.status_code}: {response.text[:200]}")
        return call
    return make


def table_name(stack) -> str:
    return stack.template.function("ProductsFunction").environment["TABLE_NAME"]


def query_call(stack):
    name = table_name(stack)

    def make():
        dynamodb = stack.client("dynamodb")

        def call():
            result = dynamodb.query(TableName=name, IndexName="gsi2", KeyConditionExpression="gsi2pk = :p",
                                    ExpressionAttributeValues={":p": {"S": "CATALOG#active"}},
                                    ScanIndexForward=False, Limit=21)
            if len(result["Items"]) < 20:
                raise RuntimeError("the bare query found fewer than 20 items")
        return call
    return make


def grow_catalog(stack, total: int) -> int:
    """Add products (as the service stores them: META items with en/de texts) until `total` are active."""
    dynamodb = stack.client("dynamodb")
    name = table_name(stack)
    existing = dynamodb.query(TableName=name, IndexName="gsi2", KeyConditionExpression="gsi2pk = :p",
                              ExpressionAttributeValues={":p": {"S": "CATALOG#active"}}, Select="COUNT")["Count"]
    missing = max(0, total - existing)
    start = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)
    categories = ["bulk-home", "bulk-garden", "bulk-office", "bulk-toys"]

    def item(index: int) -> dict:
        pid, stamp = str(uuid.uuid4()), (start + _dt.timedelta(seconds=index)).isoformat().replace("+00:00", "Z")
        category = categories[index % len(categories)]
        text = lambda name_: {"M": {"name": {"S": name_}, "description": {"S": "Bench product."},  # noqa: E731
                                    "slug": {"S": f"bench-{index}"}}}
        return {"PutRequest": {"Item": {
            "pk": {"S": f"PRODUCT#{pid}"}, "sk": {"S": "META"}, "id": {"S": pid}, "slug": {"S": f"bench-{index}"},
            "category": {"S": category}, "status": {"S": "active"}, "base_price": {"N": f"{5 + index % 200}.99"},
            "currency": {"S": "USD"}, "attributes": {"M": {}}, "images": {"L": []}, "variants": {"L": []},
            "stock": {"M": {"_": {"N": "5"}}}, "holds": {"M": {}}, "sold": {"M": {}},
            "l10n": {"M": {"en": text(f"Bench product {index}"), "de": text(f"Testprodukt {index}")}},
            "created_at": {"S": stamp}, "updated_at": {"S": stamp}, "version": {"N": "1"},
            "gsi1pk": {"S": f"CATALOG#active#{category}"}, "gsi1sk": {"S": f"{stamp}#{pid}"},
            "gsi2pk": {"S": "CATALOG#active"}, "gsi2sk": {"S": f"{stamp}#{pid}"}}}}

    def write(chunk: list[int]) -> None:
        pending = {name: [item(i) for i in chunk]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None

    chunks = [list(range(i, min(i + 25, missing))) for i in range(0, missing, 25)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, chunks))
    return existing + missing


def measure(stack, label: str, per_client: int, clients: int = CLIENTS) -> float:
    api = concurrently(gateway_call(stack), per_client, clients)
    bare = concurrently(query_call(stack), per_client, clients)
    p50_ratio = percentile(api, 50) / percentile(bare, 50)
    p99_ratio = percentile(api, 99) / percentile(bare, 99)
    verdict = "OK" if p50_ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"  [{label}] GET /api/v1/products?locale=de&currency=JPY&limit=20 via nginx, {clients} clients: "
          f"p50 {percentile(api, 50):.1f} ms, p99 {percentile(api, 99):.1f} ms ({len(api)} requests)")
    print(f"  [{label}] bare DynamoDB Query (gsi2, Limit 21) on the same moto, {clients} clients: "
          f"p50 {percentile(bare, 50):.1f} ms, p99 {percentile(bare, 99):.1f} ms ({len(bare)} queries)")
    print(f"  [{label}] ratio gateway/bare: p50 {p50_ratio:.2f}, p99 {p99_ratio:.2f} "
          f"(target ≤ {TARGET_RATIO}) {verdict}")
    return p50_ratio


def run(stack) -> None:
    print(f"  workers per function: {len(stack.runtime.upstreams.get('ProductsFunction', [])) or '?'}")
    measure(stack, "seeded catalog", REQUESTS_PER_CLIENT)
    # the same, one client at a time: what the function + nginx add per request, without queueing
    measure(stack, "seeded catalog, sequential", REQUESTS_PER_CLIENT * 2, clients=1)
    began = time.monotonic()
    total = grow_catalog(stack, LARGE_CATALOG)
    print(f"  catalog grown to {total} active products in {time.monotonic() - began:.1f}s")
    measure(stack, f"{total} products", LARGE_REQUESTS_PER_CLIENT)
