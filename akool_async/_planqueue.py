"""The account's plan queue, inferred from what the session's polls show."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["PlanQueue"]

K = TypeVar("K", bound=Hashable)


class PlanQueue(Generic[K]):
    """The account's plan queue, inferred from creation order and what polls show.

    Akool runs at most ``cap`` jobs of an account at a time and keeps the rest in status 1, first
    in first out. From the creation order, the jobs seen processing and each completion (which
    frees a slot), this says which queued jobs just got a slot (poll them) and which still wait
    (do not poll them blindly).

    ``cap`` is given, or learned as the most jobs known to hold a slot before the first
    completion (no slot had freed yet, so all of them held one at once). Without a given cap,
    nothing counts as queued until the queue is *confirmed*: a job still in status 1 at more
    than twice the largest age at which a closely watched job was first seen processing before
    any completion (the queue phase of a job that found a free slot). Such a job still queued
    while one created after it already runs means the server's queue times are its own, not a
    FIFO plan queue: the queue is then never (or no longer) confirmed.
    """

    __slots__ = (
        "_ended",
        "_learned",
        "_next",
        "_order",
        "_rank",
        "_running",
        "_seen",
        "_start_age",
        "_top",
        "_unordered",
        "cap",
        "confirmed",
    )

    def __init__(self, cap: int | None = None) -> None:
        if cap is not None and cap < 1:
            raise ValueError("cap: must be >= 1")
        self.cap = cap
        self.confirmed = cap is not None
        self._order: deque[K] = deque()
        self._running: set[K] = set()
        #: The jobs of ``_running`` a poll saw processing (the others hold a slot by inference).
        self._seen: set[K] = set()
        self._rank: dict[K, int] = {}
        self._next = 0
        self._start_age = 0.0
        self._learned = 0
        self._ended = False
        #: The highest creation rank seen processing.
        self._top = -1
        #: Jobs were seen to start out of creation order: no plan queue to infer.
        self._unordered = False

    def add(self, key: K) -> None:
        """A job was created (call in creation order)."""
        self._rank[key] = self._next
        self._next += 1
        self._order.append(key)

    @property
    def slots(self) -> int:
        """The cap in use: given, or learned (0 while unknown)."""
        return self.cap if self.cap is not None else self._learned

    def seen_running(self, key: K, age: float = 0.0, *, tight: bool = False) -> list[K]:
        """A poll found ``key`` processing at ``age``: every job created before it has (or had)
        a slot too (FIFO). ``tight``: the poll before it was recent, so ``age`` bounds the
        job's queue phase closely. Returns the jobs newly known to hold a slot."""
        rank = self._rank.get(key)
        if rank is None or key in self._seen:
            return []
        self._seen.add(key)
        if key in self._running:
            return []
        self._top = max(self._top, rank)
        early = not self._ended  # no slot freed yet: whoever runs got a slot at once
        if tight and early:
            self._start_age = max(self._start_age, age)
        newly = []
        while self._order and self._rank[self._order[0]] <= rank:
            first = self._order.popleft()
            self._running.add(first)
            newly.append(first)
        if not self.confirmed or (len(newly) > 0 and key in newly):
            # Until the queue is confirmed (whoever runs may have found a free slot), or a
            # job believed queued turned out running: a slot more.
            self._learned = max(self._learned, len(self._running))
        return newly

    def seen_queued(self, key: K, age: float) -> None:
        """A poll found ``key`` still in status 1 at ``age``.

        If ``key`` was believed to hold a slot, fewer slots exist than believed: every slot is
        held by a job created before it (or seen processing), so the learned cap is at most
        those, and ``key`` and the jobs created after it that no poll saw processing are queued
        again.
        """
        rank = self._rank.get(key)
        if self._start_age > 0 and age > 2.0 * self._start_age and rank is not None:
            if rank < self._top and self.cap is None:
                # A job created after it already runs: queue times are the server's own, not
                # a FIFO plan queue. Nothing is believed queued from now on.
                self._unordered = True
                self.confirmed = False
                return
            if not self.confirmed and not self._unordered:
                self.confirmed = True
        if not self.confirmed or rank is None or key not in self._running:
            return
        rank_of = self._rank
        # A job seen processing holds its slot whatever its rank (creates sent together may
        # have reached the server in another order than their answers reached us).
        seen = self._seen
        back = sorted(
            (k for k in self._running if rank_of[k] >= rank and k not in seen),
            key=lambda k: rank_of[k],
        )
        for k in back:
            self._running.discard(k)
        self._order.extendleft(reversed(back))
        if self.cap is None:
            self._learned = max(1, min(self._learned, len(self._running)))

    def finished(self, key: K) -> list[K]:
        """``key`` ended (or left): its slot goes to the next queued jobs; returns those."""
        if self._rank.pop(key, None) is None:
            return []
        self._ended = True
        held = key in self._running
        if held:
            self._running.discard(key)
            self._seen.discard(key)
        else:
            with contextlib.suppress(ValueError):
                self._order.remove(key)  # it was never seen running: O(queue), rare
        granted: list[K] = []
        if not self.confirmed:
            return granted
        # Its slot goes to the next job in line (whatever the cap learned so far says: it
        # may be short), and any other free slot too.
        while self._order and (len(self._running) < self.slots or (held and not granted)):
            nxt = self._order.popleft()
            self._running.add(nxt)
            granted.append(nxt)
        return granted

    @property
    def held(self) -> int:
        """How many jobs are believed to hold a slot now (ended ones not yet seen included)."""
        return len(self._running)

    def queued(self, key: K) -> bool:
        """Whether ``key`` is believed still waiting for a slot (do not poll it blindly)."""
        return self.confirmed and key in self._rank and key not in self._running

    def ahead(self, key: K) -> int:
        """About how many jobs wait for a slot in front of queued ``key`` (creation ranks)."""
        rank = self._rank.get(key)
        if rank is None or not self._order:
            return 0
        return max(0, rank - self._rank[self._order[0]])

    def waiting(self) -> Iterator[K]:
        """The jobs believed queued, in FIFO order (none until the queue is confirmed)."""
        return iter(self._order if self.confirmed else ())

    def extend(self, keys: Iterable[K]) -> None:
        """:meth:`add` each of ``keys`` in order."""
        for key in keys:
            self.add(key)
