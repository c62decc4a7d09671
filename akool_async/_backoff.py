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

    Attributes:
        first_poll: delay before the first poll when nothing is known about the family.
        queueing_base: first interval while the job is queued.
        processing_base: first interval while it is processing.
        growth: interval multiplier per poll in the same status.
        cap: the longest interval.
        min_delay: the shortest delay ever scheduled.
        lead: fraction of the expected remaining time to skip ahead by (below 1 so the poll
            lands just before the expected completion rather than after it).
    """

    first_poll: float = DEFAULT_FIRST_POLL
    queueing_base: float = 5.0
    processing_base: float = 2.0
    growth: float = 1.5
    cap: float = DEFAULT_POLL_CAP
    min_delay: float = 0.25
    lead: float = 0.9

    def interval(self, status: JobStatus | None, polls_in_status: int) -> float:
        """The un-jittered interval for the n-th poll in ``status``."""
        base = self.processing_base if status is JobStatus.PROCESSING else self.queueing_base
        return min(self.cap, base * math.pow(self.growth, min(polls_in_status, 60)))

    def next_delay(
        self,
        status: JobStatus | None,
        polls_in_status: int,
        rng: random.Random,
        *,
        expected_remaining: float | None = None,
        spread: float | None = None,
    ) -> float:
        """Delay before the next poll.

        Args:
            status: the last known status (None before the first poll).
            polls_in_status: polls already made while in this status.
            rng: the source of jitter.
            expected_remaining: learned estimate of the time left, if any.
            spread: learned uncertainty of that estimate (seconds, about one deviation); the
                interval after the expected time scales with it.
        """
        interval = self.interval(status, polls_in_status)
        if spread is not None and spread > 0:
            # Uncertain families get wider steps, certain ones tighter steps.
            interval = min(
                self.cap, max(self.min_delay, min(interval, spread * (0.5 + polls_in_status)))
            )
        if expected_remaining is not None and expected_remaining * self.lead > interval:
            # Skip the polls that could only answer "still running".
            target = expected_remaining * self.lead
            return max(self.min_delay, rng.uniform(0.95 * target, target))
        # Full jitter with a floor.
        return self.min_delay + rng.random() * max(0.0, interval - self.min_delay)

    def first_delay(self, expected_total: float | None, rng: random.Random) -> float:
        """Delay before the first poll of a new job."""
        if expected_total is not None and expected_total * self.lead > self.first_poll:
            target = expected_total * self.lead
            return rng.uniform(0.95 * target, target)
        return self.min_delay + rng.random() * max(0.0, self.first_poll - self.min_delay)


class DurationModel:
    """What the scheduler has learned about one family's durations.

    Keeps exponentially weighted means of the total duration and of the duration per second of
    media (``video_lock_duration``), and of their relative error, so that the expected duration of
    a new job is ``ratio * media`` when the API reports media length and the plain mean otherwise.
    Estimates are only offered after ``min_samples`` jobs finished.
    """

    __slots__ = ("_abs_err", "_mean", "_ratio", "_ratio_err", "alpha", "min_samples", "samples")

    def __init__(self, *, alpha: float = 0.1, min_samples: int = 3) -> None:
        self.alpha = alpha
        self.min_samples = min_samples
        self.samples = 0
        self._mean: float | None = None
        self._abs_err = 0.0
        self._ratio: float | None = None
        self._ratio_err = 0.0

    def observe(self, duration: float, media: float | None) -> None:
        """Record a finished job's total duration (seconds) and media length, if known."""
        if not (duration > 0 and math.isfinite(duration)):
            return
        self.samples += 1
        a = self.alpha if self.samples > 1 else 1.0
        if self._mean is None:
            self._mean = duration
        else:
            self._abs_err += a * (abs(duration - self._mean) / self._mean - self._abs_err)
            self._mean += a * (duration - self._mean)
        if media is not None and media > 0:
            r = duration / media
            if self._ratio is None:
                self._ratio = r
            else:
                self._ratio_err += a * (abs(r - self._ratio) / self._ratio - self._ratio_err)
                self._ratio += a * (r - self._ratio)

    def estimate(self, media: float | None) -> tuple[float, float] | None:
        """Expected total duration and its spread (seconds), or None while still learning."""
        if self.samples < self.min_samples or self._mean is None:
            return None
        if media is not None and media > 0 and self._ratio is not None:
            expected = self._ratio * media
            return expected, max(0.05, self._ratio_err) * expected
        return self._mean, max(0.05, self._abs_err) * self._mean
