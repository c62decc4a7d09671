"""Group commit: the journal writes of many tasks share one transaction and one fsync.

Every create worker journals its row's intent before the create request and the job ids right
after the answer; the status watcher journals transitions. Each write used to be its own
transaction with its own fsync, one at a time in the journal's thread, which bounded a batch to
about a hundred rows a second. Here a write waits while the journal thread commits the writes
queued before it; then every write queued meanwhile goes in one ``JournalBackend.grouped``
transaction (each in its own savepoint, so each succeeds or fails alone) with one commit.

Nothing changes for the writer: its call returns only once its write is durable (the group's
commit is fsynced), so an intent is on disk before its create is sent and created ids are on
disk before the row moves on, exactly as with one transaction each. A lone write is committed at
once (no waiting to fill a group); groups grow only while the journal is busy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

import anyio
import anyio.to_thread

from .journal import JournalBackend, JournalError

__all__ = ["GROUPED_WRITES", "MAX_GROUP", "GroupCommit"]

T = TypeVar("T")

#: The journal methods whose calls may share a transaction: short writes of single rows or jobs,
#: and the read of one row (which would otherwise wait for every commit queued before it).
GROUPED_WRITES: Final = frozenset(
    {
        "row",
        "begin_create",
        "record_created",
        "record_download",
        "record_invalid",
        "record_refused",
        "record_status",
        "record_unknown",
    }
)
#: Most calls in one transaction (a bound on how long one commit holds the write lock).
MAX_GROUP: Final = 512


class _Write(Generic[T]):
    __slots__ = ("call", "done", "error", "lead", "result", "taken", "wake")

    def __init__(self, call: Callable[[], T]) -> None:
        self.call = call
        self.taken = False
        self.done = False
        #: Appointed to commit the next group (the previous committer handed over).
        self.lead = False
        self.result: T | None = None
        self.error: BaseException | None = None
        self.wake = anyio.Event()

    def settle(self, outcome: object) -> None:
        if isinstance(outcome, BaseException):
            self.error = outcome
        else:
            self.result = outcome  # type: ignore[assignment]
        self.done = True
        self.wake.set()


class GroupCommit:
    """Commits the queued journal writes of many tasks together (see the module docstring).

    One writer at a time commits a group (the *leader*); every other writer waits for its own
    write to be settled, or to be appointed the next leader: the leader hands over to the
    oldest write still queued, so no writer waits for more than the commit in progress and
    its own.

    Args:
        limiter: the journal thread's limiter (one call at a time, shared with the reads).
    """

    def __init__(self, limiter: anyio.CapacityLimiter) -> None:
        self._limiter = limiter
        self._queue: list[_Write[Any]] = []
        self._leading = False
        #: Transactions committed through here, and the writes they held.
        self.groups = 0
        self.writes = 0

    async def write(self, journal: JournalBackend, call: Callable[[], T]) -> T:
        """Run ``call`` (a write of ``journal``'s) in the next group; its result once durable.

        A cancelled writer whose write was not taken yet withdraws it; one already being
        committed waits for the commit (a thread call cannot be stopped midway).
        """
        item: _Write[T] = _Write(call)
        self._queue.append(item)
        if not self._leading:
            self._leading = True
            item.lead = True
        try:
            while not item.done:
                if item.lead:
                    item.lead = False
                    await self._commit(journal)
                else:
                    await item.wake.wait()  # set once settled, or appointed to lead
        except BaseException:
            if not item.taken:
                self._queue.remove(item)
                if item.lead:  # appointed but gone: the next one leads
                    self._hand_over()
            elif not item.done:
                with anyio.CancelScope(shield=True):
                    await item.wake.wait()
            raise
        if item.error is not None:
            raise item.error
        return item.result  # type: ignore[return-value]

    def _hand_over(self) -> None:
        """Appoint the oldest queued write to commit the next group (or stop leading)."""
        if self._queue:
            head = self._queue[0]
            head.lead = True
            head.wake.set()
        else:
            self._leading = False

    async def _commit(self, journal: JournalBackend) -> None:
        """Commit one group from the head of the queue, settle its writes, hand over."""
        group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        for item in group:
            item.taken = True
        try:
            try:
                # Shielded: the outcomes must reach their writers even if this one is cancelled.
                with anyio.CancelScope(shield=True):
                    outcomes: list[object] = await anyio.to_thread.run_sync(
                        journal.grouped, [item.call for item in group], limiter=self._limiter
                    )
            except Exception as exc:  # the commit failed: no write of the group is durable
                outcomes = [exc] * len(group)
            except BaseException:
                for item in group:
                    item.settle(JournalError("the journal commit was interrupted"))
                raise
            for item, outcome in zip(group, outcomes, strict=True):
                item.settle(outcome)
            self.groups += 1
            self.writes += len(group)
        finally:
            self._hand_over()
