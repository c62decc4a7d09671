"""A virtual clock: time advances only when every task is blocked, so tests never really wait."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable

import anyio
import anyio.lowlevel


class VirtualClock:
    """Implements the SDK's Clock protocol on virtual time.

    ``sleep`` parks the caller until :meth:`run_until` advances time to its wake-up; that happens
    only once every task is blocked, so the order of events is deterministic.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self._sleepers: list[tuple[float, int, anyio.Event]] = []
        self._seq = 0

    def now(self) -> float:
        return self.t

    def wall(self) -> float:
        return 1_700_000_000.0 + self.t

    def to_real(self, seconds: float) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await anyio.lowlevel.checkpoint()
            return
        event = anyio.Event()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.t + seconds, self._seq, event))
        await event.wait()

    async def run_until(self, done: Callable[[], bool], *, limit: float) -> None:
        """Advance virtual time until ``done()`` or ``limit`` seconds have passed."""
        end = self.t + limit
        while not done():
            await _all_tasks_blocked()
            if done():
                return
            if not self._sleepers:
                raise AssertionError("deadlock: every task blocked and nobody sleeping")
            when, _, event = heapq.heappop(self._sleepers)
            if when > end:
                raise AssertionError(f"not done after {limit} virtual seconds")
            self.t = max(self.t, when)
            event.set()

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass, waking every sleeper due meanwhile."""
        end = self.t + seconds
        while True:
            await _all_tasks_blocked()
            if not self._sleepers or self._sleepers[0][0] > end:
                break
            when, _, event = heapq.heappop(self._sleepers)
            self.t = max(self.t, when)
            event.set()
        self.t = end


async def _all_tasks_blocked() -> None:
    """Return once every other task waits on something (asyncio only).

    anyio's ``wait_all_tasks_blocked`` naps 0.1 real seconds per check; this spins on
    ``sleep(0)`` instead, which is fine because simulated tasks never do real I/O.
    """
    me = asyncio.current_task()
    while True:
        await asyncio.sleep(0)
        for task in asyncio.all_tasks():
            if task is me:
                continue
            waiter = task._fut_waiter  # type: ignore[attr-defined]
            if waiter is None or waiter.done():
                break
        else:
            return
