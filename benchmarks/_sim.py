"""The real scheduler on virtual time: no sockets, no sleeps, the code users run.

Jobs are drawn by the fake server's own :class:`Lifecycle` from a :class:`Scenario`'s
``fake_config``, so their timings are those a run against ``akool_async.testing`` would see
(plan cap and FIFO included). Two strategies poll them:

* ``loop``: one loop per job, polling every ``interval`` from its creation (without a rate
  budget in closed form; with one, the real scheduler with ``PollPolicy(fixed_interval=...)``);
* ``policy``: the real :class:`~akool_async._scheduler.Scheduler` with
  ``PollPolicy(target_p95_delay=...)``, as a session owns it.

The scheduler runs on an asyncio event loop whose time is virtual: its selector never waits,
it moves the loop's time on by the timeout it is given (no real I/O happens), so the run is
deterministic and takes only the CPU the scheduler spends. Its status fetch is in memory: one
``talking_photo`` job per request (a single-id status endpoint), answering each job's true
status at the clock's now, with the media length (``video_lock_duration``) when the scenario
has one. Jobs are created as the session does (a :class:`Job` and ``scheduler.add`` with the
create answer's snapshot); under a rate budget creates and polls take tokens from one real
:class:`RateBudget` on the same clock, polls ``urgent`` as in the transport, and the
scheduler's workers see the budget's waits (``budget_waits``) as in production.
"""

from __future__ import annotations

import asyncio
import math
import random
import selectors
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import anyio

from akool_async import FAMILIES, Job, JobSnapshot, JobStatus, PollPolicy
from akool_async._family import Family, StatusEndpoint
from akool_async._ratelimit import RateBudget
from akool_async._scheduler import Scheduler
from akool_async.testing._jobs import Lifecycle

from .scenarios import Scenario

__all__ = ["LoopClock", "Outcome", "VirtualLoop", "simulate"]

#: The family simulated (as B10): its status endpoint takes one id a request.
FAMILY = "talking_photo"
_URL = "https://example.invalid/result.mp4"
#: Wall time of the virtual clock's zero (only written into job tokens).
_EPOCH = 1_800_000_000.0


@dataclass
class Outcome:
    """What one simulated run measured."""

    polls: int
    jobs: int
    delays: list[float]
    #: Clock seconds from the first create to the last.
    create_span: float
    #: The scheduler's ``export_model()`` at the end (None for the loop).
    model: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_job(self) -> float:
        """Status requests per job."""
        return self.polls / self.jobs


class _Selector(selectors.SelectSelector):
    """Never waits: a wait of ``timeout`` moves the loop's virtual time on instead."""

    def __init__(self, loop: VirtualLoop) -> None:
        super().__init__()
        self._vloop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("virtual time: every task waits and nothing is scheduled")
        if timeout > 0:
            self._vloop.vnow += timeout
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time (for code that does no real I/O)."""

    def __init__(self) -> None:
        self.vnow = 0.0
        super().__init__(_Selector(self))

    def time(self) -> float:
        return self.vnow


class LoopClock:
    """The SDK's :class:`~akool_async._clock.Clock` on a :class:`VirtualLoop`'s time."""

    __slots__ = ("_loop",)

    def __init__(self, loop: VirtualLoop) -> None:
        self._loop = loop

    def now(self) -> float:
        return self._loop.vnow

    def wall(self) -> float:
        return _EPOCH + self._loop.vnow

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def to_real(self, seconds: float) -> float:
        return seconds


@dataclass
class _Truth:
    queue_end: float
    proc_end: float
    media: float | None


async def _wave(
    scn: Scenario,
    policy: PollPolicy,
    seed: int,
    model_state: Mapping[str, Any] | None,
    clock: LoopClock,
) -> Outcome:
    """One wave of ``scn`` through a real scheduler on ``clock``."""
    config = scn.fake_config(seed=seed)
    life = Lifecycle(random.Random(f"{seed}:sim-jobs"))
    fam = FAMILIES[FAMILY]
    budget = None if scn.rate is None else RateBudget(scn.rate, scn.burst, clock)
    truth: dict[str, _Truth] = {}
    delays: list[float] = []
    polls = 0
    last_create = 0.0
    all_done = anyio.Event()

    async def fetch(
        endpoint: StatusEndpoint, family: Family, ids: Sequence[str]
    ) -> Mapping[str, JobSnapshot]:
        # As the transport takes a token for a status request (``kind="poll"``: urgent); the
        # worker's ``budget_waits`` list gets the wait.
        nonlocal polls
        if budget is not None and not budget.try_acquire(urgent=True):
            await budget.acquire(urgent=True)
        polls += 1
        now = clock.now()
        out = {}
        for i in ids:
            t = truth[i]
            if now >= t.proc_end:
                out[i] = JobSnapshot(
                    i, JobStatus.COMPLETED, result_url=_URL, media_duration=t.media
                )
            else:
                status = JobStatus.PROCESSING if now >= t.queue_end else JobStatus.QUEUEING
                out[i] = JobSnapshot(i, status, media_duration=t.media)
        return out

    scheduler = Scheduler(fetch, clock=clock, policy=policy, rng=random.Random(f"{seed}:scheduler"))
    handoff = scheduler._handoff
    if hasattr(handoff, "_loop_timer"):
        # The SDK's own clocks time the dispatcher with ``loop.call_later`` (their ``sleep`` is
        # just that); so does this one, whose seconds are the loop's.
        handoff._loop_timer = True
    if model_state is not None:
        scheduler.load_model(model_state)

    def resolved(job: Job) -> None:
        delays.append(clock.now() - truth[job.id].proc_end)
        if len(delays) == scn.jobs:
            all_done.set()

    async def create_all() -> None:
        nonlocal last_create
        for k in range(scn.jobs):
            # As ``Session._create``: room held while the create is in flight; the create
            # takes a token like any request (not urgent: behind every poll waiting for one).
            with scheduler.reserve(1):
                if budget is not None and not budget.try_acquire():
                    await budget.acquire()
                now = clock.now()
                timing = life.draw(config, now)
                media = timing.media if scn.covariate else None
                job_id = f"sim{k:07d}"
                truth[job_id] = _Truth(timing.queue_end, timing.proc_end, media)
                job = Job(
                    job_id, fam, scheduler, created_at=now, created_wall=clock.wall(), deadline=None
                )
                job.add_done_callback(resolved)
                # The create answer's snapshot: queued, with the media length Akool reports.
                snap = JobSnapshot(job_id, JobStatus.QUEUEING, media_duration=media)
                scheduler.add(job, snap, reserved=True)
            last_create = now

    async with anyio.create_task_group() as tg:
        await tg.start(scheduler.run)
        await create_all()
        await all_done.wait()
        tg.cancel_scope.cancel()
    out = Outcome(
        polls,
        scn.jobs,
        delays,
        last_create,
        model=None if policy.fixed_interval is not None else scheduler.export_model(),
        extra={"plan_confirmed": scheduler.queue.confirmed, "plan_slots": scheduler.queue.slots},
    )
    scheduler.close()
    return out


def _run(scn: Scenario, policy: PollPolicy, seed: int, model: Mapping[str, Any] | None) -> Outcome:
    def wave() -> Outcome:
        loop = VirtualLoop()
        try:
            return loop.run_until_complete(_wave(scn, policy, seed, model, LoopClock(loop)))
        finally:
            loop.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return wave()
    # Called from a coroutine (the benchmark runner): a thread may run a loop of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(wave).result()


def _free_loop(scn: Scenario, interval: float, seed: int) -> Outcome:
    """The loop without a budget: every job polled at ``k * interval`` from its creation (all
    at 0) until a poll finds it ended."""
    config = scn.fake_config(seed=seed)
    life = Lifecycle(random.Random(f"{seed}:sim-jobs"))
    polls = 0
    delays = []
    for _ in range(scn.jobs):
        end = life.draw(config, 0.0).proc_end
        k = max(1, math.ceil(end / interval - 1e-12))
        polls += k
        delays.append(max(0.0, k * interval - end))
    return Outcome(polls, scn.jobs, delays, 0.0)


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
    wave (seed + 1000) and loads its exported model into the measured wave's scheduler."""
    if strategy == "loop":
        if scn.rate is None:
            return _free_loop(scn, setting, seed)
        return _run(scn, PollPolicy(fixed_interval=setting), seed, None)
    if strategy != "policy":
        raise ValueError(f"strategy: expected 'loop' or 'policy', got {strategy!r}")
    policy = PollPolicy(target_p95_delay=setting)
    if scn.warm and model_state is None:
        model_state = _run(scn, policy, seed + 1000, None).model
    return _run(scn, policy, seed, model_state)
