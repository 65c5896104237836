"""Benchmarks and the soak test's shared code (importable as `bench.soak` from the tests)."""
