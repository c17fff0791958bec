"""Timeouts, retries with exponential backoff and full jitter, and one breaker per dependency."""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

import pybreaker

T = TypeVar("T")

DEFAULT_TIMEOUT = (2.0, 3.0)  # (connect, read) seconds for outbound HTTP
# what a sibling may add to its answer when its worker starts cold (Lambda init + the lazy imports of the
# first request); provisioned concurrency (template.yaml) and the local runtime's warm-up take it away,
# a scaled-out new worker still pays it
COLD_START_ALLOWANCE = 2.0


def timeout_for(work_seconds: float, *, connect: float = DEFAULT_TIMEOUT[0]) -> tuple[float, float]:
    """(connect, read) for a call whose callee itself needs up to `work_seconds` (e.g. its own gateway timeout):
    that, plus a cold start, plus half a second for the callee's own reads and writes."""
    return connect, round(work_seconds + COLD_START_ALLOWANCE + 0.5, 2)

_breakers: dict[str, pybreaker.CircuitBreaker] = {}


def breaker(dependency: str, *, fail_max: int = 5, reset_timeout: float = 30.0,
            exclude: Iterable[type[BaseException]] = ()) -> pybreaker.CircuitBreaker:
    """The circuit breaker of one dependency (shared by every caller in this environment)."""
    if dependency not in _breakers:
        _breakers[dependency] = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_timeout, exclude=list(exclude), name=dependency)
    return _breakers[dependency]


def reset_breakers() -> None:
    for b in _breakers.values():
        b.close()


def backoff_delays(attempts: int, base: float = 0.1, cap: float = 2.0) -> list[float]:
    """Full-jitter delays (AWS Architecture Blog): sleep = random(0, min(cap, base * 2**n))."""
    return [random.uniform(0, min(cap, base * (2 ** n))) for n in range(max(0, attempts - 1))]


def retry(call: Callable[[], T], *, attempts: int = 3, base: float = 0.1, cap: float = 2.0,
          retry_on: tuple[type[BaseException], ...] = (Exception,),
          sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `call`, retrying on `retry_on` with exponential backoff and full jitter."""
    delays = backoff_delays(attempts, base, cap)
    for delay in delays:
        try:
            return call()
        except retry_on:
            sleep(delay)
    return call()
