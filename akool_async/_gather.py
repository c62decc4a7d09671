"""Batch status requests: which due jobs share one request, and which others join it early.

A job of a batch endpoint (``listbyids``: up to 100 ids a request) that falls due waits up to
the scheduler's ``batch_window`` so the others falling due meanwhile share its request. When
the window closes with room left, other jobs of the same endpoint due soon are pulled forward
into it: a job joins if it is polled early by at most ``pull_forward`` of the wait it was given
(at the default 0.2, a job placed 10 s out joins up to 2 s early). Their due times are what
the poll policy chose; only the request they go in changes. A final poll (the job's
deadline), a retry after a failed poll (its backoff, a server's Retry-After) and a webhook
job's backstop never move forward.

Every batch job scheduled is also indexed per endpoint (a heap by due time, with the earliest
time it may be polled); entries of jobs rescheduled or polled since are skipped as stale.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._family import Family, StatusEndpoint
    from ._job import Job

    Group = tuple[StatusEndpoint, Family, list[Job]]

__all__ = ["PULL_FORWARD", "Gathering"]

#: The default share of its wait a batch job may be polled early to fill a request.
PULL_FORWARD: Final = 0.2
#: Entries of an endpoint's index looked at per request filled (bounds the work per request).
_SCAN = 256


class Gathering:
    """The batch jobs gathering into requests, per status endpoint."""

    __slots__ = ("_ahead", "_earliest", "_open", "pull_forward")

    def __init__(self, pull_forward: float) -> None:
        #: Share of its wait a job may be polled early to fill a request (0: never early).
        self.pull_forward = pull_forward
        #: Endpoint key -> (when its request goes, the jobs in it).
        self._open: dict[str, tuple[float, list[Job]]] = {}
        #: Endpoint key -> heap of (due, seq, job) for scheduled jobs.
        self._ahead: dict[str, list[tuple[float, int, Job]]] = {}
        #: Job id -> the earliest it may be polled, from its latest placement.
        self._earliest: dict[str, float] = {}

    def scheduled(self, job: Job, due: float, seq: int, now: float) -> None:
        """``job`` (of a batch endpoint) was scheduled at ``now`` for ``due``."""
        ps = job.poll_state
        if self.pull_forward <= 0 or ps.final or ps.errors or job.webhook:
            self._earliest.pop(job.id, None)
            return
        key = job.spec.status.key
        ahead = self._ahead.get(key)
        if ahead is None:
            ahead = self._ahead[key] = []
        # Entries due by now are stale or in the scheduler's heap already: none is pulled.
        while ahead and ahead[0][0] <= now:
            _, _, old = heapq.heappop(ahead)
            if old.poll_state.due is None or old.done():
                self._earliest.pop(old.id, None)
        # A job placed again at the same due time has two entries: both read this allowance.
        self._earliest[job.id] = due - self.pull_forward * (due - now)
        heapq.heappush(ahead, (due, seq, job))

    def add(self, job: Job, flush: float) -> None:
        """A due ``job`` joins its endpoint's request, which goes at ``flush`` at the latest."""
        self._earliest.pop(job.id, None)
        key = job.spec.status.key
        entry = self._open.get(key)
        if entry is None:
            self._open[key] = entry = (flush, [])
        entry[1].append(job)

    def next_flush(self) -> float | None:
        """When the first open request goes (None: none open)."""
        return min((flush for flush, _ in self._open.values()), default=None)

    def flush(self, now: float, max_batch: int, out: list[Group]) -> None:
        """Append to ``out`` every request that goes now: full ones, and those whose window
        closed (filled with jobs pulled forward); the rest keeps gathering."""
        for key, (flush, members) in list(self._open.items()):
            if flush > now and len(members) < max_batch:
                continue
            # A job rescheduled while it waited (a webhook woke it) is polled from the heap.
            members = [j for j in members if j.poll_state.due is None and not j.done()]
            if flush <= now:
                room = -len(members) % max_batch
                if room:
                    self._pull(key, now, room, members)
                cut = len(members)
            else:
                cut = len(members) - len(members) % max_batch
            if cut < len(members):
                # Full requests go now; the rest keeps gathering until the window ends.
                self._open[key] = (flush, members[cut:])
            else:
                del self._open[key]
            for i in range(0, cut, max_batch):
                fam = members[i].spec
                out.append((fam.status, fam, members[i : min(cut, i + max_batch)]))

    def _pull(self, key: str, now: float, room: int, members: list[Job]) -> None:
        """Move up to ``room`` jobs of endpoint ``key`` that may be polled now into
        ``members``, soonest due first."""
        ahead = self._ahead.get(key)
        if not ahead:
            return
        later: list[tuple[float, int, Job]] = []
        scanned = 0
        while ahead and room and scanned < _SCAN:
            entry = heapq.heappop(ahead)
            due, _, job = entry
            ps = job.poll_state
            earliest = self._earliest.get(job.id)
            if ps.due != due or earliest is None or job.done():
                continue  # stale: polled or rescheduled since
            scanned += 1
            if earliest > now or ps.solo or ps.final or ps.errors:
                later.append(entry)
                continue
            ps.due = None  # its heap entry is stale now
            del self._earliest[job.id]
            members.append(job)
            room -= 1
        for entry in later:
            heapq.heappush(ahead, entry)

    def clear(self) -> None:
        """Forget everything (the scheduler closed)."""
        self._open.clear()
        self._ahead.clear()
        self._earliest.clear()
