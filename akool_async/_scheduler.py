"""The scheduler: one heap of due times polls every job of a session.

There is no task or loop per job. One dispatcher pops the jobs whose poll is due, groups those
whose family has a batch status endpoint (up to 100 ids a request), and hands each *request* to a
fixed pool of ``max_inflight`` workers, which bounds the requests in flight; each request takes a
token from the session's rate budget inside the transport. Results update the jobs, emit
de-duplicated status events, resolve finished jobs and push the others back on the heap at a
time chosen by the family's plan (``_planning``: probes teach a survival model per family, the
others are polled where it says their end is likely, with one knob, a target p95 delay),
clamped to the job's deadline. The account's plan queue is inferred (``PlanQueue``): jobs
believed queued behind the plan's cap are not polled blindly; those that just got a slot are.

Failure isolation: a transient poll failure (5xx, timeout, reset, truncated JSON, throttling)
reschedules the jobs of that request with their own backoff; 1008 shortly after creation is
retried within a grace window; auth errors fail the jobs at once and loudly; a 1003 on a batch
request re-polls its ids one by one, so one bad id fails no other job.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

import anyio
import anyio.lowlevel
from anyio.abc import TaskStatus

from . import _constants as C
from ._backoff import PollPolicy, retry_delay
from ._clock import Clock
from ._dispatch import Handoff
from ._errors import (
    AccountBanned,
    AkoolError,
    APIError,
    AuthenticationError,
    CapacityExceeded,
    HTTPStatusError,
    JobFailed,
    JobNotFound,
    JobStopped,
    JobTimeout,
    NotFound,
    ParameterError,
    PermissionDenied,
    SessionClosed,
)
from ._events import EventHub, EventStream
from ._family import Family, StatusEndpoint
from ._gather import PULL_FORWARD, Gathering
from ._job import Job
from ._jobmodels import (
    JobEvent,
    JobResult,
    JobSnapshot,
    JobStatus,
    parse_audio_splits,
    result_missing,
    slim_snapshot,
)
from ._learning import Learning
from ._planning import FamilyPlan
from ._planqueue import PlanQueue
from ._ratelimit import budget_waits

__all__ = ["EventStream", "FetchStatus", "Scheduler", "SchedulerStats"]

log = logging.getLogger("akool_async")

#: Fetches the status of ``ids`` (all of one status endpoint); returns the snapshots found.
#: Ids missing from the answer are "not found"; an exception applies to every id.
#: One status request: the endpoint, the family whose fields it reads, and its jobs.
Group = tuple[StatusEndpoint, Family, list[Job]]
#: The transitions an answer shows, collected while anyone listens (None: nobody does).
Events = list[JobEvent] | None

FetchStatus = Callable[
    [StatusEndpoint, Family, Sequence[str]], Awaitable[Mapping[str, JobSnapshot]]
]

_FATAL = (AuthenticationError, PermissionDenied, AccountBanned)
#: Read on every answer: a module constant costs less than the enum's class attribute.
_COMPLETED = JobStatus.COMPLETED
#: Requests a worker sends in a row without waiting for one before it yields to the loop once.
_MAX_STREAK = 64


class SchedulerStats:
    """Counters a person (or a benchmark) can read."""

    __slots__ = ("errors", "polls", "requests", "resolved", "timeouts", "webhooks")

    def __init__(self) -> None:
        self.requests = 0
        self.polls = 0
        self.errors = 0
        self.resolved = 0
        self.timeouts = 0
        self.webhooks = 0

    def as_dict(self) -> dict[str, int]:
        """The counters as a dict."""
        return {k: getattr(self, k) for k in self.__slots__}


class Scheduler(Learning):
    """Polls every tracked job of a session. Owned and started by the session.

    Args:
        fetch: how to ask for statuses (the session's transport in production).
        clock: the session's clock.
        max_inflight: status requests in flight at once.
        policy: poll delays.
        rng: source of jitter.
        provider: ``"akool"`` or ``"topview"`` (written into job tokens).
        pull_forward: share of its wait a batch job may be polled early to fill a request
            (see ``_gather``; 0: never early).
    """

    def __init__(
        self,
        fetch: FetchStatus,
        *,
        clock: Clock,
        max_inflight: int = C.DEFAULT_MAX_INFLIGHT_POLLS,
        policy: PollPolicy | None = None,
        rng: random.Random | None = None,
        max_batch: int = C.MAX_BATCH_IDS,
        batch_window: float = C.BATCH_WINDOW,
        pull_forward: float = PULL_FORWARD,
        not_found_grace: float = C.NOT_FOUND_GRACE,
        notify_ttl: float = C.NOTIFY_TTL,
        webhook_backstop: float = C.DEFAULT_WEBHOOK_BACKSTOP,
        max_tracked: int = C.MAX_TRACKED_JOBS,
        provider: str = "akool",
    ) -> None:
        if max_inflight < 1:
            raise ValueError("max_inflight: must be >= 1")
        self._fetch = fetch
        self.clock = clock
        self.policy = policy or PollPolicy()
        self.rng = rng or random.Random()
        self.max_batch = max_batch
        self.batch_window = batch_window
        #: Batch jobs gathering into requests (and pulled forward to fill them).
        self._gathering = Gathering(pull_forward)
        self.not_found_grace = not_found_grace
        self.notify_ttl = notify_ttl
        self.webhook_backstop = webhook_backstop
        self.max_tracked = max_tracked
        self.provider = provider
        self.max_inflight = max_inflight
        self.jobs: dict[str, Job] = {}
        self._reserved = 0
        #: What the scheduler learned per family (see ``_planning``).
        self.plans: dict[str, FamilyPlan] = {}
        self._place = self.policy.placement()
        self._saved: dict[str, dict[str, Any]] = {}
        #: The account's plan queue, inferred from what polls show.
        self.queue: PlanQueue[str] = PlanQueue()
        self._queued: dict[str, Job] = {}
        self.stats = SchedulerStats()
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = 0
        self._handoff: Handoff[Group] = Handoff(clock)
        self._early: OrderedDict[str, float] = OrderedDict()
        self.hub = EventHub()
        self._closed = False
        #: Highest number of status requests in flight seen so far.
        self.peak_inflight = 0
        self._inflight = 0

    # -- registration ---------------------------------------------------------------------

    def check_capacity(self, n: int = 1) -> None:
        """Raise CapacityExceeded if ``n`` more jobs would exceed the limit."""
        if self._closed:
            raise SessionClosed("the session is closed")
        held = len(self.jobs) + self._reserved
        if held + n > self.max_tracked:
            raise CapacityExceeded(
                f"cannot track {n} more job(s): {len(self.jobs)} tracked, {self._reserved} being "
                f"created, max_tracked_jobs={self.max_tracked}; wait for some to finish"
            )

    @contextlib.contextmanager
    def reserve(self, n: int) -> Iterator[None]:
        """Hold room for ``n`` jobs while their create request is in flight.

        Concurrent creates cannot together overshoot the limit and have a billed job refused.
        """
        self.check_capacity(n)
        self._reserved += n
        try:
            yield
        finally:
            self._reserved -= n

    def add(self, job: Job, snapshot: JobSnapshot | None = None, *, reserved: bool = False) -> Job:
        """Start tracking ``job`` (already created). Returns the tracked job for that id.

        ``reserved``: room was held with :meth:`reserve`; a created (billed) job is then never
        refused, even if the answer named more jobs than expected.
        """
        existing = self.jobs.get(job.id)
        if existing is not None:
            return existing
        if not reserved:
            self.check_capacity()
        self.jobs[job.id] = job
        now = self.clock.now()
        if snapshot is not None:
            job.snapshot = slim_snapshot(snapshot) if snapshot.raw else snapshot
            job.status = snapshot.status
            job.media_duration = snapshot.media_duration
        self._track(job, now)
        if self._early.pop(job.id, None) is not None:
            delay = 0.0  # a webhook already said something: confirm at once
        elif job.webhook:
            delay = self._backstop_delay(job, now)
        else:
            delay = self._next_delay(job, now)
        self._schedule(job, now + delay)
        return job

    def stop(self, job: Job) -> None:
        """Stop tracking ``job``; its waiters get JobStopped."""
        if self.jobs.pop(job.id, None) is not None:
            self._left(job, self.clock.now(), job.poll_state.running_seen)
            job.settle(None, JobStopped(job.id))
            self.hub.publish([], [job.id])

    def notify(self, job_id: str, payload: Mapping[str, Any] | None = None) -> bool:
        """A webhook (or anything else) says ``job_id`` changed: confirm it with one poll now.

        A payload whose ``status`` is 1 or 2 (still running) needs no confirmation and triggers
        no poll; any other (3, 4, or none given) does. Events for ids not yet tracked are kept
        ``notify_ttl`` seconds, in case the create answer arrives after the webhook. Returns
        whether the id was tracked.
        """
        self.stats.webhooks += 1
        job = self.jobs.get(job_id)
        now = self.clock.now()
        if job is None:
            if payload is not None and payload.get("status") in (1, 2, "1", "2"):
                return False
            self._early[job_id] = now
            self._early.move_to_end(job_id)
            while self._early:
                first_id, seen = next(iter(self._early.items()))
                if now - seen <= self.notify_ttl and len(self._early) <= 100_000:
                    break
                del self._early[first_id]
            return False
        if job.done():
            return True
        status = payload.get("status") if payload is not None else None
        if status in (1, 2, "1", "2"):
            # Not an ending: nothing to confirm yet (a webhook job's backstop still runs).
            return True
        job.poll_state.polls_in_status = 0
        if status in (3, 4, "3", "4"):
            # It ended about now: learn that rather than when the confirming poll sees it.
            job.poll_state.ended_by = now
        self._schedule(job, now)
        return True

    # -- events ---------------------------------------------------------------------------

    def subscribe(self, *, job_id: str | None = None, max_buffer: int = 1000) -> EventStream:
        """A stream of status transitions (all jobs, or one) with its own bounded buffer."""
        live = not self._closed and (job_id is None or job_id in self.jobs)
        return self.hub.subscribe(job_id=job_id, max_buffer=max_buffer, live=live)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Dispatch due polls until cancelled. Started in the session's task group.

        A fixed pool of ``max_inflight`` workers sends the status requests: that bounds the
        requests in flight without a task, or a limiter token, per request (see ``_dispatch``).
        """
        handoff = self._handoff
        async with anyio.create_task_group() as tg:
            handoff.start(tg)
            for _ in range(self.max_inflight):
                tg.start_soon(self._worker)
            task_status.started()
            while True:
                self._hand_due()
                if handoff.idle:
                    await handoff.sleep_until(self._next_wake())
                else:
                    # Every worker is busy, and each pops what is due when it finishes.
                    await handoff.until_idle()

    def _hand_due(self) -> None:
        for group in self._pop_due(self.clock.now()):
            self._handoff.put(group)

    async def _worker(self) -> None:
        # This task's own context: the transport adds its budget waits to this worker's list.
        waits = [0.0]
        budget_waits.set(waits)
        handoff = self._handoff
        queue = handoff.queue
        stats = self.stats
        streak = 0
        while True:
            streak += 1
            if streak >= _MAX_STREAK:
                # A fetch that never suspends (in memory) must not hold the loop for ever.
                streak = 0
                await anyio.lowlevel.checkpoint()
            # A queued request, or one due now, is taken without yielding first; else the
            # worker waits for the dispatcher to hand it the next one.
            group = queue.popleft() if queue else None
            if group is None and not handoff.idle:
                # Every other worker is busy too (so the rest queue): no dispatcher timer is set.
                due = self._pop_due(self.clock.now())
                if due:
                    group = due[0]
                    queue.extend(due[1:])
            if group is None:
                streak = 0
                group = await handoff.take()
            endpoint, fam, jobs = group
            # The request itself is awaited here, not in a coroutine per poll: one frame less.
            if len(jobs) == 1:  # most requests: skip the list building
                live = jobs
                if live[0].done():
                    continue
                live[0].polls += 1
                ids = [live[0].id]
            else:
                live = [j for j in jobs if not j.done()]
                if not live:
                    continue
                for j in live:
                    j.polls += 1
                ids = [j.id for j in live]
            stats.requests += 1
            stats.polls += len(live)
            self._inflight += 1
            if self._inflight > self.peak_inflight:
                self.peak_inflight = self._inflight
            waits[0] = 0.0
            try:
                found = await self._fetch(endpoint, fam, ids)
            except Exception as exc:  # an API or transport error; a bug must not stop polling
                stats.errors += 1
                if not isinstance(exc, AkoolError):
                    log.exception("status poll of %d job(s) raised unexpectedly", len(live))
                self._on_error(live, exc, len(jobs) > 1)
                self._publish([], live)
            else:
                try:
                    self._answered(live, found, waits[0])
                except Exception as exc:  # a bug must not stop polling: retry these jobs later
                    log.exception("handling a status answer for %d job(s) raised", len(jobs))
                    self._on_error([j for j in jobs if not j.done()], exc, False)
            finally:
                self._inflight -= 1

    def _next_wake(self) -> float | None:
        """When the dispatcher must look again: the earliest due job or batch flush."""
        heap = self._heap
        while heap:
            due, _, job = heap[0]
            if job.poll_state.due != due or job.done():
                heapq.heappop(heap)
                continue
            break
        wake = heap[0][0] if heap else None
        flush = self._gathering.next_flush()
        if flush is not None and (wake is None or flush < wake):
            return flush
        return wake

    def _schedule(self, job: Job, due: float) -> None:
        final = job.deadline is not None and due >= job.deadline
        if final:
            assert job.deadline is not None
            due = job.deadline
        if job.poll_state.due is not None and job.poll_state.due <= due:
            # Already due sooner (e.g. a webhook woke it): keep the earlier time.
            return
        job.poll_state.final = final
        job.poll_state.due = due
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, job))
        if job.spec.status.batch and not job.poll_state.solo:
            self._gathering.scheduled(job, due, self._seq, self.clock.now())
        if due < self._handoff.until and self._heap[0][2] is job:
            # Due before the dispatcher's timer: wake it (every wait goes through the clock,
            # so a virtual clock drives the scheduler too).
            self._handoff.wake()

    def _pop_due(self, now: float) -> list[Group]:
        """Pop every due job and group them into requests.

        Jobs of a batch endpoint wait up to ``batch_window`` after the first of them fell due,
        so the others falling due meanwhile share its request (at most ``batch_window`` late);
        a request with room left then takes jobs due soon (see ``_gather``).
        """
        singles: list[Group] = []
        heap = self._heap
        gathering = self._gathering
        while heap and heap[0][0] <= now:
            due, _, job = heapq.heappop(heap)
            if job.poll_state.due != due or job.done():
                continue  # stale entry
            job.poll_state.due = None
            fam = job.spec
            if fam.status.batch and not job.poll_state.solo:
                gathering.add(job, due + self.batch_window)
            else:
                singles.append((fam.status, fam, [job]))
        out: list[Group] = []
        gathering.flush(now, self.max_batch, out)
        out += singles
        return out

    def _answered(self, live: list[Job], found: Mapping[str, JobSnapshot], waited: float) -> None:
        """Take in the answer to one request (``waited``: its wait on our own rate budget)."""
        now = self.clock.now()
        events: Events = [] if self.hub.active else None  # (a subscriber may come midway)
        for job in live:
            snap = found.get(job.id)
            if snap is None:
                self._on_missing(job, now, None)
            else:
                self._apply(job, snap, now, events, waited)
        if self.hub.active:  # (what _publish does, without the call when nobody listens)
            self._publish(events or [], live)

    def _publish(self, events: list[JobEvent], polled: list[Job]) -> None:
        """Tell subscribers what a request showed: its transitions, and which jobs ended."""
        # Never waits: a subscriber that reads slowly (or not at all) loses its oldest events,
        # and learns how many, rather than holding back polls and deadlines.
        if self.hub.active:
            self.hub.publish(events, [j.id for j in polled if j.done()])

    # -- outcomes -------------------------------------------------------------------------

    def _apply(
        self, job: Job, snap: JobSnapshot, now: float, events: Events, waited: float = 0.0
    ) -> None:
        """Take in one status reading (``waited``: its request's wait on our own rate budget)."""
        if job.done():
            return
        ps = job.poll_state
        ps.errors = 0
        status = snap.status
        if snap is job.snapshot:
            # The parser gave back the job's own snapshot: still running, nothing changed.
            ps.polls_in_status += 1
            self._running(job, status, status, now)
            return
        previous = job.status
        if status == _COMPLETED and not snap.has_result:
            # Each provider's parser already says so; this holds for any provider: polling on
            # would only wait for the deadline, so the job ends now with ResultMissing.
            snap = result_missing(snap.id, snap.raw or {}, job.spec.result_field)
            status = snap.status
        # Only final answers keep the raw body: tracking 100,000 running jobs must stay small.
        running = status < _COMPLETED
        job.snapshot = slim_snapshot(snap, job.snapshot) if running and snap.raw else snap
        if snap.progress is not None:
            job.progress = snap.progress
        if snap.media_duration is not None:
            job.media_duration = snap.media_duration
        if status != previous:
            job.status = status
            ps.polls_in_status = 0
            if events is not None:
                events.append(
                    JobEvent(job.id, job.spec.name, status, previous, self.clock.wall(), snap)
                )
        else:
            ps.polls_in_status += 1
        if running:
            self._running(job, status, previous, now)
        elif status == _COMPLETED:
            plan = self.plans.get(job.spec.name)
            if plan is not None:
                # It ended between the last poll that saw it running and this one (the plan
                # learns the midpoint); a webhook dated it to within its delivery time.
                # A poll that waited on our own rate budget dates an end too loosely to learn.
                clean = waited <= 0.1 * self._place.spacing
                if plan.ended(job, now, clean=clean, exact=ps.ended_by) and job.learn:
                    self._replan(plan, now)
                self._freed(job, now)
            result = JobResult(
                id=job.id,
                family=job.spec.name,
                url=snap.result_url or "",
                snapshot=snap,
                audio_splits=parse_audio_splits(snap.raw),
            )
            self._finish(job, result, None)
        else:
            self._finish(job, None, JobFailed(snap, job.spec.name))

    def _on_missing(self, job: Job, now: float, exc: APIError | None) -> None:
        if job.done():
            return
        if now - job.created_at <= self.not_found_grace and not job.poll_state.final:
            # Fresh jobs can be invisible for a moment; look again shortly.
            job.poll_state.errors += 1
            self._schedule(
                job, now + retry_delay(job.poll_state.errors, base=1.0, cap=5.0, rng=self.rng)
            )
            return
        if job.poll_state.final or (job.deadline is not None and now >= job.deadline):
            self._timeout(job)
            return
        body: Mapping[str, Any] = exc.body if exc is not None else {}
        endpoint = exc.endpoint if exc is not None else job.spec.status.key
        self._finish(
            job,
            None,
            JobNotFound(1008, f"job {job.id} does not exist", endpoint=endpoint, body=body),
        )

    def _on_error(self, jobs: list[Job], exc: Exception, batched: bool) -> None:
        now = self.clock.now()
        if isinstance(exc, _FATAL):
            log.error(
                "status polls rejected (%s): failing %d job(s)",
                type(exc).__name__,
                len(jobs),
                extra={"code": getattr(exc, "code", None)},
            )
            for job in jobs:
                self._finish(job, None, exc)
            return
        if isinstance(exc, NotFound) and not batched:
            self._on_missing(jobs[0], now, exc)
            return
        if isinstance(exc, ParameterError):
            if batched:
                # One bad id must not fail the others: ask for each alone.
                for job in jobs:
                    job.poll_state.solo = True
                    self._schedule(job, now + self.policy.min_delay)
                return
            self._finish(jobs[0], None, exc)
            return
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        for job in jobs:
            if job.poll_state.final or (job.deadline is not None and now >= job.deadline):
                self._timeout(job)
                continue
            job.poll_state.errors += 1
            delay = retry_delay(
                job.poll_state.errors - 1,
                base=1.0,
                cap=self.policy.cap,
                rng=self.rng,
                retry_after=retry_after,
            )
            self._schedule(job, now + max(delay, self.policy.min_delay))

    def _timeout(self, job: Job) -> None:
        self.stats.timeouts += 1
        self._finish(job, None, JobTimeout(job.id, job.spec.name, job.snapshot))

    def _finish(self, job: Job, result: JobResult | None, exc: BaseException | None) -> None:
        if job.done():
            return
        self.jobs.pop(job.id, None)
        self.stats.resolved += 1
        if result is None:  # a completion was already learned from (see _apply)
            self._left(job, self.clock.now(), job.poll_state.running_seen)
        job.settle(result, exc)

    # -- shutdown ---------------------------------------------------------------------------

    def close(self, reason: str = "the session closed") -> None:
        """Resolve every unfinished job with JobStopped and end every event stream."""
        self._closed = True
        for job in list(self.jobs.values()):
            job.settle(None, JobStopped(job.id, reason))
        self.jobs.clear()
        self._heap.clear()
        self._gathering.clear()
        self.hub.close()
