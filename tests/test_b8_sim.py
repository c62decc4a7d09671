"""B8's simulator runs the real scheduler on virtual time (``benchmarks/_sim.py``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from akool_async._planning import FamilyPlan
from akool_async._scheduler import Scheduler
from benchmarks._sim import simulate
from benchmarks.b8_policy import EXACT, exact_scale
from benchmarks.scenarios import SCENARIOS, Scenario


def _scenario(name: str, jobs: int = 40, **changes: Any) -> Scenario:
    scn = next(s for s in SCENARIOS if s.name == name)
    return replace(scn, jobs=jobs, **changes)


def test_every_poll_goes_through_the_real_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each status request of a policy run is answered into Scheduler._apply, once a job."""
    applied = []
    real = Scheduler._apply

    def spy(self: Scheduler, job: Any, snap: Any, *args: Any, **kwargs: Any) -> None:
        applied.append(job.id)
        real(self, job, snap, *args, **kwargs)

    monkeypatch.setattr(Scheduler, "_apply", spy)
    out = simulate(_scenario("cold300"), "policy", 1.0, seed=3)
    assert len(applied) == out.polls > out.jobs
    assert len(out.delays) == out.jobs


def test_a_change_to_the_scheduler_moves_the_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polling every job twice as late (in the scheduler) changes what the simulation measures."""
    scn = _scenario("cold300")
    before = simulate(scn, "policy", 1.0, seed=3)
    real = Scheduler._next_delay

    def later(self: Scheduler, job: Any, now: float) -> float:
        return 2.0 * real(self, job, now)

    monkeypatch.setattr(Scheduler, "_next_delay", later)
    after = simulate(scn, "policy", 1.0, seed=3)
    assert (after.polls, after.delays) != (before.polls, before.delays)
    assert max(after.delays) > max(before.delays)


@pytest.mark.parametrize("name", ["cold300", "plan200", "budget2000", "warm2000"])
def test_simulation_is_deterministic(name: str) -> None:
    """One seed gives the very same requests, delays and learned model twice."""
    scn = _scenario(name, rate=2.0) if name == "budget2000" else _scenario(name)
    a = simulate(scn, "policy", 2.0, seed=5)
    b = simulate(scn, "policy", 2.0, seed=5)
    assert (a.polls, a.delays, a.create_span, a.model) == (
        b.polls,
        b.delays,
        b.create_span,
        b.model,
    )


def test_rate_budget_spreads_creates() -> None:
    """Under a budget, creates take tokens on the virtual clock: they span (jobs - burst) / rate."""
    scn = _scenario("budget2000", jobs=60, rate=5.0, burst=10.0)
    out = simulate(scn, "policy", 2.0, seed=1)
    assert out.create_span >= (60 - 10) / 5.0 - 1e-6
    free = simulate(replace(scn, rate=None), "policy", 2.0, seed=1)
    assert free.create_span == 0.0


def test_budget_waits_reach_the_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polls that waited on the budget are not clean for learning; without a budget all are."""
    cleans: list[bool] = []
    real = FamilyPlan.ended

    def spy(self: FamilyPlan, job: Any, now: float, **kwargs: Any) -> bool:
        cleans.append(kwargs["clean"])
        return real(self, job, now, **kwargs)

    monkeypatch.setattr(FamilyPlan, "ended", spy)
    scn = _scenario("budget2000", jobs=200, rate=4.0, burst=5.0)
    simulate(scn, "policy", 1.0, seed=1)
    assert False in cleans
    cleans.clear()
    simulate(replace(scn, rate=None), "policy", 1.0, seed=1)
    assert cleans and all(cleans)


def test_no_absolute_time_constant_at_exact_scale() -> None:
    """Every duration, knob and rate x16 (exact in binary floats) gives the very same runs."""
    scn = _scenario("plan200", knobs=(0.5, 2.0))
    assert EXACT == 16.0
    assert exact_scale(scn) == []


def test_free_loop_polls_until_a_poll_sees_the_end() -> None:
    """The loop polls each job at k * interval and detects it within one interval."""
    out = simulate(_scenario("cold300"), "loop", 2.0, seed=1)
    assert out.polls >= out.jobs
    assert all(0.0 <= d <= 2.0 + 1e-9 for d in out.delays)
    budget = simulate(_scenario("cold300", rate=50.0), "loop", 2.0, seed=1)
    assert budget.polls >= budget.jobs and len(budget.delays) == budget.jobs


def test_jobs_ending_once_a_cold_family_learned_an_end_are_found_on_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a cold wave whose durations carry a queue wait the media length does not scale
    (cold200, seed 4), the jobs that end once the family learned its first end meet the p95
    target: the young model's low quantile for long media comes from the long probes in time."""
    scn = next(s for s in SCENARIOS if s.name == "cold200")
    resolved: list[float] = []
    first: list[float] = []
    real = FamilyPlan.ended

    def spy(self: FamilyPlan, job: Any, now: float, **kwargs: Any) -> bool:
        out = real(self, job, now, **kwargs)
        resolved.append(now)  # in the order the run records each job's delay
        if self.model.events and not first:
            first.append(now)
        return out

    monkeypatch.setattr(FamilyPlan, "ended", spy)
    out = simulate(scn, "policy", 2.0, seed=4)
    ends = [(t - d, d) for t, d in zip(resolved, out.delays, strict=True)]
    later = sorted(d for end, d in ends if end >= first[0])
    assert len(later) >= 0.9 * scn.jobs
    assert later[int(0.95 * len(later))] <= 1.25 * 2.0
    assert sum(d > 2 * 2.0 for d in later) <= 0.015 * len(later)
