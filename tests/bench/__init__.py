"""Benchmarks: `make bench` (python -m tests.bench) starts a LocalStack on free ports and calls
`run(stack)` of every tests/bench/bench_*.py module, which prints its own figures.
No timing asserts live in tests; targets are printed next to the numbers here."""
