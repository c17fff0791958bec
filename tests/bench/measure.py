"""Timing helpers every benchmark shares (milliseconds, nearest-rank percentiles), and the sizes
of a run (each overridable by an environment variable, so a development run can be small)."""
from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_sizes(name: str, default: str) -> list[int]:
    """A comma-separated list of growing sizes, e.g. BENCH_SIZES=1000,10000."""
    return sorted({int(part.replace("_", "")) for part in (os.environ.get(name) or default).split(",") if part.strip()})


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p99(samples: list[float]) -> float:
    return percentile(samples, 99)


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


def timed_each(call: Callable[[object], object], arguments: list, warm_up: list | None = None) -> list[float]:
    """Milliseconds of call(a) for each a of `arguments` (one at a time), after call(w) for each w of warm_up."""
    for argument in warm_up or []:
        call(argument)
    samples = []
    for argument in arguments:
        began = time.perf_counter()
        call(argument)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def concurrently(make_call: Callable[[], Callable[[int], object]], count: int, clients: int
                 ) -> tuple[list[float], float]:
    """`count` calls spread over `clients` threads, each with its own call (make_call() → call(i), its own
    connection). Returns (milliseconds of each call, calls per second over the whole run)."""
    samples: list[float] = []
    lock = threading.Lock()
    calls = [make_call() for _ in range(clients)]

    def client(index: int) -> None:
        call, mine = calls[index], []
        for i in range(index, count, clients):
            began = time.perf_counter()
            call(i)
            mine.append((time.perf_counter() - began) * 1000)
        with lock:
            samples.extend(mine)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return samples, count / (time.perf_counter() - began)


def paced(count: int, rate: float, work: Callable[[int, int], object], threads: int = 4) -> float:
    """A steady offered load: work(i, thread index) started at began + i / rate (never earlier), on up to
    `threads` threads so one slow call does not delay the next ones. Returns the achieved start rate."""
    local = threading.local()
    counter = iter(range(threads * 1000))
    counter_lock = threading.Lock()

    def run(i: int) -> None:
        if not hasattr(local, "index"):
            with counter_lock:
                local.index = next(counter) % threads
        work(i, local.index)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = []
        for i in range(count):
            pause = began + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            futures.append(pool.submit(run, i))
        sent_in = time.perf_counter() - began
        for future in futures:
            future.result()
    return count / sent_in if sent_in > 0 else float("inf")
