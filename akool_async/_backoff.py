"""Backoff maths: pure functions, unit-tested and property-tested.

Two kinds of waiting live here:

* retry delays for failed requests: capped exponential backoff with full jitter, never shorter
  than a server's ``Retry-After`` (itself capped);
* poll delays for running jobs: status-aware growth (queueing slower, processing faster) with
  jitter and a cap, skipping ahead to near the job's expected completion when the scheduler has
  learned how long jobs of that family take.
"""

from __future__ import annotations

import math
import random
from collections import deque

from attrs import frozen

from ._constants import DEFAULT_FIRST_POLL, DEFAULT_POLL_CAP, MAX_RETRY_AFTER
from ._jobmodels import JobStatus

__all__ = ["DurationModel", "PollPolicy", "retry_delay"]


def retry_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    rng: random.Random,
    retry_after: float | None = None,
    max_retry_after: float = MAX_RETRY_AFTER,
) -> float:
    """Delay before retry number ``attempt`` (0-based).

    Full jitter over ``min(cap, base * 2**attempt)``; a server's Retry-After, capped at
    ``max_retry_after``, is a floor.
    """
    ceiling = min(cap, base * math.pow(2.0, min(attempt, 60)))
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, max_retry_after))
    return delay


@frozen(slots=True)
class PollPolicy:
    """How long to wait before the next status poll of a job.

    Two regimes:

    * **cold** (nothing learned about the family yet): status-aware exponential growth from
      ``queueing_base`` / ``processing_base`` by ``growth`` per poll, capped at ``cap``, with full
      jitter above ``min_delay``;
    * **warm** (the scheduler predicts the job's total duration as mean ``mu`` and deviation
      ``sigma``): no poll before ``mu - lead * sigma``; then polls every ``step * sigma``
      (``step`` trades requests for detection delay), widening by ``growth`` once the job runs
      ``2 * sigma`` past its expected end.

    Attributes:
        first_poll: delay before the first poll of a cold family.
        queueing_base: first interval while queued (cold).
        processing_base: first interval while processing (cold).
        growth: interval multiplier per poll.
        cap: the longest interval.
        min_delay: the shortest delay ever scheduled.
        lead: how many deviations before the expected end the first warm poll lands.
        step: warm poll spacing, in deviations.
    """

    first_poll: float = DEFAULT_FIRST_POLL
    queueing_base: float = 8.0
    processing_base: float = 5.0
    growth: float = 2.0
    cap: float = DEFAULT_POLL_CAP
    min_delay: float = 0.5
    lead: float = 1.0
    step: float = 0.6

    def interval(self, status: JobStatus | None, polls_in_status: int) -> float:
        """The un-jittered cold interval for the n-th poll in ``status``."""
        base = self.processing_base if status is JobStatus.PROCESSING else self.queueing_base
        return min(self.cap, base * math.pow(self.growth, min(polls_in_status, 60)))

    def cold_delay(
        self, status: JobStatus | None, polls_in_status: int, rng: random.Random
    ) -> float:
        """Full jitter over the status-aware interval, never below ``min_delay``."""
        interval = self.interval(status, polls_in_status)
        return self.min_delay + rng.random() * max(0.0, interval - self.min_delay)

    def warm_delay(self, elapsed: float, mu: float, sigma: float, rng: random.Random) -> float:
        """Delay for a job ``elapsed`` seconds old whose duration is predicted as mu +- sigma."""
        sigma = max(sigma, self.min_delay)
        spacing = self.step * sigma
        late = elapsed - (mu + 2.0 * sigma)
        if late > 0:
            spacing *= math.pow(self.growth, min(late / sigma, 30.0))
        spacing = min(self.cap, max(self.min_delay, spacing))
        wait = mu - self.lead * sigma - elapsed
        if wait > 0.5 * spacing:
            # Skip the polls that could only answer "still running"; a little jitter keeps jobs
            # created together from polling in lockstep.
            return max(self.min_delay, wait * (0.97 + 0.03 * rng.random()))
        return spacing * (0.85 + 0.15 * rng.random())

    def first_delay(self, rng: random.Random) -> float:
        """Delay before the first poll of a job of a cold family."""
        return self.min_delay + rng.random() * max(0.0, self.first_poll - self.min_delay)


class DurationModel:
    """What the scheduler has learned about one family's durations.

    It keeps the last ``window`` finished jobs (media length, duration, and how precisely the end
    is known) and fits, in sample:

    * the duration against media length (``video_lock_duration``, when the API reports it):
      ``mu = a + b * media``;
    * the squared residuals against ``mu**2``: ``sigma**2 = c0 + c1 * mu**2``, so a fixed part
      (queueing) and a part proportional to the job's length (processing) are both learned and a
      long job gets a wider window than a short one. Each residual first loses the variance of
      its own measurement (an end known only to within the gap between two polls).

    Jobs without a media length use the mean. Predictions are offered after ``min_samples``
    jobs finished. A window rather than a decaying average keeps the jobs of a batch that
    finished first (the short ones) in the fit.
    """

    __slots__ = ("_dirty", "_fit", "_range", "_samples", "min_samples", "samples")

    def __init__(self, *, window: int = 512, min_samples: int = 5) -> None:
        self.min_samples = min_samples
        self.samples = 0
        #: (media or 0, duration, measurement variance or None when unknown)
        self._samples: deque[tuple[float, float, float | None]] = deque(maxlen=window)
        self._fit: tuple[float, float, float, float, float] | None = None
        self._range = (0.0, 0.0)
        self._dirty = False

    def observe(self, duration: float, media: float | None, *, gap: float | None = 0.0) -> None:
        """Record a finished job.

        Args:
            duration: its total duration in seconds (best estimate).
            media: its media length, if known.
            gap: the width of the interval the end is known to lie in (the time between the
                last poll that saw it running and the one that saw it done); None if unknown.
        """
        if not (duration > 0 and math.isfinite(duration)):
            return
        x = media if media is not None and media > 0 and math.isfinite(media) else 0.0
        noise = None if gap is None or not math.isfinite(gap) else gap * gap / 12.0
        self._samples.append((x, duration, noise))
        self.samples += 1
        self._dirty = True

    def _refit(self) -> None:
        data = self._samples
        n = len(data)
        mx = sum(d[0] for d in data) / n
        my = sum(d[1] for d in data) / n
        vx = sum((d[0] - mx) ** 2 for d in data) / n
        b = sum((d[0] - mx) * (d[1] - my) for d in data) / n / vx if vx > 1e-9 else 0.0
        a = my - b * mx
        # The spread: squared residuals (less their own measurement noise) against mu**2.
        pts = [
            ((a + b * x) ** 2, (y - a - b * x) ** 2 - noise)
            for x, y, noise in data
            if noise is not None
        ]
        if len(pts) >= self.min_samples:
            m = len(pts)
            mu_u = sum(u for u, _ in pts) / m
            mv = sum(v for _, v in pts) / m
            var_u = sum((u - mu_u) ** 2 for u, _ in pts) / m
            c1 = sum((u - mu_u) * (v - mv) for u, v in pts) / m / var_u if var_u > 1e-9 else 0.0
            c0 = mv - c1 * mu_u
            if c1 < 0:
                c0, c1 = mv, 0.0
            elif c0 < 0:
                suu = sum(u * u for u, _ in pts)
                c0, c1 = 0.0, (sum(u * v for u, v in pts) / suu if suu > 0 else 0.0)
        else:
            c0, c1 = sum((d[1] - my) ** 2 for d in data) / n, 0.0
        # Few samples underestimate spread: widen it a little.
        widen = n / max(1.0, n - 2.0)
        xs = [d[0] for d in data if d[0] > 0]
        self._range = (min(xs), max(xs)) if xs else (0.0, 0.0)
        self._fit = (a, b, max(0.0, c0) * widen, max(0.0, c1) * widen, my)
        self._dirty = False

    def estimate(self, media: float | None) -> tuple[float, float] | None:
        """Predicted total duration and its deviation (seconds), or None while learning."""
        if len(self._samples) < self.min_samples:
            return None
        if self._dirty or self._fit is None:
            self._refit()
        assert self._fit is not None
        a, b, c0, c1, mean = self._fit
        extra = 0.0
        if media is not None and media > 0:
            # Never extrapolate the line past the media lengths seen (five short jobs say
            # little about a long one); widen the window by what the clamp hid instead.
            lo, hi = self._range
            x = min(max(media, lo), hi) if hi > 0 else media
            mu = a + b * x
            extra = (b * (media - x)) ** 2
        else:
            mu = mean
        if not mu > 0:
            return None
        return mu, max(math.sqrt(c0 + c1 * mu * mu + extra), 0.03 * mu)
