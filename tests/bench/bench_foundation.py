"""The foundation's overhead, measured side by side in one run.

* latency: GET /api/v1/products/health through nginx (HTTPS, keep-alive), and straight to one
  worker, next to a bare DynamoDB GetItem on DynamoDB Local; target: gateway + runtime add
  ≤ 2 ms at p50;
* cold start of each function (the runtime's first start of each worker: process spawned →
  handler imported, `rt.cold_starts`) next to the floor: a bare process of the Lambda-like
  interpreter the workers run on (.venv-lambda) that imports boto3 and creates a DynamoDB
  client, started as many at a time as the runtime starts workers (one per CPU), so both
  share the CPUs alike; target: each ≤ 1.5 × floor (the floor one at a time is noted too).
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.bench.measure import env_int, p50, p99, timed
from tests.bench.report import REPORT, ms

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_PYTHON = ROOT / ".venv-lambda" / "bin" / "python"
REQUESTS = env_int("BENCH_HEALTH_REQUESTS", 500)
WARM_UP = 100
FLOOR_RUNS = env_int("BENCH_FLOOR_RUNS", 5)
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
    table = stack.template.function("ProductsFunction").environment["TABLE_NAME"]
    key = {"pk": {"S": "BENCH#foundation"}, "sk": {"S": "BENCH"}}
    dynamodb.put_item(TableName=table, Item={**key, "payload": {"S": "x" * 64}})
    try:
        return timed(lambda: dynamodb.get_item(TableName=table, Key=key), REQUESTS, WARM_UP)
    finally:
        dynamodb.delete_item(TableName=table, Key=key)


def _floor_process(python: str, code: str) -> float:
    spawned = time.time()
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return (float(out.stdout.strip()) - spawned) * 1000


def cold_start_floor_ms(stack, parallel: int) -> tuple[str, list[float]]:
    """FLOOR_RUNS rounds of `parallel` bare processes started together (ms from spawn to client made)."""
    python = str(LAMBDA_PYTHON) if LAMBDA_PYTHON.exists() else sys.executable
    code = _FLOOR_CHILD.format(endpoint=stack.dynamodb_endpoint)
    runs = []
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for _ in range(FLOOR_RUNS):
            runs += list(pool.map(lambda _: _floor_process(python, code), range(parallel)))
    return python, runs


def run(stack) -> None:
    section = "foundation"
    gateway = gateway_samples(stack)
    direct = direct_worker_samples(stack)
    bare = bare_get_item_samples(stack)
    added = p50(gateway) - p50(bare)
    REPORT.figure(section, "GET /products/health via nginx (HTTPS) p50", ms(p50(gateway)),
                  floor=f"GetItem {ms(p50(bare))}", target=f"≤ {ms(p50(bare) + P50_TARGET_MS)} (+{P50_TARGET_MS:g} ms)",
                  ok=added <= P50_TARGET_MS)
    REPORT.figure(section, "GET /products/health via nginx p99", ms(p99(gateway)), floor=f"GetItem {ms(p99(bare))}")
    REPORT.figure(section, "  the same straight to one worker p50 / p99", f"{ms(p50(direct))} / {ms(p99(direct))}")

    # the runtime starts workers `start_concurrency` (one per CPU) at a time: the floor is measured alike
    parallel = max(1, int(getattr(stack.runtime, "start_concurrency", 1) or 1))
    python, floors = cold_start_floor_ms(stack, parallel)
    _, alone = cold_start_floor_ms(stack, 1)
    floor = statistics.median(floors)
    REPORT.note(f"cold-start floor: {Path(python).parent.parent.name} python + import boto3 + DynamoDB client, "
                f"{parallel} at a time as the runtime starts workers: median {floor:.0f} ms of {len(floors)} "
                f"({', '.join(f'{f:.0f}' for f in sorted(floors))}); one at a time: {statistics.median(alone):.0f} ms")
    for logical_id, value in sorted(stack.runtime.cold_starts.items()):
        ratio = value / floor
        REPORT.figure("cold start", logical_id, f"{value:.0f} ms", floor=f"{floor:.0f} ms, {ratio:.2f}×",
                      target=f"≤ {COLD_START_TARGET}× ({COLD_START_TARGET * floor:.0f} ms)",
                      ok=ratio <= COLD_START_TARGET)
