"""Poll planning for one family: the learned distribution, probes, parked and skipping jobs.

Pure book-keeping on the scheduler's jobs, no I/O and no clock of its own (every method takes
the time). The scheduler keeps one :class:`FamilyPlan` per family and asks it when each job's
next poll is due:

* a few **probes** per family (about sqrt(running), chosen at creation, blind to durations) are
  polled every ``spacing`` and alone teach the family's :class:`SurvivalModel` (the others are
  polled where the model says, so when they are seen to end depends on the model itself);
  webhook jobs teach it too (a webhook dates the end, not our polls);
* a job of a cold family that is not a probe is **parked** (one backstop poll far out) until the
  probes taught the model, then planned;
* a job whose next poll is far away on what the model says now is **skipping**: when the model
  has grown by about 5 %, those polls are moved (no request is sent to do so).
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

from ._durations import PollPlacement, SurvivalModel

if TYPE_CHECKING:
    from ._job import Job

__all__ = ["FamilyPlan"]

#: The model is re-read for the skipping jobs each time it learned this much more.
_GROWTH = 1.05
#: A cold family starts with this many times the probes it keeps once warm, and keeps them
#: while its model is young (see ``FamilyPlan.young``).
_COLD_PROBES = 3


class FamilyPlan:
    """The learned durations of one family and the jobs whose polls depend on them."""

    __slots__ = (
        "_learned",
        "_probing",
        "backstop_high",
        "model",
        "parked",
        "place",
        "probes",
        "queue_timed",
        "running",
        "skipping",
    )

    def __init__(
        self, place: PollPlacement, rng: random.Random, state: dict[str, Any] | None = None
    ) -> None:
        self.place = place
        self.model: SurvivalModel[str] = (
            SurvivalModel.from_dict(state, rng=rng) if state else SurvivalModel(rng=rng)
        )
        self.probes = 0
        self.running = 0
        self.parked: dict[str, Job] = {}
        self.skipping: dict[str, Job] = {}
        #: The probes, while a cold family keeps more than it will once warm.
        self._probing: dict[str, Job] = {}
        self._learned = self.model.events
        #: The jobs believed queued were re-placed once the model knew a median duration.
        self.queue_timed = False
        #: The family's high quantile when the webhook jobs' backstops were last re-placed.
        self.backstop_high: float | None = None

    @property
    def warm(self) -> bool:
        """Whether the model places polls yet."""
        return self.model.quantile(self.place.low) is not None

    @property
    def young(self) -> bool:
        """Fewer jobs ended than a family keeps probes: the model's quantiles still move a lot."""
        return self.model.events < self.place.probes_wanted(self.running)

    def created(self, job: Job, now: float) -> None:
        """``job`` starts being tracked at ``now``: maybe a probe; webhook jobs always teach."""
        ps = job.poll_state
        ps.origin = now if job.created_at > now else job.created_at
        self.running += 1
        if not job.learn:
            return
        if self.warm:
            wanted = math.isqrt(self.running) // 2  # a warm family needs only a few to follow drift
        else:
            # Cold: the jobs that end before a probe does are found late, so start with three
            # times the probes and let the extra ones go once the model is no longer young
            # (see _release).
            wanted = _COLD_PROBES * self.place.probes_wanted(self.running)
        if job.webhook:
            self.model.start(job.id, ps.origin, job.media_duration)
        elif self.probes < wanted:
            ps.probe = True
            self.probes += 1
            self.model.start(job.id, ps.origin, job.media_duration)
            if not self.warm:
                self._probing[job.id] = job

    def due(self, job: Job, now: float) -> float:
        """Clock time of ``job``'s next poll, last seen running at ``now``."""
        ps = job.poll_state
        place = self.place
        media = job.media_duration
        lo = self.model.quantile(place.low, media)
        hi = self._high(lo, media)
        age = now - ps.origin
        if ps.probe:
            # Every spacing once it may end (past the low quantile, when known); before that a
            # long job's age is learned to its bins' 4 % anyway: no sooner than 5 % of its age
            # (at most ten spacings), so a day-long job costs little.
            sparse = lo is None or age < lo
            step = min(0.05 * age, 10.0 * place.spacing) if sparse else 0.0
            nxt: float | None = age + max(place.spacing, step)
        else:
            nxt = place.next_age(age, lo, hi, probe=False, tail_polls=ps.tail_polls, slack=ps.slack)
        self.skipping.pop(job.id, None)
        if nxt is None:
            self.parked[job.id] = job
            return ps.origin + place.backstop_age(age)
        self.parked.pop(job.id, None)
        if hi is not None and age >= hi * 0.999999:
            ps.tail_polls += 1
        if not ps.probe and (
            self.young or (nxt - age > 2.0 * place.spacing and (hi is None or age < hi))
        ):
            # A long skip, or a young model: move the poll as the model learns.
            self.skipping[job.id] = job
        return ps.origin + nxt

    def seen_running(self, job: Job, now: float) -> None:
        """A poll saw ``job`` running at ``now``."""
        self.model.alive(job.id, now)

    def ended(self, job: Job, now: float, *, clean: bool, exact: float | None) -> bool:
        """``job`` was seen finished at ``now`` (``exact``: a webhook dated its end then).

        ``clean``: no wait of ours (rate budget, a held-back poll) is in the timing. Returns
        whether the model learned enough that the parked and skipping jobs should be re-planned.
        """
        if exact is not None:
            self.model.finish(job.id, exact, exact=True)
        else:
            age = now - job.poll_state.origin
            gap = 2.0 * max(self.place.spacing, min(0.05 * age, 10.0 * self.place.spacing))
            self.model.finish(job.id, now, clean=clean, max_gap=gap)
        return self._left(job)

    def left(self, job: Job, seen: float | None) -> None:
        """``job`` is no longer tracked (failed, timed out, stopped): a lower bound at most."""
        if seen is not None:
            self.model.censor(job.id, seen)
        else:
            self.model.forget(job.id)
        self._left(job)

    def _left(self, job: Job) -> bool:
        self.running = max(0, self.running - 1)
        if job.poll_state.probe:
            self.probes -= 1
            job.poll_state.probe = False
        self._probing.pop(job.id, None)
        self.parked.pop(job.id, None)
        self.skipping.pop(job.id, None)
        events = self.model.events
        if self._probing and not self.young:
            self._release()
        if events >= max(self._learned + 1, self._learned * _GROWTH):
            self._learned = events
            return True
        return False

    def _release(self) -> None:
        """The model has as many ends as a family keeps probes: the extra cold probes become
        ordinary jobs, censored where last seen running (a time chosen blind to their own
        durations, so the sample stays unbiased); their next poll places them like the others.

        Not sooner: the first ends are the family's quickest jobs, and the probes still running
        then are mostly its longest. Let go after a few ends, the longest jobs would have only
        the few probes a warm family keeps to date their low quantile, and the jobs of their
        length placed meanwhile on what the quick ones said (normalised by media length, which
        need not scale a queue wait or a fixed overhead) would be found late."""
        keep = self.place.probes_wanted(self.running)
        for key, job in list(self._probing.items())[: max(0, self.probes - keep)]:
            ps = job.poll_state
            ps.probe = False
            self.probes -= 1
            self.model.censor(key, ps.running_seen if ps.running_seen is not None else ps.origin)
        self._probing.clear()

    def replan(self, now: float) -> list[tuple[Job, float, bool]]:
        """New due times for the parked jobs (once warm: only ever sooner) and the long skips
        (sooner or later): (job, due, whether it may move later). Sends nothing."""
        out: list[tuple[Job, float, bool]] = []
        if self.parked and self.warm:
            for job in list(self.parked.values()):
                out.append((job, max(now, self.due(job, now)), False))
        place = self.place
        for job in list(self.skipping.values()):
            ps = job.poll_state
            media = job.media_duration
            lo = self.model.quantile(place.low, media)
            hi = self._high(lo, media)
            seen = (ps.running_seen if ps.running_seen is not None else ps.origin) - ps.origin
            nxt = place.next_age(
                seen, lo, hi, probe=False, tail_polls=ps.tail_polls, slack=ps.slack
            )
            if nxt is None:
                continue
            if nxt - seen <= 2.0 * place.spacing and not self.young:
                del self.skipping[job.id]
            out.append((job, max(now, ps.origin + nxt), True))
        return out

    def _high(self, lo: float | None, media: float | None) -> float | None:
        """The high quantile polls may thin out past; None while the model is young (a few
        early ends, and with media lengths few jobs yet old enough, place it too low)."""
        if lo is None or self.young:
            return None
        return self.model.quantile(self.place.high, media)

    def quantile(self, p: float, media: float | None) -> float | None:
        """The learned age by which a share ``p`` of the family's jobs finish."""
        return self.model.quantile(p, media)
