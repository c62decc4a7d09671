"""A fake Akool open API server for tests and benchmarks.

``async with FakeAkool(FakeConfig(speed=1000)) as fake:`` serves the Akool endpoints on
``fake.base_url`` over real HTTP: jobs advance on a (fast) clock, faults are injected at chosen
rates or on demand (``fake.faults.add("http_502")``), and webhooks are sealed and delivered.
Run it standalone with ``python -m akool_async.testing``.
"""

from __future__ import annotations

from ._config import FakeConfig, FaultRates
from ._faults import FaultPlan
from ._jobs import FakeJob
from ._server import FakeAkool, serve
from ._stats import FakeStats

__all__ = [
    "FakeAkool",
    "FakeConfig",
    "FakeJob",
    "FakeStats",
    "FaultPlan",
    "FaultRates",
    "serve",
]
