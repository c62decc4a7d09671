"""A tiny run of every benchmark, so none of them rots (figures are not asserted: no timing).

Each benchmark starts its own fake server process on 127.0.0.1 and runs at its ``smoke`` level
(a few jobs, short durations); the checks are only that it finishes, reports its targets and
renders into RESULTS.md and JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from benchmarks import run as runner
from benchmarks._common import BenchResult, dumps, machine_info, percentiles

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, bool]]:
    """Plain asyncio: debug mode's per-callback checks would skew nothing here but slow it."""
    return ("asyncio", {"debug": False})


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", list(runner.BENCHMARKS))
async def test_benchmark_smoke(name: str) -> None:
    """The benchmark runs at smoke size and reports figures and at least one target."""
    result = await runner.run_one(name, "smoke")
    assert isinstance(result, BenchResult)
    assert result.name == name
    assert result.targets, "every benchmark states at least one target"
    for target in result.targets:
        assert isinstance(target["met"], bool)
        assert target["detail"]
    assert result.markdown.strip()
    json.loads(dumps(result.data))


def test_render_writes_every_section() -> None:
    """RESULTS.md names the command, the date and the machine, and has one section per result."""
    fake = BenchResult("b9", "B9 nothing", {"x": 1.0}, "| a |\n|---|\n| 1 |")
    fake.target("something", True, "1")
    meta: dict[str, Any] = {
        "command": ".venv/bin/python -m benchmarks --quick",
        "level": "quick",
        "date": "2026-01-01 00:00 UTC",
        "seconds": 1.0,
        "machine": machine_info(),
        "git": "abc123",
    }
    text = runner.render([fake], meta)
    assert "python -m benchmarks --quick" in text
    assert "2026-01-01" in text
    assert meta["machine"]["cpu"] in text
    assert "## B9 nothing" in text


def test_percentiles_nearest_rank() -> None:
    """Nearest-rank percentiles; empty input gives NaN rather than an error."""
    values = [float(v) for v in range(1, 101)]
    p = percentiles(values)
    assert (p["p50"], p["p95"], p["p99"], p["max"]) == (50.0, 95.0, 99.0, 100.0)
    assert math.isnan(percentiles([])["p50"])
