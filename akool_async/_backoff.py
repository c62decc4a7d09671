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

from attrs import frozen

from ._constants import DEFAULT_FIRST_POLL, DEFAULT_POLL_CAP, MAX_RETRY_AFTER
from ._models import JobStatus

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
        start = mu - self.lead * sigma
        if elapsed < start:
            wait = start - elapsed
            # A little jitter keeps jobs created together from polling in lockstep.
            return max(self.min_delay, wait * (0.97 + 0.03 * rng.random()))
        spacing = self.step * sigma
        late = elapsed - (mu + 2.0 * sigma)
        if late > 0:
            spacing *= math.pow(self.growth, min(late / sigma, 30.0))
        spacing = min(self.cap, max(self.min_delay, spacing))
        return spacing * (0.85 + 0.15 * rng.random())

    def first_delay(self, rng: random.Random) -> float:
        """Delay before the first poll of a job of a cold family."""
        return self.min_delay + rng.random() * max(0.0, self.first_poll - self.min_delay)


class DurationModel:
    """What the scheduler has learned about one family's durations.

    An exponentially weighted least-squares fit of total duration against media length
    (``video_lock_duration``, when the API reports it); the deviation is the fit's weighted
    residual spread. A new job's duration is predicted as ``a + b * media`` +- ``sigma``; jobs
    without a media length use the weighted mean and spread. Predictions are offered only after
    ``min_samples`` jobs finished.
    """

    __slots__ = ("_n", "_sx", "_sxx", "_sxy", "_sy", "_syy", "alpha", "min_samples", "samples")

    def __init__(self, *, alpha: float = 0.05, min_samples: int = 5) -> None:
        self.alpha = alpha
        self.min_samples = min_samples
        self.samples = 0
        # Exponentially weighted sums: x = media seconds, y = duration seconds.
        self._n = self._sx = self._sy = self._sxx = self._sxy = self._syy = 0.0

    def observe(self, duration: float, media: float | None) -> None:
        """Record a finished job's total duration (seconds) and media length, if known."""
        if not (duration > 0 and math.isfinite(duration)):
            return
        x = media if media is not None and media > 0 and math.isfinite(media) else 0.0
        keep = 1.0 - self.alpha
        self._n = self._n * keep + 1.0
        self._sx = self._sx * keep + x
        self._sy = self._sy * keep + duration
        self._sxx = self._sxx * keep + x * x
        self._sxy = self._sxy * keep + x * duration
        self._syy = self._syy * keep + duration * duration
        self.samples += 1

    def estimate(self, media: float | None) -> tuple[float, float] | None:
        """Predicted total duration and its deviation (seconds), or None while learning."""
        if self.samples < self.min_samples:
            return None
        n = self._n
        mx, my = self._sx / n, self._sy / n
        vx = self._sxx / n - mx * mx
        vy = max(0.0, self._syy / n - my * my)
        if media is not None and media > 0 and vx > 1e-9:
            b = (self._sxy / n - mx * my) / vx
            a = my - b * mx
            mu = a + b * media
            # Residual spread of a least-squares fit: var(y) - b^2 var(x).
            res = max(0.0, vy - b * b * vx)
        else:
            mu, res = my, vy
        if not mu > 0:
            return None
        # Small samples underestimate spread; widen it a little while few jobs are known.
        inflate = self.samples / (self.samples - 2.0)
        return mu, max(math.sqrt(res * inflate), 0.03 * mu)
