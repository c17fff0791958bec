"""Localization figures.

* converting 10,000 amounts with meridian.fx as every service does (snapshot read from the
  real localization service once, then cached): one by one, and as one batch; target ≤ 50 ms;
* a full refresh from the FX stub through the local runtime (fetch, validate, store an
  immutable snapshot, move the pointer, publish the event), with new rates each time so every
  run does the whole work; target ≤ 1 s.
"""
from __future__ import annotations

import random
import statistics
import time
from decimal import Decimal

import requests

from tests.bench.report import REPORT, ms
from tests.layer_env import layer_reads_stack

AMOUNTS = 10_000
CONVERT_TARGET_MS = 50.0
REFRESH_RUNS = 7
REFRESH_TARGET_S = 1.0
PAIRS = [("USD", "JPY"), ("USD", "EUR"), ("GBP", "KRW"), ("EUR", "USD"), ("CHF", "INR")]


def bench_conversions(stack) -> None:
    from meridian import fx

    fx.reset()
    with layer_reads_stack(stack):
        fx.snapshot()  # the one HTTP read; everything after is in-process
        rng = random.Random(7)
        amounts = [Decimal(rng.randint(0, 10**8)).scaleb(-2) for _ in range(AMOUNTS)]
        singles = []
        for _ in range(5):
            began = time.perf_counter()
            for index, amount in enumerate(amounts):
                source, target = PAIRS[index % len(PAIRS)]
                fx.convert(amount, source, target)
            singles.append((time.perf_counter() - began) * 1000)
        median = statistics.median(singles)
        REPORT.figure("localization", f"convert {AMOUNTS:,} amounts one by one (median of 5)", ms(median),
                      target=f"≤ {CONVERT_TARGET_MS:.0f} ms", ok=median <= CONVERT_TARGET_MS)
    fx.reset()


def bench_refresh(stack) -> None:
    if not stack.fx_stub_url:
        REPORT.note("FX refresh: no FX stub in this stack; skipped")
        return
    control = f"{stack.fx_stub_url}/_control"
    base_rates = requests.get(control, timeout=5).json()["rates"]
    durations, statuses = [], []
    try:
        for run in range(REFRESH_RUNS):
            nudged = {code: str((Decimal(rate) * (1 + Decimal(run + 1) / 1000)).quantize(Decimal(rate)))
                      for code, rate in base_rates.items()}
            requests.post(control, json={"rates": nudged}, timeout=5).raise_for_status()
            began = time.perf_counter()
            result = stack.runtime.fire_schedule("FxRefreshFunction")
            durations.append(time.perf_counter() - began)
            statuses.append(result.get("status"))
    finally:
        requests.post(f"{control}/reset", timeout=5)
        stack.runtime.fire_schedule("FxRefreshFunction")  # back to the file's rates
    median = statistics.median(durations)
    REPORT.figure("localization", f"full FX refresh from the stub (median of {REFRESH_RUNS})", ms(median * 1000),
                  floor=f"max {ms(max(durations) * 1000)}, outcomes {', '.join(sorted(map(str, set(statuses))))}",
                  target=f"≤ {REFRESH_TARGET_S * 1000:.0f} ms", ok=median <= REFRESH_TARGET_S)


def run(stack) -> None:
    bench_conversions(stack)
    bench_refresh(stack)
