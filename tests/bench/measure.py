"""Timing helpers every benchmark shares (milliseconds, nearest-rank percentiles)."""
from __future__ import annotations

import time
from collections.abc import Callable


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def timed(call: Callable[[], object], count: int, warm_up: int = 20) -> list[float]:
    """Milliseconds of `count` calls after `warm_up` untimed ones."""
    for _ in range(warm_up):
        call()
    samples = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return samples
