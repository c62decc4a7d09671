"""How the scheduler hands status requests to its workers, and when its dispatcher wakes.

A fixed pool of workers sends the requests. Handing one over costs no checkpoint: a request for
an idle worker resolves that worker's waiter (one future per idle worker); a request no idle
worker is there for waits in a queue. A worker that finishes takes the next queued request, or
pops what is due itself, without yielding first; only with nothing to do does it wait.

The dispatcher waits on one future at a time. With a worker idle, it is resolved by its timer
(the next due time, in the session clock's time) or by :meth:`Handoff.wake` (a job due sooner
than that); with every worker busy, by a worker becoming idle (the busy ones pop due work
themselves). For the SDK's own clocks the timer is a ``loop.call_later`` handle (their
``sleep`` is exactly that); any other clock, such as a test's virtual clock, is honoured through
its own ``sleep``, in a task of the scheduler's task group that is cancelled when the timer is
no longer needed.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import Generic, TypeVar

import anyio
from anyio.abc import TaskGroup

from ._clock import Clock, ScaledClock, SystemClock

__all__ = ["Handoff"]

T = TypeVar("T")


class Handoff(Generic[T]):
    """Requests from one dispatcher to a pool of workers, and the dispatcher's one wake-up."""

    __slots__ = (
        "_clock",
        "_handle",
        "_idle",
        "_loop_timer",
        "_scope",
        "_tg",
        "_wake",
        "_want_idle",
        "queue",
        "until",
    )

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        #: Requests no idle worker took yet, oldest first.
        self.queue: deque[T] = deque()
        self._idle: list[asyncio.Future[T]] = []
        self._wake: asyncio.Future[None] | None = None
        #: The clock time the dispatcher sleeps until (inf: until woken; -inf: not asleep).
        self.until = -math.inf
        self._want_idle = False
        self._handle: asyncio.TimerHandle | None = None
        self._scope: anyio.CancelScope | None = None
        self._tg: TaskGroup | None = None
        # Exact types: a subclass may sleep in its own way, and is then asked to.
        self._loop_timer = type(clock) in (SystemClock, ScaledClock)

    def start(self, tg: TaskGroup) -> None:
        """Use ``tg`` (the scheduler's task group) for timers that sleep on the clock."""
        self._tg = tg

    # -- workers ----------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """Whether a worker waits for a request."""
        return bool(self._idle)

    def put(self, item: T) -> None:
        """Give ``item`` to an idle worker, else queue it. Never waits."""
        idle = self._idle
        while idle:
            waiter = idle.pop()
            if not waiter.done():  # a worker cancelled while idle left its waiter behind
                waiter.set_result(item)
                return
        self.queue.append(item)

    async def take(self) -> T:
        """Wait for the next request (the dispatcher is told a worker is idle)."""
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._idle.append(waiter)
        if self._want_idle:
            self.wake()
        return await waiter

    # -- the dispatcher ---------------------------------------------------------------------

    async def until_idle(self) -> None:
        """Wait until a worker waits for a request (or :meth:`wake`)."""
        if self._idle:
            return
        self._want_idle = True
        try:
            await self._wait()
        finally:
            self._want_idle = False

    async def sleep_until(self, when: float | None) -> None:
        """Wait until the clock reads ``when`` (None: no time), or until :meth:`wake`."""
        if when is None:
            self.until = math.inf
        else:
            delay = when - self._clock.now()
            if delay <= 0:
                return
            self.until = when
            if self._loop_timer:
                self._handle = asyncio.get_running_loop().call_later(
                    self._clock.to_real(delay), self.wake
                )
            else:
                assert self._tg is not None, "Handoff.start was not called"
                self._scope = scope = anyio.CancelScope()
                self._tg.start_soon(self._clock_timer, scope, delay)
        try:
            await self._wait()
        finally:
            self.until = -math.inf
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
            if self._scope is not None:
                self._scope.cancel()
                self._scope = None

    def wake(self) -> None:
        """End the dispatcher's current wait, if any."""
        waiter = self._wake
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self) -> None:
        self._wake = waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._wake = None

    async def _clock_timer(self, scope: anyio.CancelScope, delay: float) -> None:
        with scope:
            await self._clock.sleep(delay)
            if self._scope is scope:
                self.wake()
