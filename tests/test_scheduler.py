"""The scheduler on virtual time: invariants as hypothesis properties, and each failure rule."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akool_async import (
    AuthenticationError,
    ConnectError,
    EventsLagged,
    InvalidResponse,
    JobEvent,
    JobFailed,
    JobNotFound,
    JobResult,
    JobSnapshot,
    JobStatus,
    JobStopped,
    JobTimeout,
    ParameterError,
    PollPolicy,
    RequestTimeout,
    ResultMissing,
    ServerError,
    Throttled,
)
from akool_async._akool import FAMILIES
from akool_async._family import Family, StatusEndpoint
from akool_async._job import Job
from akool_async._scheduler import Scheduler

from .virtual_clock import VirtualClock

SINGLE = FAMILIES["talking_photo"]
BATCH = FAMILIES["faceswap_v4"]


@dataclass
class SimJob:
    created: float
    queue: float
    processing: float
    fails: bool
    media: float = 10.0

    @property
    def ends(self) -> float:
        return self.created + self.queue + self.processing

    def status(self, t: float) -> JobStatus:
        if t < self.created + self.queue:
            return JobStatus.QUEUEING
        if t < self.ends:
            return JobStatus.PROCESSING
        return JobStatus.FAILED if self.fails else JobStatus.COMPLETED


@dataclass
class Sim:
    """An in-memory Akool: answers status requests from a model of each job's life."""

    clock: VirtualClock
    rng: random.Random
    fault_rate: float = 0.0
    latency: float = 0.05
    jobs: dict[str, SimJob] = field(default_factory=dict)
    missing_until: dict[str, float] = field(default_factory=dict)
    inflight: int = 0
    peak: int = 0
    requests: int = 0
    polls: Counter[str] = field(default_factory=Counter)
    poll_times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    batch_sizes: list[int] = field(default_factory=list)
    scheduler: Scheduler | None = None
    early_polls: list[str] = field(default_factory=list)
    bad_ids: set[str] = field(default_factory=set)
    #: Jobs whose completed answers hold no result URL (a provider whose parser says nothing).
    urlless: set[str] = field(default_factory=set)
    fatal: Exception | None = None

    async def fetch(
        self, endpoint: StatusEndpoint, fam: Family, ids: Sequence[str]
    ) -> Mapping[str, JobSnapshot]:
        now = self.clock.now()
        assert self.scheduler is not None
        for i in ids:
            due = getattr(self.scheduler, "due_log", {}).get(i)
            if due is not None and now < due - 1e-9:
                self.early_polls.append(i)
        self.inflight += 1
        self.peak = max(self.peak, self.inflight)
        self.requests += 1
        self.batch_sizes.append(len(ids))
        try:
            await self.clock.sleep(self.latency)
            if self.fatal is not None:
                raise self.fatal
            if len(ids) > 1 and self.bad_ids.intersection(ids):
                raise ParameterError(1003, "bad id in list", endpoint=endpoint.key)
            if len(ids) == 1 and ids[0] in self.bad_ids:
                raise ParameterError(1003, "bad id", endpoint=endpoint.key)
            if self.rng.random() < self.fault_rate:
                raise self.rng.choice(
                    [
                        ServerError(502, endpoint=endpoint.key, body=b"<html>"),
                        RequestTimeout("timed out", endpoint=endpoint.key),
                        ConnectError("reset", endpoint=endpoint.key),
                        InvalidResponse("truncated", endpoint=endpoint.key),
                        Throttled(1005, "frequent operation", endpoint=endpoint.key),
                    ]
                )
            t = self.clock.now()
            out: dict[str, JobSnapshot] = {}
            for i in ids:
                self.polls[i] += 1
                self.poll_times[i].append(t)
                if t < self.missing_until.get(i, float("-inf")) or i not in self.jobs:
                    continue
                sim = self.jobs[i]
                status = sim.status(t)
                out[i] = JobSnapshot(
                    id=i,
                    status=status,
                    result_url=(
                        f"https://cdn.example/{i}.mp4"
                        if status == 3 and i not in self.urlless
                        else None
                    ),
                    error_code=1015 if status == 4 else None,
                    error_reason="boom" if status == 4 else None,
                    media_duration=sim.media,
                )
            return out
        finally:
            self.inflight -= 1


class RecordingScheduler(Scheduler):
    """Records the earliest time each job may be polled, to check nobody is polled earlier.

    That is its due time; a batch job may join a request early by ``pull_forward`` of the wait
    it was given (see ``_gather``).
    """

    due_log: dict[str, float]

    def _schedule(self, job: Job, due: float) -> None:
        before = job.poll_state.due
        super()._schedule(job, due)
        if not hasattr(self, "due_log"):
            self.due_log = {}
        placed = job.poll_state.due
        if placed is not None and placed != before:
            early = self._gathering.pull_forward if job.spec.status.batch else 0.0
            self.due_log[job.id] = placed - early * (placed - self.clock.now())


def make(
    clock: VirtualClock,
    sim: Sim,
    *,
    max_inflight: int = 4,
    policy: PollPolicy | None = None,
    **kw: float,
) -> RecordingScheduler:
    sched = RecordingScheduler(
        sim.fetch, clock=clock, max_inflight=max_inflight, policy=policy, rng=random.Random(1), **kw
    )
    sim.scheduler = sched
    return sched


def new_job(
    sched: Scheduler,
    sim: Sim,
    job_id: str,
    fam: Family,
    *,
    queue: float,
    processing: float,
    fails: bool = False,
    deadline: float | None = None,
    webhook: bool = False,
) -> Job:
    now = sched.clock.now()
    sim.jobs[job_id] = SimJob(now, queue, processing, fails)
    job = Job(
        job_id,
        fam,
        sched,
        created_at=now,
        created_wall=sched.clock.wall(),
        deadline=None if deadline is None else now + deadline,
        webhook=webhook,
    )
    return sched.add(job)


async def drive(clock: VirtualClock, sched: Scheduler, jobs: Sequence[Job], limit: float) -> None:
    async with anyio.create_task_group() as tg:
        await tg.start(sched.run)
        await clock.run_until(lambda: all(j.done() for j in jobs), limit=limit)
        tg.cancel_scope.cancel()


async def drive_with_webhooks(
    clock: VirtualClock, sim: Sim, sched: Scheduler, jobs: Sequence[Job], limit: float
) -> None:
    """Run until every job is done, each job's webhook (status 3) arriving 0.2 s after its end."""

    async def deliver(job: Job) -> None:
        await clock.sleep(sim.jobs[job.id].ends - clock.now() + 0.2)
        sched.notify(job.id, {"status": 3})

    async with anyio.create_task_group() as tg:
        await tg.start(sched.run)
        for job in jobs:
            tg.start_soon(deliver, job)
        await clock.run_until(lambda: all(j.done() for j in jobs), limit=limit)
        tg.cancel_scope.cancel()


async def learned_wave(
    prefix: str, n: int, *, processing: float
) -> tuple[VirtualClock, Sim, RecordingScheduler, list[Job]]:
    """A scheduler that has seen ``n`` talking-photo jobs of 5 s queue + ``processing`` finish."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim)
    first = [
        new_job(sched, sim, f"{prefix}{i}", SINGLE, queue=5, processing=processing)
        for i in range(n)
    ]
    await drive(clock, sched, first, limit=5000)
    return clock, sim, sched, first


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 60),
    max_inflight=st.integers(1, 8),
    fault_rate=st.sampled_from([0.0, 0.1, 0.3]),
    batch_share=st.floats(0, 1),
    with_deadline=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_scheduler_invariants(
    n: int, max_inflight: int, fault_rate: float, batch_share: float, with_deadline: bool, seed: int
) -> None:
    """Every job ends exactly once, correctly; nobody is polled early; in-flight stays bounded."""
    rng = random.Random(seed)

    async def main() -> None:
        clock = VirtualClock()
        sim = Sim(clock, rng, fault_rate=fault_rate)
        sched = make(clock, sim, max_inflight=max_inflight)
        ends: Counter[str] = Counter()
        jobs = []
        for i in range(n):
            fam = BATCH if rng.random() < batch_share else SINGLE
            job = new_job(
                sched,
                sim,
                f"job{i}",
                fam,
                queue=rng.uniform(0, 30),
                processing=rng.uniform(1, 200),
                fails=rng.random() < 0.1,
                deadline=rng.uniform(50, 400) if with_deadline else None,
            )
            job.add_done_callback(lambda j: ends.update([j.id]))
            jobs.append(job)
        await drive(clock, sched, jobs, limit=5000)
        assert all(ends[j.id] == 1 for j in jobs), "a job ended more than once (or never)"
        assert sim.peak <= max_inflight
        assert not sim.early_polls, f"polled before due: {sim.early_polls[:3]}"
        assert not sched.jobs, "finished jobs are no longer tracked"
        for job in jobs:
            model = sim.jobs[job.id]
            exc = job.exception()
            if isinstance(exc, JobTimeout):
                assert job.deadline is not None
                continue
            expected = JobStatus.FAILED if model.fails else JobStatus.COMPLETED
            if expected == JobStatus.COMPLETED:
                assert exc is None
                assert isinstance(job.result(), JobResult)
            else:
                assert isinstance(exc, JobFailed) and exc.error_code == 1015
        assert max(sim.batch_sizes) <= sched.max_batch

    anyio.run(main)


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(0.5, 50),
    burst=st.integers(1, 20),
    n=st.integers(1, 120),
    throttle_at=st.one_of(st.none(), st.integers(0, 119)),
)
def test_rate_budget_holds(rate: float, burst: int, n: int, throttle_at: int | None) -> None:
    """Grants in any run never exceed burst + rate * elapsed; a throttle pauses everyone."""
    from akool_async._ratelimit import RateBudget

    async def main() -> None:
        clock = VirtualClock()
        budget = RateBudget(rate, burst, clock)
        grants: list[float] = []
        start = clock.now()
        pause_end: list[float] = []

        async def one(i: int) -> None:
            await budget.acquire()
            grants.append(clock.now())
            if throttle_at == i:
                budget.throttled(2.0)
                pause_end.append(clock.now() + 2.0)

        async with anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(one, i)
            await clock.run_until(lambda: len(grants) == n, limit=10_000)
        for k, t in enumerate(sorted(grants), start=1):
            assert k <= burst + rate * (t - start) + 1e-6
        if pause_end:
            later = [t for t in grants if t > pause_end[0] - 2.0]
            # Nobody but the throttled request itself was granted during the pause.
            assert all(t >= pause_end[0] - 1e-9 for t in later[1:])

    anyio.run(main)


# -- behaviours -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_batch_families_share_requests_of_at_most_100() -> None:
    """250 jobs of a listbyids family due together are polled in 3 requests, not 250."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, max_inflight=8)
    jobs = [new_job(sched, sim, f"fs{i}", BATCH, queue=0, processing=1) for i in range(250)]
    for j in jobs:  # all due at the same moment
        j.poll_state.due = None
        sched._schedule(j, clock.now() + 5)
    await drive(clock, sched, jobs, limit=100)
    assert sim.batch_sizes[:3] == [100, 100, 50]
    assert all(isinstance(j.result(), JobResult) for j in jobs)


@pytest.mark.anyio
async def test_not_found_just_after_creation_is_retried_within_grace() -> None:
    """1008 right after creation is retried; the job then completes normally."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim)
    job = new_job(sched, sim, "fresh", SINGLE, queue=1, processing=5)
    sim.missing_until["fresh"] = clock.now() + 10
    await drive(clock, sched, [job], limit=500)
    assert isinstance(job.result(), JobResult)


@pytest.mark.anyio
async def test_not_found_after_grace_is_job_not_found() -> None:
    """A job still missing after the grace window ends with JobNotFound."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, not_found_grace=20)
    job = new_job(sched, sim, "ghost", SINGLE, queue=1, processing=5)
    del sim.jobs["ghost"]
    await drive(clock, sched, [job], limit=500)
    assert isinstance(job.exception(), JobNotFound)
    assert clock.now() - job.created_at > 20


@pytest.mark.anyio
async def test_auth_errors_fail_fast() -> None:
    """An auth error fails the polled jobs at once, without retrying."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sim.fatal = AuthenticationError(1101, "token expired", endpoint="GET /x")
    sched = make(clock, sim)
    jobs = [new_job(sched, sim, f"a{i}", SINGLE, queue=1, processing=5) for i in range(3)]
    await drive(clock, sched, jobs, limit=500)
    assert all(isinstance(j.exception(), AuthenticationError) for j in jobs)
    assert sim.requests == 3


@pytest.mark.anyio
async def test_one_bad_id_in_a_batch_fails_no_other_job() -> None:
    """A 1003 on a batch request re-polls ids one by one; only the bad id fails."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim)
    jobs = [new_job(sched, sim, f"b{i}", BATCH, queue=1, processing=5) for i in range(5)]
    for j in jobs:
        j.poll_state.due = None
        sched._schedule(j, clock.now() + 3)
    sim.bad_ids = {"b2"}
    await drive(clock, sched, jobs, limit=500)
    assert isinstance(jobs[2].exception(), ParameterError)
    assert all(isinstance(j.result(), JobResult) for i, j in enumerate(jobs) if i != 2)


@pytest.mark.anyio
async def test_transient_failures_never_fail_a_job() -> None:
    """With half of all polls failing transiently, every job still completes."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(3), fault_rate=0.5)
    sched = make(clock, sim)
    jobs = [new_job(sched, sim, f"t{i}", SINGLE, queue=2, processing=30) for i in range(20)]
    await drive(clock, sched, jobs, limit=5000)
    assert all(isinstance(j.result(), JobResult) for j in jobs)


@pytest.mark.anyio
async def test_deadline_raises_job_timeout_with_last_snapshot() -> None:
    """A job still running at its deadline raises JobTimeout carrying the last snapshot."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim)
    job = new_job(sched, sim, "slow", SINGLE, queue=1, processing=1000, deadline=60)
    await drive(clock, sched, [job], limit=500)
    exc = job.exception()
    assert isinstance(exc, JobTimeout)
    assert exc.snapshot is not None and exc.snapshot.status == JobStatus.PROCESSING
    assert clock.now() - job.created_at == pytest.approx(60, abs=1)


@pytest.mark.anyio
async def test_completed_without_a_url_ends_at_once_with_result_missing() -> None:
    """A completed answer with no result URL ends the job at once (ResultMissing), whatever
    the provider's parser said, instead of polling on until the deadline."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sim.urlless.add("bare")
    sched = make(clock, sim)
    job = new_job(sched, sim, "bare", SINGLE, queue=1, processing=5, deadline=3600)
    await drive(clock, sched, [job], limit=3600)
    assert isinstance(job.exception(), ResultMissing)
    assert clock.now() - job.created_at < 60


@pytest.mark.anyio
async def test_no_deadline_waits_as_long_as_it_takes() -> None:
    """max_wait=None: a job that takes a virtual day still completes."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim)
    job = new_job(sched, sim, "day", SINGLE, queue=1, processing=86_400)
    await drive(clock, sched, [job], limit=200_000)
    assert isinstance(job.result(), JobResult)


@pytest.mark.anyio
async def test_cancelled_waiter_does_not_disturb_the_job() -> None:
    """Cancelling a task awaiting a job only stops that wait; others still get the result."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim)
    job = new_job(sched, sim, "c", SINGLE, queue=1, processing=20)
    got: list[JobResult] = []
    async with anyio.create_task_group() as tg:
        await tg.start(sched.run)
        with anyio.move_on_after(0):
            await job  # cancelled at once
        tg.start_soon(lambda: _collect(job, got))
        await clock.run_until(lambda: bool(got), limit=500)
        tg.cancel_scope.cancel()
    assert got and got[0].id == "c"


async def _collect(job: Job, out: list[JobResult]) -> None:
    out.append(await job)


@pytest.mark.anyio
async def test_stop_releases_waiters_and_stops_polling() -> None:
    """job.stop() resolves waiters with JobStopped and the job is polled no more."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim)
    job = new_job(sched, sim, "s", SINGLE, queue=1, processing=1000)
    other = new_job(sched, sim, "o", SINGLE, queue=1, processing=100)
    async with anyio.create_task_group() as tg:
        await tg.start(sched.run)
        await clock.run_until(lambda: sim.polls["s"] >= 2, limit=500)
        job.stop()
        polls = sim.polls["s"]
        await clock.run_until(other.done, limit=5000)
        tg.cancel_scope.cancel()
    assert isinstance(job.exception(), JobStopped)
    assert sim.polls["s"] == polls


@pytest.mark.anyio
async def test_webhook_jobs_are_polled_as_a_slow_backstop_and_woken_by_notify() -> None:
    """A webhook job is not polled before the backstop; notify confirms it with one poll."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, webhook_backstop=300)
    job = new_job(sched, sim, "w", SINGLE, queue=1, processing=40, webhook=True)
    async with anyio.create_task_group() as tg:
        await tg.start(sched.run)
        await clock.advance(60)
        assert sim.polls["w"] == 0
        assert sched.notify("w", {"status": 3})
        await clock.run_until(job.done, limit=10)
        tg.cancel_scope.cancel()
    assert sim.polls["w"] == 1
    assert isinstance(job.result(), JobResult)


@pytest.mark.anyio
async def test_webhook_backstops_move_past_the_learned_ends_once_the_family_knows_them() -> None:
    """A cold family's webhook jobs got the plain backstop; once enough webhooks dated ends,
    the pending backstops wait until the learned high quantile, so jobs whose webhook comes
    are polled once (the confirmation) even when they run past the plain backstop."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, webhook_backstop=60, max_inflight=8)
    rng = random.Random(5)
    jobs = [
        new_job(sched, sim, f"w{i}", SINGLE, queue=1, processing=rng.uniform(30, 110), webhook=True)
        for i in range(80)
    ]

    await drive_with_webhooks(clock, sim, sched, jobs, limit=1000)
    assert all(isinstance(j.result(), JobResult) for j in jobs)
    long_ones = [j for j in jobs if sim.jobs[j.id].ends - sim.jobs[j.id].created > 80]
    assert len(long_ones) >= 20  # past the plain backstop (45-60 s) by far
    assert sum(sim.polls[j.id] for j in jobs) <= 1.1 * len(jobs)


@pytest.mark.anyio
async def test_a_webhooks_confirmation_is_never_moved_to_the_backstop() -> None:
    """Webhooks that arrive together while the family learns from the first confirmations:
    each notified job is confirmed at once, none is pushed back to a learned backstop."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0), latency=0.5)
    sched = make(clock, sim, webhook_backstop=300, max_inflight=1)
    # Twenty ends teach the family ~20-40 s; then twenty jobs end together at ~100 s, which
    # raises its high quantile while their confirmations wait for their turn.
    durations = [20 + i for i in range(20)] + [100 + 0.01 * i for i in range(20)]
    jobs = [
        new_job(sched, sim, f"w{i}", SINGLE, queue=1, processing=d, webhook=True)
        for i, d in enumerate(durations)
    ]

    resolved: dict[str, float] = {}
    for job in jobs:
        job.add_done_callback(lambda j: resolved.setdefault(j.id, clock.now()))
    await drive_with_webhooks(clock, sim, sched, jobs, limit=2000)
    assert all(isinstance(j.result(), JobResult) for j in jobs)
    assert all(sim.polls[j.id] == 1 for j in jobs)
    # One request at a time, half a second each: the last of 20 confirmations comes ~10 s on.
    assert max(resolved[j.id] - sim.jobs[j.id].ends for j in jobs) <= 0.5 * 20 + 1


@pytest.mark.anyio
async def test_notify_before_the_create_answer_is_kept() -> None:
    """A webhook for an id not yet tracked makes its first poll immediate once it is added."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, webhook_backstop=300)
    assert not sched.notify("late", {"status": 3})
    sim.jobs["late"] = SimJob(clock.now() - 50, 1, 10, False)
    job = Job(
        "late", SINGLE, sched, created_at=clock.now(), created_wall=0, deadline=None, webhook=True
    )
    sched.add(job)
    await drive(clock, sched, [job], limit=5)
    assert isinstance(job.result(), JobResult)
    assert sim.polls["late"] == 1


@pytest.mark.anyio
async def test_events_are_deduplicated_transitions_and_per_job_streams_end() -> None:
    """Events report each status change once, in order; a job's own stream ends with it."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim)
    job = new_job(sched, sim, "e", SINGLE, queue=10, processing=60)
    seen: list[JobEvent] = []
    own: list[JobEvent] = []

    async def consume_all() -> None:
        async with sched.subscribe() as stream:
            async for ev in stream:
                seen.append(ev)

    async def consume_job() -> None:
        async for ev in job.events():
            own.append(ev)

    async with anyio.create_task_group() as tg:
        await tg.start(sched.run)
        tg.start_soon(consume_all)
        tg.start_soon(consume_job)
        await clock.run_until(job.done, limit=1000)
        await clock.run_until(lambda: len(own) == len(seen) and bool(seen), limit=10)
        sched.close()
        tg.cancel_scope.cancel()
    statuses = [e.status for e in seen]
    assert statuses == sorted(set(statuses))
    assert statuses[-1] == JobStatus.COMPLETED
    assert [e.status for e in own] == statuses


@pytest.mark.anyio
async def test_unread_event_stream_never_holds_polling_back_and_reports_its_loss() -> None:
    """A never-read 1-slot stream stalls no poll; its next receive says how many it lost."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, max_inflight=2)
    jobs = [new_job(sched, sim, f"p{i}", SINGLE, queue=1, processing=5) for i in range(10)]
    stream = sched.subscribe(max_buffer=1)
    async with anyio.create_task_group() as tg:
        await tg.start(sched.run)
        await clock.run_until(lambda: all(j.done() for j in jobs), limit=200)
        with pytest.raises(EventsLagged) as lagged:
            await stream.receive()
        assert lagged.value.missed == stream.lost > 0
        last = await stream.receive()  # the newest event was kept
        assert last.status.terminal
        sched.close()
        tg.cancel_scope.cancel()


@pytest.mark.anyio
async def test_learning_places_polls_near_completion() -> None:
    """Once a family's durations are learned, jobs need far fewer polls."""
    clock, sim, sched, first = await learned_wave("l", 5, processing=200)
    before = sum(sim.polls[j.id] for j in first) / len(first)
    later = [new_job(sched, sim, f"m{i}", SINGLE, queue=5, processing=200) for i in range(5)]
    await drive(clock, sched, later, limit=5000)
    after = sum(sim.polls[j.id] for j in later) / len(later)
    assert sched.expected_duration("talking_photo", 10.0) is not None
    assert after <= before / 2
    # The first poll of a warm job lands near its end, not at the cold first-poll delay (the
    # few probes that keep following the family are polled all along, by design).
    placed = [j for j in later if sim.poll_times[j.id][0] - sim.jobs[j.id].created > 10]
    assert len(placed) >= 3
    for job in placed:
        first = sim.poll_times[job.id][0] - sim.jobs[job.id].created
        # Within the model's bin resolution (4 %) of the end.
        assert 0.8 * 205 <= first <= 1.05 * 205


@pytest.mark.anyio
async def test_a_cold_family_keeps_its_extra_probes_while_young_then_releases_them() -> None:
    """A cold family probes about three times the jobs it keeps and keeps every one while its
    model is young; once as many ended as it keeps probes, only the usual number (about sqrt of
    the running jobs) still are probes, and every job still ends."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(3))
    sched = make(clock, sim, max_inflight=8)
    rng = random.Random(5)
    jobs = [
        new_job(sched, sim, f"c{i}", SINGLE, queue=1, processing=20 + 60 * rng.random())
        for i in range(100)
    ]
    plan = sched.plans["talking_photo"]
    place = sched._place
    cold = plan.probes
    assert cold > 1.5 * place.probes_wanted(100)
    async with anyio.create_task_group() as tg:
        await tg.start(sched.run)
        await clock.run_until(lambda: plan.model.events >= 4, limit=5000)
        # Young (4 ends, about 10 probes kept once warm): only the probes that ended are gone.
        assert plan.young
        assert plan.probes == cold - plan.model.events
        await clock.run_until(lambda: not plan.young, limit=5000)
        running = sum(1 for j in jobs if not j.done())
        assert plan.probes <= place.probes_wanted(running)
        await clock.run_until(lambda: all(j.done() for j in jobs), limit=5000)
        tg.cancel_scope.cancel()
    assert all(isinstance(j.result(), JobResult) for j in jobs)


@pytest.mark.anyio
async def test_batch_jobs_falling_due_close_together_share_a_request() -> None:
    """Batch-family jobs due within the batch window share one request, none polled early."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, max_inflight=8)
    jobs = [new_job(sched, sim, f"w{i}", BATCH, queue=0, processing=1) for i in range(10)]
    for i, j in enumerate(jobs):
        j.poll_state.due = None
        sched._schedule(j, clock.now() + 5 + i * 0.05)
    await drive(clock, sched, jobs, limit=100)
    assert sim.batch_sizes[0] == 10
    assert not sim.early_polls
    assert all(isinstance(j.result(), JobResult) for j in jobs)


@pytest.mark.anyio
async def test_a_full_batch_goes_at_once_and_the_rest_keeps_gathering() -> None:
    """250 batch jobs due together: two full requests at once, the last 50 in one more."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, max_inflight=8)
    jobs = [new_job(sched, sim, f"g{i}", BATCH, queue=0, processing=1) for i in range(250)]
    for i, j in enumerate(jobs):
        j.poll_state.due = None
        sched._schedule(j, clock.now() + 5 + (i % 3) * 0.1)
    await drive(clock, sched, jobs, limit=100)
    assert sorted(sim.batch_sizes[:3]) == [50, 100, 100]


def pulling(n: int, prefix: str) -> tuple[VirtualClock, Sim, RecordingScheduler, list[Job]]:
    """A scheduler that pulls batch jobs forward by a fifth of their wait, and ``n`` jobs."""
    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    sched = make(clock, sim, max_inflight=8, pull_forward=0.2)
    jobs = [new_job(sched, sim, f"{prefix}{i}", BATCH, queue=0, processing=1) for i in range(n)]
    return clock, sim, sched, jobs


def place(sched: Scheduler, jobs: Sequence[Job], waits: Sequence[float]) -> None:
    """Put each job's next poll exactly ``wait`` from now, whatever ``add`` chose."""
    now = sched.clock.now()
    for job, wait in zip(jobs, waits, strict=True):
        job.poll_state.due = None
        sched._schedule(job, now + wait)


@pytest.mark.anyio
async def test_a_batch_request_with_room_takes_jobs_due_within_a_share_of_their_wait() -> None:
    """A closing batch window takes jobs due within pull_forward of their wait, no others."""
    clock, sim, sched, jobs = pulling(15, "pf")
    t0 = clock.now()
    place(sched, jobs, [10.0] * 5 + [12.5] * 5 + [20.0] * 5)  # may join from t0 + 10, 10, 16
    await drive(clock, sched, jobs, limit=100)
    assert sim.batch_sizes == [10, 5]
    assert all(min(sim.poll_times[j.id]) >= t0 + 16 for j in jobs[10:])
    assert not sim.early_polls


@pytest.mark.anyio
async def test_a_final_poll_is_never_pulled_forward() -> None:
    """A batch job whose next poll is the one at its deadline is not polled before it."""
    clock, sim, sched, early = pulling(5, "fe")
    final = new_job(sched, sim, "fin", BATCH, queue=0, processing=1, deadline=12.5)
    t0 = clock.now()
    place(sched, [*early, final], [10.0] * 5 + [12.5])
    assert final.poll_state.final
    await drive(clock, sched, [*early, final], limit=100)
    assert sim.batch_sizes == [5, 1]
    assert len(sim.poll_times["fin"]) == 1
    assert sim.poll_times["fin"][0] >= t0 + 12.5


@pytest.mark.anyio
async def test_an_exported_model_starts_a_new_scheduler_warm() -> None:
    """A model exported as JSON and loaded elsewhere places the first wave's polls near the end."""
    import json

    clock, sim, sched, _ = await learned_wave("x", 8, processing=100)
    saved = json.loads(json.dumps(sched.export_model()))
    fresh = make(clock, sim)
    fresh.load_model(saved)
    jobs = [new_job(fresh, sim, f"y{i}", SINGLE, queue=5, processing=100) for i in range(8)]
    await drive(clock, fresh, jobs, limit=5000)
    firsts = sorted(sim.poll_times[j.id][0] - sim.jobs[j.id].created for j in jobs)
    assert fresh.expected_duration("talking_photo", 10.0) is not None
    # All but the few probes that keep following the family wait for the learned end.
    assert sum(f >= 0.8 * 105 for f in firsts) >= 6


def test_a_malformed_model_is_refused_naming_the_field() -> None:
    """load_model refuses data that is not an exported model, and keeps nothing of it."""
    clock = VirtualClock()
    sched = make(clock, Sim(clock, random.Random(0)))
    with pytest.raises(ValueError, match="events"):
        sched.load_model({"format": 1, "families": {"talking_photo": {"format": 1}}})
    assert sched.export_model()["families"] == {}


@pytest.mark.anyio
async def test_polls_that_waited_on_the_rate_budget_teach_nothing() -> None:
    """A completion seen by a poll that waited on our own budget is no event for the model."""
    from akool_async._ratelimit import budget_waits

    clock = VirtualClock()
    sim = Sim(clock, random.Random(0))
    inner = sim.fetch

    async def slow_budget(
        endpoint: StatusEndpoint, fam: Family, ids: Sequence[str]
    ) -> Mapping[str, JobSnapshot]:
        waits = budget_waits.get()
        assert waits is not None
        waits[0] += 5.0  # as the transport reports a 5 s wait for a token
        return await inner(endpoint, fam, ids)

    sched = make(clock, sim)
    sched._fetch = slow_budget
    jobs = [new_job(sched, sim, f"r{i}", SINGLE, queue=1, processing=20) for i in range(6)]
    await drive(clock, sched, jobs, limit=5000)
    assert all(isinstance(j.result(), JobResult) for j in jobs)
    assert sched.plans["talking_photo"].model.events == 0


@pytest.mark.anyio
async def test_when_the_budget_binds_polls_go_before_creates() -> None:
    """Creates queued first on an empty bucket still wait for a poll that asks later."""
    from akool_async._ratelimit import RateBudget

    clock = VirtualClock()
    budget = RateBudget(1.0, 1, clock)
    order: list[str] = []

    async def take(name: str, urgent: bool) -> None:
        await budget.acquire(urgent=urgent)
        order.append(name)

    async with anyio.create_task_group() as tg:
        await budget.acquire()  # the bucket is empty now
        for i in range(3):
            tg.start_soon(take, f"create{i}", False)
        await clock.advance(0.1)
        tg.start_soon(take, "poll", True)
        await clock.run_until(lambda: len(order) == 4, limit=100)
    assert order.index("poll") <= 1
