"""One rate budget for the whole session: a token bucket with AIMD recovery.

Every request (creates and polls alike) takes a token. When the API throttles (HTTP 429 or code
1005) the whole session pauses (honouring Retry-After) and its rate is halved; each success
afterwards adds a little back until the configured rate is reached again.

When the budget binds, status polls go first: a poll that finds a job finished frees a plan
slot and lets its file download, and the scheduler places few polls, so creates are delayed by
little while every create waiting could otherwise hold each poll back by minutes.
"""

from __future__ import annotations

import math
from contextvars import ContextVar

import anyio

from ._clock import Clock
from ._constants import MAX_RETRY_AFTER, MIN_RATE

__all__ = ["RateBudget", "budget_waits"]

#: While set (the scheduler sets it around one status request), :meth:`RateBudget.acquire` adds
#: the clock seconds it waited for a token to its first item: a timing that includes our own
#: waits must not teach the duration model.
budget_waits: ContextVar[list[float] | None] = ContextVar("akool_budget_waits", default=None)


class RateBudget:
    """A token bucket shared by every request of a session.

    Args:
        rate: requests per second; None for no limit (throttling still pauses the session).
        burst: bucket size.
        clock: the session's clock.
        min_rate: floor the adaptive rate never drops below.
        recovery: fraction of ``rate`` added back per successful request after throttling.
    """

    def __init__(
        self,
        rate: float | None,
        burst: float,
        clock: Clock,
        *,
        min_rate: float = MIN_RATE,
        recovery: float = 0.02,
    ) -> None:
        if rate is not None and not rate > 0:
            raise ValueError(f"rate: must be > 0 or None, got {rate!r}")
        if not burst >= 1:
            raise ValueError(f"burst: must be >= 1, got {burst!r}")
        self.max_rate = rate
        self.rate = rate
        self.burst = float(burst)
        self.min_rate = min(min_rate, rate) if rate is not None else min_rate
        self.recovery = recovery
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock.now()
        self._pause_until = -math.inf
        self._lock = anyio.Lock()
        #: Urgent requests (polls) waiting; the others wait while there are any.
        self._urgent = 0
        self._calm = anyio.Event()
        #: Times the session was told to slow down.
        self.throttle_events = 0
        #: Requests granted.
        self.granted = 0

    def _refill(self, now: float) -> None:
        if self.rate is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def _try_take(self, now: float) -> float:
        """Take a token if possible; else return how long to wait."""
        if now < self._pause_until:
            return self._pause_until - now
        if self.rate is None:
            return 0.0
        self._refill(now)
        # The epsilon absorbs float rounding, which could otherwise ask for a sleep too short
        # to move the clock at all.
        if self._tokens >= 1.0 - 1e-9:
            self._tokens = max(0.0, self._tokens - 1.0)
            return 0.0
        return max((1.0 - self._tokens) / self.rate, 1e-6)

    def try_acquire(self, *, urgent: bool = False) -> bool:
        """Take a token if one is free now and nobody waits ahead of this request; never waits.

        The transport's fast path: :meth:`acquire` is only awaited when this says no.
        """
        if self._lock.locked() or (self._urgent and not urgent):
            return False
        if self.rate is None and self._pause_until == -math.inf:
            self.granted += 1  # no limit and never paused: no clock reading needed
            return True
        if self._try_take(self._clock.now()) == 0.0:
            self.granted += 1
            return True
        return False

    async def acquire(self, *, urgent: bool = False) -> None:
        """Wait for a token. ``urgent`` requests (status polls) are served before the others
        when the budget binds; within a class, first come first served."""
        if self.try_acquire(urgent=urgent):
            return
        start = self._clock.now()
        if urgent:
            self._urgent += 1
        try:
            while True:
                if not urgent and self._urgent:
                    await self._calm.wait()
                    continue
                async with self._lock:
                    if not urgent and self._urgent:
                        continue
                    while True:
                        wait = self._try_take(self._clock.now())
                        if wait == 0.0:
                            self.granted += 1
                            break
                        await self._clock.sleep(wait)
                break
        finally:
            if urgent:
                self._urgent -= 1
                if not self._urgent:
                    self._calm.set()
                    self._calm = anyio.Event()
        waits = budget_waits.get()
        if waits is not None:
            waits[0] += self._clock.now() - start

    def throttled(self, retry_after: float | None = None) -> None:
        """The server said slow down: pause everyone and halve the rate."""
        self.throttle_events += 1
        now = self._clock.now()
        if self.rate is not None:
            self._refill(now)
            self.rate = max(self.min_rate, self.rate / 2.0)
            self._tokens = 0.0
        pause = (
            min(retry_after, MAX_RETRY_AFTER)
            if retry_after
            else (1.0 / self.rate if self.rate else 1.0)
        )
        self._pause_until = max(self._pause_until, now + pause)

    def succeeded(self) -> None:
        """A request went through: recover additively towards the configured rate."""
        if self.rate is not None and self.max_rate is not None and self.rate < self.max_rate:
            self._refill(self._clock.now())
            self.rate = min(self.max_rate, self.rate + self.recovery * self.max_rate)

    def set_max_rate(self, rate: float) -> None:
        """Change the configured rate at runtime (a fleet worker's share of the account's rate);
        a rate lowered by throttling keeps its proportion to the configured one."""
        if not rate > 0:
            raise ValueError(f"rate: must be > 0, got {rate!r}")
        self._refill(self._clock.now())
        if self.rate is not None and self.max_rate is not None:
            self.rate = self.rate * rate / self.max_rate
        else:
            self.rate = rate
        self.max_rate = rate
        self.min_rate = min(self.min_rate, rate)

    def __repr__(self) -> str:
        return f"RateBudget(rate={self.rate!r}, max_rate={self.max_rate!r}, burst={self.burst:g})"
