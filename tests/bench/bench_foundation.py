"""The foundation's overhead, measured side by side in one run.

* latency: GET /api/v1/products/health through nginx (HTTPS, keep-alive) next to a bare
  DynamoDB GetItem on the same moto server; target: gateway + runtime add ≤ 2 ms at p50;
* cold start of each function (process start → handler imported, from the runtime) next
  to the floor: a bare Python process that imports boto3 and creates a DynamoDB client;
  target: each ≤ 1.5 × floor.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

from tests.bench.measure import percentile, timed

REQUESTS = 2000
WARM_UP = 100
FLOOR_RUNS = 7
P50_TARGET_MS = 2.0
COLD_START_TARGET = 1.5

_FLOOR_CHILD = (
    "import time\n"
    "import boto3\n"
    "boto3.client('dynamodb', region_name='us-east-1', endpoint_url='{endpoint}',"
    " aws_access_key_id='test', aws_secret_access_key='test')\n"
    "print(repr(time.time()))\n"
)


def gateway_samples(stack) -> list[float]:
    session = stack.session()
    url = f"{stack.base_url}/api/v1/products/health"

    def call() -> None:
        response = session.get(url, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    return timed(call, REQUESTS, WARM_UP)


def direct_worker_samples(stack) -> list[float]:
    """The same request straight to one ProductsFunction worker: what nginx adds is the difference."""
    import requests

    session = requests.Session()
    session.trust_env = False
    url = f"http://127.0.0.1:{stack.runtime.upstreams['ProductsFunction'][0]}/api/v1/products/health"
    return timed(lambda: session.get(url, timeout=10), REQUESTS, WARM_UP)


def bare_get_item_samples(stack) -> list[float]:
    dynamodb = stack.client("dynamodb")
    table = stack.template.physical_name("ProductsTable")
    key = {"pk": {"S": "BENCH#foundation"}, "sk": {"S": "BENCH"}}
    dynamodb.put_item(TableName=table, Item={**key, "payload": {"S": "x" * 64}})
    return timed(lambda: dynamodb.get_item(TableName=table, Key=key), REQUESTS, WARM_UP)


def cold_start_floor_ms(stack) -> list[float]:
    code = _FLOOR_CHILD.format(endpoint=stack.aws_endpoint)
    runs = []
    for _ in range(FLOOR_RUNS):
        spawned = time.time()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        runs.append((float(out.stdout.strip()) - spawned) * 1000)
    return runs


def run(stack) -> None:
    gateway = gateway_samples(stack)
    direct = direct_worker_samples(stack)
    bare = bare_get_item_samples(stack)
    g50, g99, b50, b99 = (percentile(gateway, 50), percentile(gateway, 99), percentile(bare, 50), percentile(bare, 99))
    added = g50 - b50
    print(f"latency, {REQUESTS} requests each after {WARM_UP} warm-up, keep-alive")
    print(f"  {'':52} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"  {'GET /api/v1/products/health via nginx (HTTPS)':52} {g50:8.2f} {g99:8.2f}")
    print(f"  {'  the same, straight to one worker (no nginx, no TLS)':52} "
          f"{percentile(direct, 50):8.2f} {percentile(direct, 99):8.2f}")
    print(f"  {'bare DynamoDB GetItem on the same moto server':52} {b50:8.2f} {b99:8.2f}")
    verdict = "meets" if added <= P50_TARGET_MS else "MISSES"
    print(f"  gateway + runtime add {added:+.2f} ms at p50 (target <= {P50_TARGET_MS:.0f} ms): {verdict}")

    floors = cold_start_floor_ms(stack)
    floor = statistics.median(floors)
    print("\ncold start, process start -> handler ready (runtime's first start of each worker)")
    print(f"  floor: python + import boto3 + DynamoDB client = {floor:.0f} ms "
          f"(median of {FLOOR_RUNS}: {', '.join(f'{f:.0f}' for f in sorted(floors))})")
    print(f"  {'function':34} {'ms':>7} {'x floor':>8}  target <= {COLD_START_TARGET}x")
    for logical_id, ms in sorted(stack.runtime.cold_starts.items()):
        ratio = ms / floor
        print(f"  {logical_id:34} {ms:7.0f} {ratio:8.2f}  {'ok' if ratio <= COLD_START_TARGET else 'OVER'}")
