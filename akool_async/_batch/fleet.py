"""Many workers on one manifest: claims under a renewed lease, per-row work by journal state.

With a journal that can claim rows (the PostgreSQL journal), the runner is one worker of a fleet.
It registers, claims up to ``concurrency`` rows at a time (``FOR UPDATE SKIP LOCKED``: no two
workers claim one row) under a lease it renews every third of the lease, and acts on each row by
its state: PENDING is created (intent first, as on one machine), CREATED/QUEUEING/PROCESSING is
tracked (never created again), COMPLETED is downloaded, and CREATING (its worker died with the
create in flight) becomes *unknown*, exactly as a lone runner treats a leftover intent. A row the
heartbeat no longer returns was taken over (this worker's lease ran out): its wait and download
stop, and its files are journaled only by the holder. The worker stays until no row anywhere has
work left (so it takes over the rows of a worker that dies), then retires, releasing its rows.

Account limits are the fleet's: ``max_running`` is counted in the journal inside the transaction
of each create intent, and each live worker takes ``1/live`` of each session's rate budget,
recomputed at every heartbeat.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup

from .._download import Downloader
from .create import CreateStage
from .files import remove_part_files
from .journal import JournalBackend, JournalError, JournalRow, RowState
from .journal._pg_fleet import CLAIMABLE as _CLAIMABLE
from .journal._pg_fleet import LeaseLost, NoFreeSlot
from .outcomes import BatchOutcome, OutcomeState, outcome_of
from .progress import Phase
from .slots import LocalSlots, SlotUsage, slot_usage
from .state import IN_FLIGHT
from .track import TrackStage

if TYPE_CHECKING:
    from .._base import BaseSession

__all__ = ["DEFAULT_LEASE", "FleetJournal", "FleetStage"]

logger = logging.getLogger("akool_async.batch")

#: Real seconds a worker's claim on a row lasts without a heartbeat.
DEFAULT_LEASE: Final = 30.0
#: Real seconds between two tries for a create slot when the fleet has ``max_running`` jobs.
_SLOT_POLL: Final = 0.05
#: Rows with jobs already (to track or download, or lost intents): they need no create slot.
_NO_SLOT: Final = _CLAIMABLE - {RowState.PENDING}


class _Worker(Protocol):
    stopped: float | None
    heartbeat: float


@runtime_checkable
class FleetJournal(JournalBackend, Protocol):
    """A journal many workers share: what :class:`FleetStage` asks of it beyond the runner's."""

    def register_worker(self) -> int: ...

    def bind_worker(self, worker: int, *, max_running: int | None = None) -> None: ...

    def claim(
        self, worker: int, limit: int, *, lease: float, states: Collection[RowState] = ...
    ) -> list[JournalRow]: ...

    def heartbeat(self, worker: int, *, lease: float) -> frozenset[str]: ...

    def release(self, worker: int, row_ids: Iterable[str] | None = None) -> int: ...

    def retire_worker(self, worker: int) -> None: ...

    def workers(self) -> Collection[Any]: ...


class FleetStage(CreateStage, TrackStage):
    """The runner as one worker of a fleet, and the create slots of ``max_running``."""

    max_running: int | None
    lease: float
    concurrency: int
    retry_unknown: bool
    retried_unknown: list[str]
    _work: TaskGroup | None
    _download_concurrency: int
    #: How the run's slots were used (with ``max_running``), once it ended.
    slot_usage: SlotUsage | None

    def _setup_fleet(self, max_running: int | None, lease: float) -> None:
        self.max_running = max_running
        self.lease = lease
        self.slot_usage = None
        self._slots = LocalSlots(max_running) if max_running is not None else None
        self._worker: int | None = None
        self._active: dict[str, anyio.CancelScope | None] = {}
        self._lost: set[str] = set()
        #: Rows waiting for one of the fleet's create slots.
        self._waiting: set[str] = set()
        #: Rows this worker tried and left unfinished: held until it retires, not tried again.
        self._given_up: set[str] = set()
        self._emitted: set[str] = set()
        self._to_release: list[str] = []
        self._wake = anyio.Event()
        self._started_wall = self.session.clock.wall()
        self._base_rates: dict[BaseSession, float | None] = {}

    # -- seams the runner and the stages call --------------------------------------------------

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """On one machine with ``max_running``: hold a create slot for the block."""
        if self._slots is None or self._worker is not None:
            yield
            return
        async with self._slots.take():
            yield

    async def _resume_held(self, row: Any, jrow: JournalRow) -> None:
        """Resume a row whose jobs are on the server, counting them against ``max_running``."""
        if self._slots is not None:
            self._slots.hold()
        try:
            await self._resume_row(row, jrow)
        finally:
            if self._slots is not None:
                self._slots.release()

    async def _begin_create(self, row_id: str) -> int:
        """Journal a create intent; a fleet worker waits here for one of the fleet's slots."""
        journal = self._journal
        assert journal is not None
        try:
            while True:
                try:
                    return await self._j(journal.begin_create, row_id)
                except NoFreeSlot:
                    if self._stopping or row_id in self._lost:
                        raise
                if row_id not in self._waiting:
                    # The claim loop now takes rows that free slots (e.g. a dead worker's).
                    self._waiting.add(row_id)
                    self._wake.set()
                await anyio.sleep(_SLOT_POLL)
        finally:
            self._waiting.discard(row_id)

    def _emit(self, outcome: BatchOutcome, *, notify: bool = True) -> None:
        if outcome.row_id in self._emitted:
            return  # one outcome per row, even when a fleet worker sees a row twice
        self._emitted.add(outcome.row_id)
        if self._worker is not None:
            if outcome.state is OutcomeState.INCOMPLETE:
                self._given_up.add(outcome.row_id)  # keep it held: this worker tried once
            else:
                self._to_release.append(outcome.row_id)
        super()._emit(outcome, notify=notify)

    async def _measure_slots(self, journal: JournalBackend) -> None:
        limit = self.max_running
        if limit is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                events = await self._j(journal.events)
            except JournalError as exc:
                logger.warning("cannot measure slot use: %s", exc)
                return
        self.slot_usage = slot_usage(events, limit, since=self._started_wall)

    async def _start_downloads(self) -> None:
        """Clear a killed run's part files and make the downloader."""
        if self.download:
            # A fleet's workers may share the directory: only parts no one writes any more.
            idle = 2 * self.lease if self._worker is not None else None
            await anyio.to_thread.run_sync(lambda: remove_part_files(self.out_dir, idle_for=idle))
        self._downloader = Downloader(
            self.session.transport.http,
            self.out_dir,
            concurrency=self._download_concurrency,
            clock=self.session.clock,
        )

    # -- the fleet worker ----------------------------------------------------------------------

    async def _run_fleet(self, journal: FleetJournal) -> None:
        """Work the shared manifest with the other workers until no row has work left."""
        worker = await self._j(journal.register_worker)
        self._worker = worker
        await self._start_downloads()
        await self._j(journal.bind_worker, worker, max_running=self.max_running)
        self._base_rates = {s: s.budget.max_rate for s in self.sessions}
        logger.info("fleet worker %d on journal %s", worker, journal.path)
        if self.retry_unknown:
            unknown = [r.row_id for r in await self._j(journal.rows, [RowState.UNKNOWN])]
            await self._j(journal.mark_unknown_for_retry, unknown)
            self.retried_unknown = unknown
        try:
            await self._share_rate(journal)
            async with anyio.create_task_group() as beat:
                beat.start_soon(self._heartbeats, journal, worker)
                async with anyio.create_task_group() as work:
                    self._work = work
                    await self._claim_loop(journal, worker, work)
                beat.cancel_scope.cancel()
            for jrow in await self._j(journal.rows):
                if jrow.row_id in self._rows and jrow.row_id not in self._emitted:
                    if jrow.state is RowState.UNKNOWN:
                        self.unknown_rows.append(jrow.row_id)
                    self._progress.skipped += 1
                    self._emit(outcome_of(jrow, download=self.download, resumed=True))
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await anyio.to_thread.run_sync(journal.retire_worker, worker)
                except JournalError as exc:
                    logger.warning("cannot retire worker %d: %s", worker, exc)
        if self.download and not self._stopping and not await self._live_workers(journal):
            # The last worker out: no one writes part files any more.
            await anyio.to_thread.run_sync(remove_part_files, self.out_dir)
        await self._measure_slots(journal)

    async def _claim_loop(self, journal: FleetJournal, worker: int, work: TaskGroup) -> None:
        poll = min(self.lease / 3, 1.0)
        while not self._stopping:
            free = self.concurrency - len(self._active)
            started = 0
            claims: list[tuple[int, Collection[RowState]]] = []
            if free > 0 and len(self._halts) < len(self.sessions):
                claims.append((free, _CLAIMABLE))
            elif self._waiting and len(self._active) < 2 * self.concurrency:
                # Creates wait for slots that only tracking other rows can free: take those.
                claims.append((2 * self.concurrency - len(self._active), _NO_SLOT))
            for limit, states in claims:
                claimed = await self._j(
                    journal.claim, worker, limit, lease=self.lease, states=states
                )
                for jrow in claimed:
                    row_id = jrow.row_id
                    if row_id in self._active or row_id in self._given_up:
                        continue  # being worked, or tried once here: left to another worker
                    if row_id not in self._rows:
                        continue
                    self._active[row_id] = None
                    self._lost.discard(row_id)
                    work.start_soon(self._fleet_row, journal, jrow)
                    started += 1
            if not started and not self._active:
                counts = await self._j(journal.counts)
                left = sum(n for s, n in counts.items() if s in _CLAIMABLE)
                if left <= len(self._given_up) or len(self._halts) == len(self.sessions):
                    return
            with anyio.move_on_after(poll):
                await self._wake.wait()
            self._wake = anyio.Event()

    async def _fleet_row(self, journal: FleetJournal, jrow: JournalRow) -> None:
        row_id = jrow.row_id
        row = self._rows[row_id]
        try:
            if jrow.jobs:
                self._progress.add_jobs(row_id, jrow.job_ids)
            if jrow.state is RowState.PENDING:
                halted = self._halted_for(row)
                if halted is not None:
                    error = f"not started ({halted})"
                    self._emit(
                        BatchOutcome(row_id, row.family, OutcomeState.INCOMPLETE, error=error)
                    )
                    return
                jobs = await self._create(row)
                if jobs is None or row_id in self._lost:
                    return  # ended, or taken over: the new holder tracks the jobs
                with self._droppable(row_id):
                    results = await self._wait(jobs)
                    self._progress.set_phase(row_id, Phase.DOWNLOADING)
                    await self._finish(row, results)
            elif jrow.state is RowState.CREATING:
                reason = (
                    "its worker stopped while the create request was in flight; the job may exist"
                )
                await self._j(journal.record_unknown, row_id, reason)
                self.unknown_rows.append(row_id)
                self._emit(BatchOutcome(row_id, row.family, OutcomeState.UNKNOWN, error=reason))
            elif self._finished_before(jrow):
                self._emit(outcome_of(jrow, download=self.download, resumed=True))
            else:
                in_flight = jrow.state in IN_FLIGHT
                self._progress.set_phase(row_id, Phase.QUEUEING if in_flight else Phase.DOWNLOADING)
                with self._droppable(row_id):
                    await self._resume_row(row, jrow)
        except JournalError as exc:
            if row_id not in self._lost and not isinstance(exc, LeaseLost):
                raise
            self._lost.add(row_id)
            logger.info("row %s: taken over by another worker (%s)", row_id, exc)
        finally:
            self._active.pop(row_id, None)
            if row_id in self._lost:
                # If this worker claimed it back meanwhile, let it go: the row must not sit
                # held by a worker that does not work it.
                self._to_release.append(row_id)
            self._wake.set()

    def _droppable(self, row_id: str) -> anyio.CancelScope:
        """A scope the heartbeat cancels when the row's lease went to another worker."""
        scope = anyio.CancelScope()
        if row_id in self._lost:
            scope.cancel()
        self._active[row_id] = scope
        return scope

    async def _heartbeats(self, journal: FleetJournal, worker: int) -> None:
        while True:
            await anyio.sleep(self.lease / 3)
            release, self._to_release = self._to_release, []
            # Rows claimed while the heartbeat runs are not in its answer: check only these.
            working = list(self._active)
            try:
                if release:
                    await anyio.to_thread.run_sync(journal.release, worker, release)
                held = await anyio.to_thread.run_sync(
                    lambda: journal.heartbeat(worker, lease=self.lease)
                )
                await self._share_rate(journal)
            except JournalError as exc:
                logger.warning("fleet worker %d: heartbeat failed: %s", worker, exc)
                continue
            for row_id in working:
                scope = self._active.get(row_id)
                if row_id in self._active and row_id not in held:
                    logger.warning("row %s: lease lost; another worker takes it over", row_id)
                    self._lost.add(row_id)
                    if scope is not None:
                        scope.cancel()

    async def _live_workers(self, journal: FleetJournal) -> int:
        """Workers not retired whose heartbeat is younger than a lease (the newest's clock)."""
        workers: Collection[_Worker] = await anyio.to_thread.run_sync(journal.workers)
        newest = max((w.heartbeat for w in workers), default=0.0)
        return sum(1 for w in workers if w.stopped is None and newest - w.heartbeat < self.lease)

    async def _share_rate(self, journal: FleetJournal) -> None:
        """Each live worker takes an equal share of every session's configured rate."""
        live = await self._live_workers(journal)
        for session, rate in self._base_rates.items():
            if rate is not None:
                session.budget.set_max_rate(rate / max(1, live))
