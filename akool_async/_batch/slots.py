"""Create slots: ``--max-running N`` keeps at most N jobs on the server, and how long slots idled.

On one machine the runner counts its own jobs (:class:`LocalSlots`); a fleet counts in its
PostgreSQL journal, inside the transaction that journals each create intent (see
:meth:`~akool_async._batch.journal.postgres.PostgresJournal.bind_worker`). Either way the
journal's events tell afterwards how many jobs were on the server at each moment
(:func:`slot_usage`): a job holds its slot from the create intent until the run journals its end,
so slots "idle" while rows waited to be created measures the run's own detection and turnaround.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Final

import anyio
from attrs import frozen

from .journal import Event, RowState

__all__ = ["LocalSlots", "SlotUsage", "slot_usage"]

_JOB_ENDS: Final = frozenset({RowState.COMPLETED, RowState.FAILED, RowState.DOWNLOADED})


class LocalSlots:
    """At most ``limit`` rows of this process between their create intent and their jobs' end."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._freed = anyio.Event()

    def hold(self) -> None:
        """Count a row already on the server (resumed), even past the limit."""
        self.used += 1

    def release(self) -> None:
        """A row's jobs ended: its slot is free."""
        self.used -= 1
        self._freed.set()
        self._freed = anyio.Event()

    @asynccontextmanager
    async def take(self) -> AsyncIterator[None]:
        """Wait for a free slot and hold it for the block."""
        while self.used >= self.limit:
            await self._freed.wait()
        self.used += 1
        try:
            yield
        finally:
            self.release()


@frozen(slots=True)
class SlotUsage:
    """How a run used its ``limit`` slots, from the journal's events."""

    limit: int
    #: The most jobs on the server at once (in journal order).
    max_running: int
    #: Slot-seconds free while rows still waited to be created (from ``since`` to the last
    #: create intent), in the journal's clock.
    idle_seconds: float
    #: Create intents in the window.
    creates: int


def slot_usage(events: Iterable[Event], limit: int, *, since: float = float("-inf")) -> SlotUsage:
    """Replay the journal's events (oldest first): jobs on the server over time, and idle slots.

    A row holds one slot from its CREATING event until the row's next event (its jobs created,
    or its create refused or lost); each job holds one from its CREATED event to its end.
    """
    creating: set[str] = set()
    jobs: set[str] = set()
    peak = 0
    timeline: list[tuple[float, int, bool]] = []  # (at, running after the event, a create)
    for event in events:
        intent = event.job_id is None and event.state is RowState.CREATING
        if event.job_id is None:
            if intent:
                creating.add(event.row_id)
            else:
                creating.discard(event.row_id)
        elif event.state is RowState.CREATED:
            jobs.add(event.job_id)
            creating.discard(event.row_id)  # the same transaction ends the intent
        elif event.state in _JOB_ENDS:
            jobs.discard(event.job_id)
        running = len(creating) + len(jobs)
        peak = max(peak, running)
        timeline.append((event.at, running, intent))
    last_intent = max((at for at, _, intent in timeline if intent and at >= since), default=None)
    idle = 0.0
    creates = 0
    if last_intent is not None:
        running_before = 0
        previous = since if since > float("-inf") else timeline[0][0]
        for at, running, intent in timeline:
            if at > since:
                end = min(at, last_intent)
                if end > previous:
                    idle += max(0, limit - running_before) * (end - previous)
                    previous = end
            creates += intent and at >= since
            running_before = running
            if at >= last_intent:
                break
    return SlotUsage(limit, peak, idle, creates)
