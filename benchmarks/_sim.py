"""Discrete-event simulation of polling strategies on virtual time (no sockets, no sleeps).

Jobs are drawn by the fake server's own :class:`Lifecycle` from a :class:`Scenario`'s
``fake_config``, so their timings are those a run against ``akool_async.testing`` would see
(plan cap and FIFO included). Two strategies poll them:

* ``loop``: one loop per job, polling every ``interval`` from its creation;
* ``policy``: :class:`PollPlacement` on a :class:`SurvivalModel` per family, with probes for a
  cold family and :class:`PlanQueue` for the account's plan queue.

Every poll is one status request (a single-id status endpoint, e.g. talking photo). With a rate
budget, creates and polls take tokens from one bucket (the scenario's rate and burst); the loop
serves requests in the order they fall due, the policy serves due polls before creates (a poll that
finds a finished job frees a plan slot and a file; creates wait a token at most).
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Any

from akool_async._durations import PlanQueue, PollPlacement, SurvivalModel
from akool_async._planning import _COLD_PROBES, _RELEASE_AFTER
from akool_async.testing._jobs import Lifecycle

from .scenarios import Scenario

__all__ = ["Outcome", "simulate"]

_POLL, _CREATE = 0, 1


@dataclass
class Outcome:
    """What one simulated run measured."""

    polls: int
    jobs: int
    delays: list[float]
    #: Clock seconds from the first create to the last.
    create_span: float
    model: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_job(self) -> float:
        """Status requests per job."""
        return self.polls / self.jobs


@dataclass
class _Job:
    idx: int
    created: float = math.nan
    end: float = math.nan
    queue_end: float = math.nan
    media: float | None = None
    origin: float = math.nan
    seen_running: float | None = None
    seen_queued: float | None = None
    last_poll: float | None = None
    probe: bool = False
    tail_polls: int = 0
    parked: int = 0  # backstop polls made while parked
    version: int = 0
    done: bool = False


class _Engine:
    def __init__(self, scn: Scenario, seed: int, rate: float | None) -> None:
        self.scn = scn
        self.config = scn.fake_config(seed=seed)
        self.life = Lifecycle(random.Random(f"{seed}:sim-jobs"))
        self.jobs = [_Job(i) for i in range(scn.jobs)]
        self.heap: list[tuple[float, int, float, int, int, int]] = []
        self.seq = 0
        self.rate = rate
        self.burst = scn.burst
        self.tokens = self.burst if rate else 0.0
        self.token_at = 0.0
        self.polls = 0
        self.delays: list[float] = []
        self.last_create = 0.0

    def push(
        self, due: float, kind: int, idx: int, prio: int = 0, since: float | None = None
    ) -> None:
        self.seq += 1
        version = self.jobs[idx].version if kind == _POLL else 0
        first = due if since is None else since
        heapq.heappush(self.heap, (due, prio, first, self.seq, kind * 1_000_000_000 + idx, version))

    def _take_token(self, now: float) -> float:
        """0 if a token is free at ``now`` (taken), else seconds until one is."""
        if self.rate is None:
            return 0.0
        self.tokens = min(self.burst, self.tokens + (now - self.token_at) * self.rate)
        self.token_at = now
        if self.tokens >= 1.0 - 1e-9:
            self.tokens = max(0.0, self.tokens - 1.0)
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def create(self, job: _Job, now: float) -> None:
        timing = self.life.draw(self.config, now)
        job.created = job.origin = now
        job.queue_end = timing.queue_end
        job.end = timing.proc_end
        job.media = timing.media if self.scn.covariate else None
        self.last_create = now

    def status(self, job: _Job, now: float) -> int:
        if now >= job.end:
            return 3
        return 2 if now >= job.queue_end else 1

    def run(self, on_poll: Any, on_create: Any, create_prio: int) -> None:
        for job in self.jobs:
            if self.rate is None:
                self.create(job, 0.0)
                on_create(job, 0.0)
            else:
                self.push(0.0, _CREATE, job.idx, create_prio)
        # Requests falling due wait in ``ready`` (by priority, then the time they fell due)
        # until the bucket has a token.
        ready: list[tuple[int, float, int, int, int]] = []
        t = 0.0
        while self.heap or ready:
            if not ready:
                t = max(t, self.heap[0][0])
            while self.heap and self.heap[0][0] <= t:
                _, prio, first, seq, code, version = heapq.heappop(self.heap)
                heapq.heappush(ready, (prio, first, seq, code, version))
            prio, first, seq, code, version = ready[0]
            kind, idx = divmod(code, 1_000_000_000)
            job = self.jobs[idx]
            if kind == _POLL and (job.done or version != job.version):
                heapq.heappop(ready)
                continue
            wait = self._take_token(t)
            if wait > 0:
                t += wait
                continue
            heapq.heappop(ready)
            if kind == _CREATE:
                self.create(job, t)
                on_create(job, t)
                continue
            self.polls += 1
            on_poll(job, t, t - first)


def _loop(scn: Scenario, interval: float, seed: int) -> Outcome:
    eng = _Engine(scn, seed, scn.rate)

    def on_create(job: _Job, now: float) -> None:
        eng.push(now + interval, _POLL, job.idx)

    def on_poll(job: _Job, now: float, _late: float) -> None:
        if eng.status(job, now) == 3:
            job.done = True
            eng.delays.append(now - job.end)
        else:
            eng.push(now + interval, _POLL, job.idx)

    eng.run(on_poll, on_create, 0)
    return Outcome(eng.polls, scn.jobs, eng.delays, eng.last_create)


def _policy(scn: Scenario, knob: float, seed: int, model_state: dict[str, Any] | None) -> Outcome:
    eng = _Engine(scn, seed, scn.rate)
    rng = random.Random(f"{seed}:model")
    model: SurvivalModel[int] = (
        SurvivalModel.from_dict(model_state, rng=rng) if model_state else SurvivalModel(rng=rng)
    )
    place = PollPlacement(target_p95_delay=knob)
    plan: PlanQueue[int] = PlanQueue()
    cold_parked: set[int] = set()
    plan_parked: set[int] = set()
    probes = [0]
    live = [0]
    skipping: set[int] = set()
    probing: list[int] = []
    learned = [0]
    low, high = place.low, place.high
    spacing = place.spacing

    def schedule(job: _Job, now: float) -> None:
        job.version += 1
        if plan.queued(job.idx):
            plan_parked.add(job.idx)
            job.parked += 1
            eng.push(now + place.backstop * spacing * 2.0 ** min(job.parked, 20), _POLL, job.idx)
            return
        plan_parked.discard(job.idx)
        lo = model.quantile(low, job.media)
        hi = model.quantile(high, job.media) if lo is not None else None
        age = now - job.origin
        nxt = place.next_age(age, lo, hi, probe=job.probe, tail_polls=job.tail_polls)
        if nxt is None:
            cold_parked.add(job.idx)
            eng.push(job.origin + place.backstop_age(age), _POLL, job.idx)
            return
        cold_parked.discard(job.idx)
        if hi is not None and age >= hi * 0.999999:
            job.tail_polls += 1
        skipping.discard(job.idx)
        if not job.probe and (young() or (nxt - age > 2.0 * spacing and (hi is None or age < hi))):
            skipping.add(job.idx)  # a long skip, or a young model: re-plan as it learns
        eng.push(job.origin + nxt, _POLL, job.idx)

    def replan(now: float) -> None:
        """The model learned: move the long skips it booked (no request is sent)."""
        for idx in list(skipping):
            job = eng.jobs[idx]
            lo = model.quantile(low, job.media)
            hi = model.quantile(high, job.media) if lo is not None else None
            seen = (job.last_poll if job.last_poll is not None else job.origin) - job.origin
            nxt = place.next_age(seen, lo, hi, probe=False, tail_polls=job.tail_polls)
            if nxt is None:
                continue
            job.version += 1
            eng.push(job.origin + max(nxt, now - job.origin), _POLL, job.idx)
            if nxt - seen <= 2.0 * spacing and not young():
                skipping.discard(idx)

    def young() -> bool:
        return model.events < place.probes_wanted(live[0])

    def on_create(job: _Job, now: float) -> None:
        plan.add(job.idx)
        live[0] += 1
        cold = model.quantile(low) is None
        if probes[0] < place.probes_wanted(live[0]) * (_COLD_PROBES if cold else 1):
            # Probes are chosen at creation, blind to their durations: an unbiased sample that
            # alone teaches the model (the others are polled where the model says, so when they
            # are seen to finish depends on the model itself).
            job.probe = True
            probes[0] += 1
            model.start(job.idx, now, job.media)
            if cold:
                probing.append(job.idx)
        schedule(job, now)

    def release() -> None:
        """A few ended: the extra cold probes become ordinary jobs (as ``FamilyPlan``)."""
        extra = max(0, probes[0] - place.probes_wanted(live[0]))
        for idx in [i for i in probing if eng.jobs[i].probe and not eng.jobs[i].done][:extra]:
            j = eng.jobs[idx]
            j.probe = False
            probes[0] -= 1
            model.censor(idx, j.seen_running if j.seen_running is not None else j.origin)
        probing.clear()

    def on_poll(job: _Job, now: float, late: float) -> None:
        status = eng.status(job, now)
        last_poll, job.last_poll = job.last_poll, now
        skipping.discard(job.idx)
        if status == 3:
            job.done = True
            eng.delays.append(now - job.end)
            seen = job.seen_running if job.seen_running is not None else job.origin
            end = 0.5 * (max(seen, job.origin) + now)
            # A poll the budget held back (late) dates the end too loosely: a lower bound only.
            model.finish(job.idx, now, clean=late <= 0.1 * spacing, max_gap=2.0 * spacing)
            live[0] -= 1
            if job.probe:
                probes[0] -= 1
            if probing and model.events >= _RELEASE_AFTER:
                release()
            for granted in plan.finished(job.idx):
                g = eng.jobs[granted]
                g.origin = end
                model.restart(granted, end)
                schedule(g, now)
            if job.probe and model.events >= max(learned[0] + 1, learned[0] * 1.05):
                learned[0] = model.events
                replan(now)
            if cold_parked and model.quantile(low) is not None:
                for idx in list(cold_parked):
                    schedule(eng.jobs[idx], now)
            return
        age = now - job.origin
        if status == 2:
            if job.seen_running is None and job.seen_queued is not None and plan.confirmed:
                job.origin = 0.5 * (job.seen_queued + now)
                model.restart(job.idx, job.origin)
            last = last_poll if last_poll is not None else job.created
            tight = job.seen_running is None and now - last <= 1.5 * spacing
            job.seen_running = now
            model.alive(job.idx, now)
            for idx in plan.seen_running(job.idx, age, tight=tight):
                if idx in plan_parked and idx != job.idx:
                    schedule(eng.jobs[idx], now)
        else:
            job.seen_queued = now
            plan.seen_queued(job.idx, age)
        schedule(job, now)

    eng.run(on_poll, on_create, 1)
    return Outcome(
        eng.polls,
        scn.jobs,
        eng.delays,
        eng.last_create,
        model=model.to_dict(),
        extra={"plan_confirmed": plan.confirmed, "plan_slots": plan.slots},
    )


def simulate(
    scn: Scenario,
    strategy: str,
    setting: float,
    *,
    seed: int = 1,
    model_state: dict[str, Any] | None = None,
) -> Outcome:
    """Run ``strategy`` (``"loop"`` with interval ``setting``, or ``"policy"`` with
    ``target_p95_delay = setting``) on one wave of ``scn``. A warm policy run first runs a cold
    wave (seed + 1000) and carries its exported model into the measured wave."""
    if strategy == "loop":
        return _loop(scn, setting, seed)
    if scn.warm and model_state is None:
        first = _policy(scn, setting, seed + 1000, None)
        model_state = first.model
    return _policy(scn, setting, seed, model_state)
