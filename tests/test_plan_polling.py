"""Jobs waiting in the account's plan queue, on the real scheduler on virtual time."""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import JobStatus
from akool_async._scheduler import Scheduler
from benchmarks._common import percentiles
from benchmarks._sim import simulate
from benchmarks.scenarios import Scenario

#: 120 jobs of 2-6 s on an account that runs 10 at a time (the last waits about 50 s).
PLAN = Scenario("plan", "plan queue of 10", 120, (0.0, 0.5), (2.0, 6.0), plan_cap=10)
#: A few long jobs on a small plan (the last waits about 10 minutes).
LONG = Scenario("long", "plan queue of 3", 60, (0.0, 0.5), (30.0, 90.0), plan_cap=3)


def _run(
    monkeypatch: pytest.MonkeyPatch, scn: Scenario, knob: float, seed: int
) -> tuple[float, float]:
    """(polls that found a job queued, per job; p95 detection delay) of one wave."""
    queued = 0
    real = Scheduler._apply

    def spy(self: Scheduler, job: Any, snap: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal queued
        queued += snap.status == JobStatus.QUEUEING
        real(self, job, snap, *args, **kwargs)

    monkeypatch.setattr(Scheduler, "_apply", spy)
    out = simulate(scn, "policy", knob, seed=seed)
    return queued / scn.jobs, percentiles(out.delays)["p95"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_jobs_waiting_for_a_slot_are_not_polled_blindly(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Once the plan queue is inferred, a job waiting for a slot is polled near its turn (or
    when a slot is seen freed), not every few seconds: under one poll per job finds it queued,
    and detection stays near the target."""
    per_job, p95 = _run(monkeypatch, PLAN, 1.0, seed)
    assert per_job < 1.0
    assert p95 <= 3.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_slot_dated_loosely_still_finds_its_end_on_time(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Long jobs granted a slot somewhere in a wide window keep close polls past the usual end
    for as long as their age is uncertain: the p95 stays within 1.5 times the target."""
    _, p95 = _run(monkeypatch, LONG, 10.0, seed)
    assert p95 <= 15.0  # within 1.5 times the target
