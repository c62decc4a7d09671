"""One clock object for every sleep and every timestamp.

The SDK never calls ``time.monotonic`` or ``anyio.sleep`` directly: it asks its clock. Tests and
the fake server share a :class:`ScaledClock` that runs faster than real time, so a job that
"takes" ten minutes finishes in a fraction of a second and nobody really waits.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

import anyio

__all__ = ["Clock", "ScaledClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What the SDK needs of time: a monotonic reading, a wall reading, and a sleep."""

    def now(self) -> float:
        """Monotonic seconds, in this clock's time."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch, in this clock's time."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of this clock's time."""
        ...

    def to_real(self, seconds: float) -> float:
        """Convert a duration in this clock's time to real seconds (for socket timeouts)."""
        ...


class SystemClock:
    """Real time."""

    __slots__ = ()

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))

    def to_real(self, seconds: float) -> float:
        return seconds

    def __repr__(self) -> str:
        return "SystemClock()"


class ScaledClock:
    """A clock that runs ``speed`` times faster than real time.

    Share one instance between the fake server and a session (or give both the same speed) and
    their notions of time agree: a 60 s job at ``speed=600`` completes in 0.1 real seconds.
    """

    __slots__ = ("_mono0", "_real_mono0", "_real_wall0", "speed")

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"speed: must be > 0, got {speed!r}")
        self.speed = float(speed)
        self._real_mono0 = time.monotonic()
        self._real_wall0 = time.time()
        self._mono0 = self._real_mono0

    def now(self) -> float:
        return self._mono0 + (time.monotonic() - self._real_mono0) * self.speed

    def wall(self) -> float:
        return self._real_wall0 + (time.monotonic() - self._real_mono0) * self.speed

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds) / self.speed)

    def to_real(self, seconds: float) -> float:
        return seconds / self.speed

    def __repr__(self) -> str:
        return f"ScaledClock(speed={self.speed:g})"
