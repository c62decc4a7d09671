"""The scheduler's learning half: per-family plans, the inferred plan queue, persistence.

A mixin of :class:`~._scheduler.Scheduler` (kept apart so each module stays small): it decides
when each job's next poll is due from what the family's :class:`~._planning.FamilyPlan` learned
and what the account's :class:`~._durations.PlanQueue` says, and moves polls when either learns.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._backoff import PollPolicy
from ._durations import PollPlacement, SurvivalModel
from ._family import Family
from ._jobmodels import JobStatus
from ._planning import FamilyPlan
from ._planqueue import PlanQueue

if TYPE_CHECKING:
    from ._job import Job

__all__ = ["Learning"]

log = logging.getLogger("akool_async")

#: Version of :meth:`Learning.export_model`'s output.
MODEL_FORMAT = 1
#: A job believed queued is still polled once its expected wait (times this) has passed.
_QUEUE_WAIT = 1.0


class Learning:
    """Poll placement from learned durations and the plan queue (mixed into the scheduler)."""

    policy: PollPolicy
    rng: random.Random
    webhook_backstop: float
    jobs: dict[str, Job]
    plans: dict[str, FamilyPlan]
    queue: PlanQueue[str]
    _place: PollPlacement
    _saved: dict[str, dict[str, Any]]
    _queued: dict[str, Job]

    def _schedule(self, job: Job, due: float) -> None:
        raise NotImplementedError

    def _timeout(self, job: Job) -> None:
        raise NotImplementedError

    def _running(self, job: Job, status: JobStatus, previous: JobStatus | None, now: float) -> None:
        """A poll saw ``job`` still running: learn from it, and place its next poll."""
        ps = job.poll_state
        if self.policy.fixed_interval is None:
            self._seen(job, status, previous, now)
        ps.running_seen = now
        ps.ended_by = None
        if ps.final or (job.deadline is not None and now >= job.deadline):
            self._timeout(job)
        elif job.webhook:
            self._schedule(job, now + self._backstop_delay(job, now))
        else:
            self._schedule(job, now + self._next_delay(job, now))

    def _track(self, job: Job, now: float) -> None:
        """``job`` starts being tracked: its family's plan and the plan queue learn of it."""
        if self.policy.fixed_interval is None:
            self._plan(job.spec).created(job, now)
            self.queue.add(job.id)

    def _plan(self, fam: Family) -> FamilyPlan:
        plan = self.plans.get(fam.name)
        if plan is None:
            state = self._saved.pop(fam.name, None)
            try:
                plan = FamilyPlan(self._place, random.Random(self.rng.random()), state)
            except ValueError:
                log.warning("ignoring a saved poll model for %s that does not load", fam.name)
                plan = FamilyPlan(self._place, random.Random(self.rng.random()))
            self.plans[fam.name] = plan
        return plan

    def _next_delay(self, job: Job, now: float) -> float:
        if self.policy.fixed_interval is not None:
            return self.policy.fixed_delay(job.polls == 0, self.rng)
        ps = job.poll_state
        if self.queue.queued(job.id):
            # Believed queued behind the plan's cap: a slow backstop only; a freed slot or a
            # job created later seen processing wakes it.
            self._queued[job.id] = job
            spacing = self._place.spacing
            backstop = self._place.backstop * spacing * 2.0 ** min(ps.polls_in_status, 20)
            # Its slot comes about when the jobs ahead of it took their turns (a freed slot
            # wakes it sooner): the safety poll goes no sooner than that.
            median = self._plan(job.spec).quantile(0.5, job.media_duration)
            if median is not None:
                slots = max(1, self.queue.slots, self.queue.held)
                turns = (self.queue.ahead(job.id) + 1) / slots
                backstop = max(backstop, _QUEUE_WAIT * turns * median)
            return backstop
        self._queued.pop(job.id, None)
        return max(0.0, self._plan(job.spec).due(job, now) - now)

    def _seen(self, job: Job, status: JobStatus, previous: JobStatus | None, now: float) -> None:
        """A poll saw ``job`` still running: teach the plan and the plan queue."""
        ps = job.poll_state
        plan = self._plan(job.spec)
        age = now - ps.origin
        if status == JobStatus.PROCESSING and previous != JobStatus.PROCESSING:
            if self.queue.confirmed and (ps.queued_seen is not None or self.queue.queued(job.id)):
                self._slot_found(job, plan, now)
            last = ps.running_seen if ps.running_seen is not None else job.created_at
            tight = now - last <= 1.5 * self._place.spacing
            for other in self.queue.seen_running(job.id, age, tight=tight):
                waiting = self._queued.pop(other, None)
                if waiting is not None and other != job.id and not waiting.done():
                    self._reschedule(waiting, now)
        elif status == JobStatus.QUEUEING:
            ps.queued_seen = now
            confirmed = self.queue.confirmed
            self.queue.seen_queued(job.id, age)
            if confirmed and not self.queue.confirmed:
                # No plan queue after all: the jobs held back are placed like the others.
                for waiting in list(self._queued.values()):
                    if waiting is not job and not waiting.done():
                        self._reschedule(waiting, now)
            elif not confirmed and self.queue.confirmed:
                # A plan queue after all: the polls placed on durations (ages counted from
                # creation) for the jobs still waiting for a slot would only find them queued.
                for key in list(self.queue.waiting()):
                    waiting = self.jobs.get(key)
                    if waiting is not None and waiting is not job and not waiting.done():
                        self._reschedule(waiting, now)
        plan.seen_running(job, now)

    def _slot_found(self, job: Job, plan: FamilyPlan, now: float) -> None:
        """A poll found ``job``, last seen (or believed) queued, processing: date its slot.

        It got its slot after the poll that saw it queued (or its creation), and hardly longer
        ago than the family's high quantile. A slot seen freed in that window (see
        :meth:`_freed`) dates it best; else the middle of the window, the age then being
        uncertain by half the window (``slack``).
        """
        ps = job.poll_state
        lower = ps.queued_seen if ps.queued_seen is not None else job.created_at
        hi = plan.quantile(self._place.high, job.media_duration)
        if hi is not None:
            lower = max(lower, now - hi)
        if lower < ps.origin <= now or lower >= now:
            return
        self._set_origin(job, 0.5 * (lower + now), 0.5 * (now - lower))

    def _freed(self, job: Job, now: float) -> None:
        """``job`` ended: its plan slot went to the next queued jobs; poll those from now."""
        ps = job.poll_state
        seen = max(ps.running_seen if ps.running_seen is not None else ps.origin, ps.origin)
        # It ended (and its slot went on) between the poll that last saw it running and now.
        end = 0.5 * (seen + now)
        for key in self.queue.finished(job.id):
            granted = self.jobs.get(key)
            self._queued.pop(key, None)
            if granted is None or granted.done():
                continue
            self._set_origin(granted, end, 0.5 * (now - seen))
            self._reschedule(granted, now)

    def _set_origin(self, job: Job, origin: float, slack: float) -> None:
        """``job`` got its plan slot at about ``origin`` (give or take ``slack``): its age
        counts from there, and its polls past the high quantile start afresh."""
        ps = job.poll_state
        ps.origin = origin
        ps.slack = slack
        ps.tail_polls = 0
        self._plan(job.spec).model.restart(job.id, origin)

    def _reschedule(self, job: Job, now: float) -> None:
        """Place ``job``'s next poll afresh (sooner or later), unless it is being polled."""
        if job.poll_state.due is None or job.webhook:
            return
        job.poll_state.due = None
        self._schedule(job, now + self._next_delay(job, now))

    def _replan(self, plan: FamilyPlan, now: float) -> None:
        for job, due, later in plan.replan(now):
            if job.done() or job.poll_state.due is None or self.queue.queued(job.id):
                continue
            if later:
                job.poll_state.due = None
            self._schedule(job, due)
        if not plan.queue_timed and self._queued and plan.quantile(0.5, None) is not None:
            # The jobs waiting for a plan slot got a backstop before the model could say when
            # their turn comes; now it can (once: each later backstop is placed by it).
            plan.queue_timed = True
            for waiting in list(self._queued.values()):
                if not waiting.done() and self.plans.get(waiting.spec.name) is plan:
                    self._reschedule(waiting, now)
        high = None if plan.young else plan.quantile(self._place.high, None)
        if high is not None and (plan.backstop_high is None or high > 1.25 * plan.backstop_high):
            # The webhook jobs' safety polls were placed on what the family knew then; it now
            # says its jobs take longer (again only once that quantile grew by a quarter).
            plan.backstop_high = high
            self._backstops_later(plan, now)

    def _backstops_later(self, plan: FamilyPlan, now: float) -> None:
        """Move ``plan``'s pending webhook backstops past its learned high quantile (only ever
        later). Only a backstop still ahead moves: never a poll due now (a webhook's
        confirmation), a retry after a failed poll, or the one at the deadline."""
        for job in list(self.jobs.values()):
            ps = job.poll_state
            if (
                not job.webhook
                or ps.due is None
                or ps.due <= now
                or ps.errors
                or ps.ended_by is not None
                or ps.final
                or job.done()
                or self.plans.get(job.spec.name) is not plan
            ):
                continue
            due = now + self._backstop_delay(job, now)
            if due > ps.due:
                ps.due = None
                self._schedule(job, due)

    def _left(self, job: Job, now: float, seen: float | None) -> None:
        """``job`` is no longer tracked: release what the plans keep about it."""
        plan = self.plans.get(job.spec.name)
        if plan is None:
            return
        plan.left(job, seen)
        self._queued.pop(job.id, None)
        for key in self.queue.finished(job.id):
            granted = self.jobs.get(key)
            if granted is not None:
                self._reschedule(granted, now)

    def _backstop_delay(self, job: Job, now: float) -> float:
        """A webhook job's safety poll: no sooner than the backstop interval, nor before the job
        is past the age by which 98 % of its family's jobs finish, when that is known."""
        delay = self.webhook_backstop * (0.75 + 0.25 * self.rng.random())
        plan = self.plans.get(job.spec.name)
        hi = None if plan is None else plan.quantile(self._place.high, job.media_duration)
        if hi is not None:
            delay = max(delay, hi - (now - job.poll_state.origin))
        return delay

    def export_model(self) -> dict[str, Any]:
        """What was learned per family, as JSON-able data (see :meth:`load_model`)."""
        families = dict(self._saved)
        families.update({name: plan.model.to_dict() for name, plan in self.plans.items()})
        return {"format": MODEL_FORMAT, "families": families}

    def load_model(self, data: Mapping[str, Any]) -> None:
        """Start from a :meth:`export_model` dict; ValueError names what is wrong.

        Families already learning in this scheduler keep what they learned.
        """
        families = data.get("families") if isinstance(data, Mapping) else None
        if not isinstance(data, Mapping) or data.get("format") != MODEL_FORMAT:
            raise ValueError("poll_model.format: expected 1")
        if not isinstance(families, Mapping):
            raise ValueError("poll_model.families: must be an object")
        for state in families.values():
            SurvivalModel.from_dict(state)  # validate before keeping any of it
        for name, state in families.items():
            if name not in self.plans:
                self._saved[str(name)] = dict(state)

    def expected_duration(self, family: str, media: float | None = None) -> float | None:
        """The learned median duration of a family's jobs (None while learning)."""
        plan = self.plans.get(family)
        return None if plan is None else plan.quantile(0.5, media)
