"""python -m tests.bench [name ...] — one stack on free ports for the whole run; each bench_*.py's run(stack)
in a fixed order (foundation, auth, localization, products, checkout), then the end-of-run checks
(tests/bench/final.py: queues drained, dead letters, memory), then every figure as one table.

Exit status: 0 when nothing failed, even if figures are over their targets (the figures are the
result); 1 on errors: a bench that broke, failed requests, lost or dead-lettered events.
Sizes come from environment variables (BENCH_SIZES, BENCH_PAID_EVENTS, ...; tests/bench/__init__.py).
The stack's state folder is on /dev/shm when there is one (BENCH_STATE_DIR moves it; see state_parent).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
for path in (ROOT, ROOT / "layers" / "common"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from infra.harness.stack import DevStack, StackSettings  # noqa: E402
from tests.bench.report import REPORT  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
# the stack's state matters: products seeds the order book checkout runs on; checkout's backlog goes last
ORDER = ["bench_foundation", "bench_auth", "bench_localization", "bench_products", "bench_carts", "bench_web",
         "bench_checkout"]


def discover(names: list[str]) -> list[str]:
    modules = sorted((p.stem for p in BENCH_DIR.glob("bench_*.py")),
                     key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    return modules


def state_parent() -> str | None:
    """Where the run's state folder goes: BENCH_STATE_DIR, else /dev/shm (tmpfs) when there is one.

    DynamoDB Local keeps its database there (-dbPath, SQLite): on a disk every item written waits
    for fsyncs (~3 ms each on this machine's disk). Measured here, bulk seeding wrote ~90 items/s
    with the state on disk and ~600 items/s on tmpfs (same engine and settings, same load), so
    10,000 products + 10,000 orders (~100,000 items) take minutes instead of a quarter of an hour.
    Reads, which most figures time, do not sync; the checkout and webhook writes do, so a stack
    on a disk (`make up`) pays that on top of these figures."""
    chosen = os.environ.get("BENCH_STATE_DIR")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return chosen
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _step(name: str, action) -> None:
    print(f"\n=== {name} ===", flush=True)
    began = time.monotonic()
    try:
        action()
    except Exception as exc:  # one broken bench must not hide the others' figures
        traceback.print_exc()
        REPORT.error(f"{name} broke: {type(exc).__name__}: {exc}")
    print(f"--- {name}: {time.monotonic() - began:.1f}s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="only benches whose module name contains one of these")
    parser.add_argument("--workers", type=int, default=2, help="workers per HTTP function")
    ns = parser.parse_args()
    modules = discover(ns.names)
    if not modules:
        print("no benchmarks found")
        return 1
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="meridian-bench-", dir=state_parent()) as state_dir:
        print(f"bench state (DynamoDB Local's database, logs) in {state_dir}; BENCH_STATE_DIR=<dir> moves it",
              flush=True)
        # generous limits: the gateway's rate limiting must not be what a benchmark measures
        settings = StackSettings.on_free_ports(Path(state_dir), workers_per_function=ns.workers,
                                               auth_rate="6000r/m", auth_burst=1000,
                                               general_rate="10000r/s", general_burst=10000)
        with DevStack(settings, report=lambda line: print(f"  {line}", flush=True)) as stack:
            started = time.monotonic() - began
            for name in modules:
                _step(name, lambda name=name: importlib.import_module(f"tests.bench.{name}").run(stack))
            _step("end of run: queues, dead letters, memory",
                  lambda: importlib.import_module("tests.bench.final").run(stack))
    print(f"\n=== summary ({', '.join(m.removeprefix('bench_') for m in modules)}; {ns.workers} workers per "
          f"function; stack up in {started:.0f} s, whole run {time.monotonic() - began:.0f} s) ===", flush=True)
    print(REPORT.table(), flush=True)
    return 1 if REPORT.errors else 0


if __name__ == "__main__":
    sys.exit(main())
