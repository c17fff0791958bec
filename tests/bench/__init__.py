"""Benchmarks: `make bench` (python -m tests.bench [names]) starts ONE DevStack on free ports and
calls `run(stack)` of each tests/bench/bench_*.py module in a fixed order (foundation, auth,
localization, products, checkout), then the end-of-run checks of final.py (queues drained, every
DLQ's depth, the stack's resident memory). Each figure goes to report.REPORT: printed as it is
measured, next to its floor (the bare operation it is built on, measured in the same run), its
target and a verdict (ok / OVER TARGET), and all of them again as one table at the end. A figure
over its target is reported, not failed: the run exits 1 only on errors (a bench that broke,
failed requests, lost or dead-lettered events). Bulk data for the scale benches comes from
seed.py (BatchWriteItem straight to DynamoDB Local, items built by the services' own models).

Sizes (environment variables; the defaults are the full run):
  BENCH_SIZES=1000,10000        catalog and order-book sizes, measured in turn (bench_products)
  BENCH_CATALOG_REQUESTS=200    BENCH_PRODUCT_REQUESTS=200    BENCH_ADMIN_REQUESTS=20
  BENCH_DASHBOARD_REQUESTS=2    BENCH_SEED_THREADS=4          BENCH_SEED_CUSTOMERS=1000
  BENCH_SEED_LOCALES=en,de,fr,ja,pt-BR (as the demo catalog)
  BENCH_CHECKOUTS=100           BENCH_CHECKOUT_CLIENTS=4      (bench_checkout)
  BENCH_PAID_EVENTS=1000        BENCH_PAID_RATE=20            BENCH_PAID_DEADLINE=120
  BENCH_WEBHOOKS=500            BENCH_INTAKE_CLIENTS=8
  BENCH_HEALTH_REQUESTS=500     BENCH_FLOOR_RUNS=5            (bench_foundation)
  BENCH_VERIFICATIONS=5000      BENCH_LOGINS=30               (bench_auth)
  BENCH_DRAIN_TIMEOUT=120       (final: how long the event queues may take to empty)
  BENCH_STATE_DIR=<dir>         where the stack's state goes (default /dev/shm: see __main__.py)
A quick development run (a few minutes):
  BENCH_SIZES=300,1000 BENCH_PAID_EVENTS=100 BENCH_CHECKOUTS=20 BENCH_WEBHOOKS=100 \\
  BENCH_CATALOG_REQUESTS=50 BENCH_PRODUCT_REQUESTS=50 .venv/bin/python -m tests.bench
"""
