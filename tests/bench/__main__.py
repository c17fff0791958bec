"""python -m tests.bench [name ...] — start a stack on free ports, run each bench_*.py's run(stack)."""
from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
for path in (ROOT, ROOT / "layers" / "common"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from infra.stack import LocalStack, StackSettings  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent


def discover(names: list[str]) -> list[str]:
    modules = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    return modules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="only benches whose module name contains one of these")
    parser.add_argument("--workers", type=int, default=2, help="workers per HTTP function")
    ns = parser.parse_args()
    modules = discover(ns.names)
    if not modules:
        print("no benchmarks found")
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="meridian-bench-") as state_dir:
        # generous limits: the gateway's rate limiting must not be what a benchmark measures
        settings = StackSettings.on_free_ports(Path(state_dir), workers_per_function=ns.workers,
                                               auth_rate="6000r/m", auth_burst=1000,
                                               general_rate="10000r/s", general_burst=10000)
        with LocalStack(settings, report=lambda line: print(f"  {line}", flush=True)) as stack:
            for name in modules:
                print(f"\n=== {name} ===", flush=True)
                began = time.monotonic()
                try:
                    importlib.import_module(f"tests.bench.{name}").run(stack)
                except Exception:  # one broken bench must not hide the others' figures
                    failures += 1
                    traceback.print_exc()
                print(f"--- {name}: {time.monotonic() - began:.1f}s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
