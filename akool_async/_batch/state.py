"""What every stage of a batch run shares: its sessions and rows, the journal, stopping, outcomes.

The stages (:mod:`.create`, :mod:`.track`) and the runner that drives them (:mod:`.runner`)
are each a :class:`RunState`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectSendStream

from .._download import Downloader
from .._sentinel import NotGiven
from .groupcommit import GROUPED_WRITES, GroupCommit
from .journal import JournalBackend, RowState
from .manifest import Manifest, ManifestRow
from .outcomes import BatchOutcome, BatchProgress, describe, first_leaf
from .progress import OUTCOME_PHASE, Progress
from .storage import open_storage

if TYPE_CHECKING:
    from .._base import BaseSession

__all__ = ["IN_FLIGHT", "RunState"]

#: Journal states of a row (or job) whose jobs are still running.
IN_FLIGHT: Final = frozenset({RowState.CREATED, RowState.QUEUEING, RowState.PROCESSING})

T = TypeVar("T")

logger = logging.getLogger("akool_async.batch")


class RunState:
    """The state one batch run's stages share."""

    def __init__(
        self,
        sessions: Sequence[BaseSession],
        manifest: Manifest,
        route: dict[str, BaseSession],
        *,
        out_dir: str | os.PathLike[str],
        max_wait: float | NotGiven | None,
        download: bool,
        create_retries: int,
        on_progress: Callable[[BatchProgress], None] | None,
    ) -> None:
        self.manifest = manifest
        #: The sessions rows are routed to, by family.
        self.sessions = tuple(sessions)
        #: The first session: its clock times the run, its HTTP session downloads the results.
        self.session = self.sessions[0]
        self._route = route
        self._rows = {r.row_id: r for r in manifest.rows}
        #: Where finished files go: ``out_dir`` itself, or an fsspec URL (see :mod:`.storage`).
        self.storage = open_storage(out_dir)
        #: The local directory files are downloaded to (``out_dir`` unless it is a URL).
        self.out_dir = self.storage.staging
        self.max_wait = max_wait
        self.download = download
        self._create_retries = create_retries
        self._progress = Progress(len(manifest.rows), self.session.clock, on_progress)
        self._journal: JournalBackend | None = None
        self._jlimiter = anyio.CapacityLimiter(1)
        self._commits = GroupCommit(self._jlimiter)
        self._downloader: Downloader | None = None
        self._send: MemoryObjectSendStream[BatchOutcome] | None = None
        self._stopping = False
        self._stop_reason: str | None = None
        self._stop_scopes: set[anyio.CancelScope] = set()
        # Session -> why it creates no more rows (a refusal every create would meet).
        self._halts: dict[BaseSession, str] = {}
        self._rng = random.Random()
        #: Rows whose create outcome is unknown (lost answers), as found or caused by this run.
        self.unknown_rows: list[str] = []
        #: Jobs created but not journaled (the journal failed right after the answer), by row.
        self.unjournaled: dict[str, list[str]] = {}
        #: The credentials were refused (the run stopped at the first such answer).
        self.auth_error: BaseException | None = None
        # The first error that stopped the run (raised once everything in flight has ended).
        self._fatal: Exception | None = None
        # Sessions whose credentials an answer proved; until then one create at a time.
        self._proven: set[BaseSession] = set()
        self._probes: dict[BaseSession, anyio.Lock] = {}

    async def _guard(self, fn: Callable[..., Awaitable[object]], *args: Any) -> None:
        """Run a stage; an error in it stops the run gracefully instead of cancelling the rest.

        Creates already sent get their answers (nothing in flight becomes *unknown* because of
        another row's error); the first error is raised once the run has wound down.
        """
        try:
            await fn(*args)
        except Exception as exc:
            leaf = first_leaf(exc)
            if self._fatal is None:
                self._fatal = leaf if isinstance(leaf, Exception) else exc
                self.stop(f"error: {describe(leaf)}")
            else:
                logger.error("also: %s", describe(leaf))

    def stop(self, reason: str = "stopped") -> None:
        """End the run gracefully (see :meth:`BatchRunner.stop`)."""
        raise NotImplementedError

    async def _j(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a journal call in a worker thread (it blocks on SQLite and fsync).

        A short write of the journal's (:data:`GROUPED_WRITES`) shares its transaction and
        fsync with the writes other tasks queued meanwhile; it returns once durable, as alone.
        """
        journal = self._journal
        owner: object = getattr(fn, "__self__", None)
        if journal is not None and owner is journal and fn.__name__ in GROUPED_WRITES:
            return await self._commits.write(journal, lambda: fn(*args, **kwargs))
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs), limiter=self._jlimiter)

    async def _begin_create(self, row_id: str) -> int:
        """Journal the intent to create a row (see ``JournalBackend.begin_create``)."""
        assert self._journal is not None
        return await self._j(self._journal.begin_create, row_id)

    def _emit(self, outcome: BatchOutcome, *, notify: bool = True) -> None:
        self._progress.set_phase(outcome.row_id, OUTCOME_PHASE[outcome.state], notify=notify)
        # If nobody is listening any more, the journal still has it all.
        assert self._send is not None
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            self._send.send_nowait(outcome)

    def _stoppable(self) -> anyio.CancelScope:
        scope = anyio.CancelScope()
        if self._stopping:
            scope.cancel()
        self._stop_scopes.add(scope)
        return scope

    def _halted_for(self, row: ManifestRow) -> str | None:
        """Why the row's session creates no more rows, if it does not."""
        return self._halts.get(self._route[row.row_id])
