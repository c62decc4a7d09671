"""Benchmarks of akool_async against the fake Akool server (``python -m benchmarks``)."""
