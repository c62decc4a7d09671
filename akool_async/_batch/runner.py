"""The batch runner: many manifest rows, created with bounded concurrency, tracked, downloaded.

Every step is journaled (see :mod:`akool_async._batch.journal`) so a run can be stopped or killed
at any moment and run again: rows already finished are skipped, created jobs are tracked again
(never created again), and rows whose create answer was lost are reported as *unknown* and left
alone unless ``retry_unknown=True`` (which may bill them twice).

Usage::

    async with Session() as session:
        async with run_batch(session, rows, out_dir="out") as batch:
            async for outcome in batch:
                print(outcome.row_id, outcome.state, outcome.files)

A batch may mix providers: give one session per provider and each row goes to the session whose
``families`` has the row's family (one journal for the whole batch)::

    async with Session() as akool, TopViewSession() as topview:
        async with run_batch([akool, topview], rows, out_dir="out") as batch:
            ...

The runner yields exactly one :class:`BatchOutcome` per row, as rows finish (rows finished by an
earlier run first). ``batch.stop()`` ends a run gracefully: create requests already sent get
their answer journaled, nothing new starts, jobs still running are left for the next run.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self, TypedDict, Unpack

import anyio
import anyio.lowlevel
import anyio.to_thread
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .._errors import ValidationError
from .._jobmodels import JobStatus
from .._sentinel import NOT_GIVEN, NotGiven
from . import pollmodel
from .claims import RetryFailed, claim_out_dir, rows_to_retry
from .fleet import DEFAULT_LEASE, FleetJournal, FleetStage
from .journal import ChangedRows, JournalBackend, JournalError, JournalRow, RowState
from .journal.opening import is_postgres_url, open_journal
from .journal.sqlite import Journal
from .manifest import Manifest, ManifestRow, validate_rows
from .outcomes import (
    BatchOutcome,
    BatchProgress,
    OutcomeState,
    describe,
    first_leaf,
    outcome_of,
)
from .progress import Phase
from .route import route_rows
from .state import IN_FLIGHT

if TYPE_CHECKING:
    from .._base import BaseSession

__all__ = [
    "DEFAULT_BATCH_CONCURRENCY",
    "DEFAULT_JOURNAL_NAME",
    "BatchOptions",
    "BatchOutcome",
    "BatchProgress",
    "BatchRunner",
    "OutcomeState",
    "run_batch",
]

logger = logging.getLogger("akool_async.batch")

#: The journal's file name inside the output directory when none is given.
DEFAULT_JOURNAL_NAME: Final = ".akool-journal.sqlite"
#: Rows in flight at once (created and not yet finished).
DEFAULT_BATCH_CONCURRENCY: Final = 8
#: Result downloads in flight at once.
DEFAULT_DOWNLOAD_CONCURRENCY: Final = 4
#: Real seconds between two checks that the journal is still there (while nothing is written).
JOURNAL_CHECK_INTERVAL: Final = 1.0
#: Extra create attempts, within one run, for a row the server refused with "try later".
DEFAULT_CREATE_RETRIES: Final = 2

_JOURNAL_STATUS: Final = {
    RowState.QUEUEING: JobStatus.QUEUEING,
    RowState.PROCESSING: JobStatus.PROCESSING,
}


def _unwrap(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


class BatchRunner(FleetStage):
    """Runs a batch; use :func:`run_batch` (or ``session.batch``) to make one.

    Use as ``async with runner:`` then ``async for outcome in runner``. Leaving the block early
    stops the run gracefully; an exception (or cancellation) leaving it aborts at once, which may
    leave rows whose create request was in flight *unknown*.
    """

    def __init__(
        self,
        session: BaseSession | Sequence[BaseSession],
        rows: Manifest | Iterable[ManifestRow | Mapping[str, Any]],
        *,
        out_dir: str | os.PathLike[str],
        journal: JournalBackend | str | os.PathLike[str] | None = None,
        concurrency: int = DEFAULT_BATCH_CONCURRENCY,
        max_wait: float | NotGiven | None = NOT_GIVEN,
        download: bool = True,
        retry_unknown: bool = False,
        on_progress: Callable[[BatchProgress], None] | None = None,
        download_concurrency: int = DEFAULT_DOWNLOAD_CONCURRENCY,
        create_retries: int = DEFAULT_CREATE_RETRIES,
        max_running: int | None = None,
        lease: float = DEFAULT_LEASE,
        changed_rows: ChangedRows = "refuse",
        retry_failed: RetryFailed | None = None,
    ) -> None:
        """Validate every row (nothing is sent yet). See :func:`run_batch` for the arguments.

        Raises:
            ManifestError: a row is invalid, or no session serves its family (every problem is
                listed).
            ValidationError: an argument is out of range, or two sessions serve a family.
        """
        sessions = tuple(session) if isinstance(session, Sequence) else (session,)
        if not sessions:
            raise ValidationError("session", "give at least one session")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError("concurrency", f"must be an integer >= 1, got {concurrency!r}")
        if download_concurrency < 1:
            raise ValidationError("download_concurrency", "must be >= 1")
        if create_retries < 0:
            raise ValidationError("create_retries", "must be >= 0")
        if max_running is not None and (isinstance(max_running, bool) or max_running < 1):
            raise ValidationError("max_running", f"must be an integer >= 1, got {max_running!r}")
        if not lease > 0:
            raise ValidationError("lease", f"must be > 0 seconds, got {lease!r}")
        if not isinstance(max_wait, NotGiven) and max_wait is not None and not max_wait > 0:
            raise ValidationError("max_wait", "must be > 0 seconds, or None to wait forever")
        if changed_rows not in ("refuse", "recreate", "keep"):
            raise ValidationError("changed_rows", "must be 'refuse', 'recreate' or 'keep'")
        if retry_failed not in (None, "retryable", "all"):
            raise ValidationError("retry_failed", "must be None, 'retryable' or 'all'")
        manifest = rows if isinstance(rows, Manifest) else validate_rows(rows)
        super().__init__(
            sessions,
            manifest,
            route_rows(sessions, manifest.rows),
            out_dir=out_dir,
            max_wait=max_wait,
            download=download,
            create_retries=create_retries,
            on_progress=on_progress,
        )
        self._setup_fleet(max_running, lease)
        self.concurrency = concurrency
        self.retry_unknown = retry_unknown
        self.changed_rows: ChangedRows = changed_rows
        self.retry_failed: RetryFailed | None = retry_failed
        #: Failed rows sent back to pending because of ``retry_failed``.
        self.retried_failed: list[str] = []
        self._download_concurrency = download_concurrency
        self._journal_arg = journal
        if journal is not None and not isinstance(journal, str | os.PathLike):
            self._journal = journal
        self._own_journal = self._journal is None
        self._tg: TaskGroup | None = None
        self._receive: MemoryObjectReceiveStream[BatchOutcome] | None = None
        self._entered = False
        self._finished = False
        self._error: BaseException | None = None
        self._pending: list[ManifestRow] = []
        self._next_pending = 0
        self._work: TaskGroup | None = None
        #: Rows sent back to pending because of ``retry_unknown``.
        self.retried_unknown: list[str] = []

    # -- public surface --------------------------------------------------------------------------

    @property
    def journal(self) -> JournalBackend | None:
        """The journal (once the run started)."""
        return self._journal

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called (the run ended early, resumable)."""
        return self._stopping

    @property
    def halted(self) -> str | None:
        """Why no more rows are created (a refusal every create would meet), if so.

        With several sessions, a refusal stops only its own session's rows; each is listed,
        prefixed by its provider.
        """
        if not self._halts:
            return None
        if len(self.sessions) == 1:
            return next(iter(self._halts.values()))
        return "; ".join(f"{s.provider}: {reason}" for s, reason in self._halts.items())

    @property
    def error(self) -> BaseException | None:
        """What ended the run abnormally (also raised by the iterator), if anything."""
        return self._error

    @property
    def progress(self) -> BatchProgress:
        """Rows per phase, now."""
        return self._progress.snapshot()

    def stop(self, reason: str = "stopped") -> None:
        """End the run gracefully: no new create starts, creates in flight get their answers
        journaled, waits and downloads stop. Every row not finished gets an INCOMPLETE outcome.
        Safe to call more than once, from the event loop's thread.
        """
        if self._stopping:
            return
        self._stopping = True
        self._stop_reason = reason
        logger.info("batch stopping: %s", reason)
        for scope in list(self._stop_scopes):
            scope.cancel()

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError("a BatchRunner runs once; make a new one")
        self._entered = True
        self._progress.start()
        for row in self.manifest.rows:
            self._progress.set_phase(row.row_id, Phase.PENDING, notify=False)
        # Unbounded, but never more than one outcome per row.
        send, receive = anyio.create_memory_object_stream[BatchOutcome](math.inf)
        self._send, self._receive = send, receive
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        tg.start_soon(self._main, send)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        tg, self._tg = self._tg, None
        receive = self._receive
        if tg is None or receive is None:
            return None
        with receive:
            if exc is None:
                if not self._finished:
                    # Left early without an error: stop gracefully, let the run wind down.
                    self.stop("the caller stopped iterating")
                async for _ in receive:
                    pass
            else:
                tg.cancel_scope.cancel()
            try:
                return await tg.__aexit__(exc_type, exc, tb)
            except BaseExceptionGroup as group:
                # The task group wraps the caller's own exception: give it back as it was.
                if exc is not None and len(group.exceptions) == 1 and group.exceptions[0] is exc:
                    raise exc from None
                raise

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> BatchOutcome:
        if self._receive is None:
            raise RuntimeError("use `async with run_batch(...) as batch:` before iterating")
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            if self._error is not None:
                raise self._error from None
            raise StopAsyncIteration from None

    # -- the run ---------------------------------------------------------------------------------

    async def _main(self, send: MemoryObjectSendStream[BatchOutcome]) -> None:
        try:
            async with send, anyio.create_task_group() as tg:
                streams = [(s, s.events()) for s in self.sessions]
                for s, events in streams:
                    tg.start_soon(self._watch, s, events)
                tg.start_soon(self._check_journal)
                try:
                    await self._run()
                finally:
                    await pollmodel.save(self._j, self._journal, self.session)
                    for _, events in streams:
                        await events.aclose()
                    tg.cancel_scope.cancel()
        except Exception as exc:
            self._error = self._fatal or first_leaf(exc)
            logger.error("batch aborted: %s", describe(self._error))
        finally:
            self._finished = True
            if self._own_journal and self._journal is not None:
                with anyio.CancelScope(shield=True):
                    await self._j(self._journal.close)

    async def _check_journal(self) -> None:
        """Read the journal every real second while the run waits: a journal deleted or replaced
        under the run is noticed even when nothing is being written."""
        while True:
            await anyio.sleep(JOURNAL_CHECK_INTERVAL)
            journal = self._journal
            if journal is None or self._stopping:
                continue
            try:
                await self._j(journal.counts)
            except JournalError as exc:
                if self._fatal is None:
                    self._fatal = exc
                    self.stop(f"error: {exc}")

    async def _open_journal(self) -> JournalBackend:
        if self._journal is not None:
            return self._journal
        arg = self._journal_arg
        assert arg is None or isinstance(arg, str | os.PathLike)
        if arg is not None and is_postgres_url(arg):
            digest, clock = self.manifest.digest, self.session.clock
            self._journal = await anyio.to_thread.run_sync(
                lambda: open_journal(arg, manifest_digest=digest, clock=clock)
            )
            return self._journal
        memory = arg is not None and os.fspath(arg) == ":memory:"
        path = Path(arg) if arg is not None else self.storage.journal_dir() / DEFAULT_JOURNAL_NAME
        if not memory:
            await anyio.to_thread.run_sync(lambda: path.parent.mkdir(parents=True, exist_ok=True))
        self._journal = await anyio.to_thread.run_sync(
            lambda: Journal.open(":memory:" if memory else path, clock=self.session.clock)
        )
        return self._journal

    async def _run(self) -> None:
        journal = await self._open_journal()
        # One journal, one writer: a second run on it is refused before it writes anything.
        await self._j(journal.lock_writer)
        if not journal.path.startswith(":memory:"):
            await anyio.to_thread.run_sync(claim_out_dir, self.out_dir, journal.path)
        await pollmodel.load(self._j, journal, self.sessions)
        rows = self.manifest.rows
        await self._j(
            journal.add_rows,
            [(r.row_id, r.family, dict(r.fields)) for r in rows],
            changed=self.changed_rows,
        )
        wanted = self._rows.keys()
        if self.retry_failed is not None:
            await self._retry_failed(journal)
        if isinstance(journal, FleetJournal):
            await self._run_fleet(journal)
            return
        plan = await self._j(journal.to_resume)

        # An intent with no answer: the create may have reached Akool. Never sent again by itself.
        leftovers = [r.row_id for r in plan.creating if r.row_id in wanted]
        for row_id in leftovers:
            await self._j(
                journal.record_unknown,
                row_id,
                "interrupted after the create request was started; the job may exist",
            )
        unknown = [r.row_id for r in plan.unknown if r.row_id in wanted] + leftovers
        if unknown and self.retry_unknown:
            logger.warning(
                "re-creating %d row(s) whose earlier create may have succeeded; they may be "
                "billed twice: %s",
                len(unknown),
                ", ".join(unknown[:20]) + (" ..." if len(unknown) > 20 else ""),
            )
            await self._j(journal.mark_unknown_for_retry, unknown)
            self.retried_unknown = unknown
        elif unknown:
            logger.warning(
                "%d row(s) have an unknown create outcome and are not created again (use "
                "retry_unknown / --retry-unknown to create them again, at the risk of paying "
                "twice): %s",
                len(unknown),
                ", ".join(unknown[:20]) + (" ..." if len(unknown) > 20 else ""),
            )

        current = {r.row_id: r for r in await self._j(journal.rows) if r.row_id in wanted}
        if self.changed_rows == "keep":
            rows = self._kept_rows(current)
        finished = await anyio.to_thread.run_sync(
            lambda: {i for i, r in current.items() if self._finished_before(r)}
        )
        follow_up: list[JournalRow] = []
        for row in rows:
            jrow = current[row.row_id]
            state = jrow.state
            if jrow.jobs:
                self._progress.add_jobs(row.row_id, jrow.job_ids)
            if state is RowState.PENDING:
                self._pending.append(row)
            elif state is RowState.UNKNOWN:
                self.unknown_rows.append(row.row_id)
                self._progress.skipped += 1
                self._emit(outcome_of(jrow, download=self.download, resumed=True), notify=False)
            elif row.row_id in finished:
                self._progress.skipped += 1
                self._emit(outcome_of(jrow, download=self.download, resumed=True), notify=False)
            else:
                follow_up.append(jrow)
                if state in IN_FLIGHT:
                    for job in jrow.jobs:
                        self._progress.job_status[job.job_id] = _JOURNAL_STATUS.get(job.state)
                    self._progress.set_phase(row.row_id, Phase.QUEUEING, notify=False)
                    self._progress.job_phase(row.row_id, jrow.job_ids)
                else:
                    self._progress.set_phase(row.row_id, Phase.DOWNLOADING, notify=False)
        self._progress.notify()
        logger.info(
            "batch: %d rows; %d to create, %d to resume, %d already finished",
            len(rows),
            len(self._pending),
            len(follow_up),
            self._progress.skipped,
        )
        await self._start_downloads()
        async with anyio.create_task_group() as work:
            self._work = work
            for jrow in follow_up:
                work.start_soon(self._guard, self._resume_held, self._rows[jrow.row_id], jrow)
            for _ in range(min(self.concurrency, len(self._pending))):
                work.start_soon(self._guard, self._create_worker)
        # Rows never started (stopped, or a fatal refusal) still get their outcome.
        for row in self._pending[self._next_pending :]:
            reason = self._halted_for(row) or self._stop_reason or "stopped"
            self._emit(
                BatchOutcome(
                    row.row_id, row.family, OutcomeState.INCOMPLETE, error=f"not started ({reason})"
                )
            )
        await self._measure_slots(journal)
        if self._fatal is not None:
            raise self._fatal

    def _kept_rows(self, current: Mapping[str, JournalRow]) -> tuple[ManifestRow, ...]:
        """The manifest's rows, those changed since journaled as journaled (``changed_rows``
        ``"keep"``)."""
        kept = []
        for row in self.manifest.rows:
            jrow = current[row.row_id]
            if jrow.family != row.family or dict(jrow.request) != dict(row.fields):
                row = ManifestRow(row.row_id, jrow.family, jrow.request, row.source, row.line)
                self._rows[row.row_id] = row
            kept.append(row)
        return tuple(kept)

    async def _retry_failed(self, journal: JournalBackend) -> None:
        """Send the failed rows ``retry_failed`` asks for back to pending."""
        assert self.retry_failed is not None
        chosen, partial = rows_to_retry(
            await self._j(journal.rows, [RowState.FAILED]), self._rows, self.retry_failed
        )
        if partial:
            logger.warning(
                "%d failed row(s) are not created again: a job of theirs completed and would be "
                "paid twice: %s",
                len(partial),
                ", ".join(partial[:20]),
            )
        if chosen:
            await self._j(journal.mark_failed_for_retry, chosen)
            logger.info("creating %d failed row(s) again: %s", len(chosen), ", ".join(chosen[:20]))
        self.retried_failed = chosen

    async def _create_worker(self) -> None:
        while (
            not self._stopping
            and len(self._halts) < len(self.sessions)
            and self._next_pending < len(self._pending)
        ):
            row = self._pending[self._next_pending]
            self._next_pending += 1
            halted = self._halted_for(row)
            if halted is not None:
                # Its provider refuses every create; the other providers' rows go on.
                self._emit(
                    BatchOutcome(
                        row.row_id,
                        row.family,
                        OutcomeState.INCOMPLETE,
                        error=f"not started ({halted})",
                    )
                )
                continue
            async with self._slot():
                jobs = await self._create(row)
                if jobs is None:
                    continue
                results = await self._wait(jobs)
                if self.max_running is not None:  # the slot is free once the ends are journaled
                    await self._record_ends(results)
            # Out of flight: this worker's slot goes to the next row.
            self._progress.set_phase(row.row_id, Phase.DOWNLOADING)
            assert self._work is not None
            # Downloads happen outside this worker's slot: the next row can be created.
            self._work.start_soon(self._finish, row, results)


class BatchOptions(TypedDict, total=False):
    """The optional arguments of :func:`run_batch` (and ``session.batch``)."""

    journal: JournalBackend | str | os.PathLike[str] | None
    concurrency: int
    max_wait: float | NotGiven | None
    download: bool
    retry_unknown: bool
    on_progress: Callable[[BatchProgress], None] | None
    download_concurrency: int
    create_retries: int
    max_running: int | None
    lease: float
    changed_rows: ChangedRows
    retry_failed: RetryFailed | None


def run_batch(
    session: BaseSession | Sequence[BaseSession],
    rows: Manifest | Iterable[ManifestRow | Mapping[str, Any]],
    *,
    out_dir: str | os.PathLike[str],
    **options: Unpack[BatchOptions],
) -> BatchRunner:
    """Run many jobs, journaled and resumable; use as ``async with ... as batch: async for``.

    Every row is validated before anything is sent.

    Args:
        session: an open session (its rate budget, retries and clock apply), or one per
            provider (e.g. ``[akool, topview]``): each row goes to the session whose
            ``families`` has its family. The first session's clock times the run and its HTTP
            session downloads the results (result URLs need no credentials).
        rows: a :class:`Manifest`, or rows: :class:`ManifestRow` objects or mappings like a JSONL
            manifest's lines (``{"id": ..., "family": ..., <fields>}``).
        out_dir: a local directory, or an fsspec URL (``s3://bucket/prefix``) with a journal.
        journal: an open journal (:class:`Journal`, or a PostgreSQL one), a path, a
            ``postgresql://`` URL (this run is then one worker of a fleet sharing the manifest,
            see :mod:`akool_async._batch.fleet`), or None for ``out_dir/.akool-journal.sqlite``.
            A journal opened here is checked against the rows' digest and closed at the end.
        concurrency: rows in flight at once (from their create until their jobs end); this also
            bounds creates in flight. Every request still spends the session's rate budget.
        max_wait: each job's deadline in clock seconds (default: the session's); a job still
            running then is left for the next run.
        download: download result files (else a completed row is done once its URLs are
            known); results that are not files (moderation verdicts) are only journaled.
        retry_unknown: create again the rows whose earlier create answer was lost. They may
            exist already, and be billed twice.
        on_progress: called with a :class:`BatchProgress` whenever a row changes phase.
        download_concurrency: downloads in flight at once.
        create_retries: extra attempts, within this run, for a row refused with "try later".
        max_running: at most this many jobs on the server at once (created and not ended), so
            an interrupted batch leaves few billed jobs behind; with a PostgreSQL journal the
            limit holds for the whole fleet. ``batch.slot_usage`` then says how slots were used.
        lease: real seconds a fleet worker's claim on a row lasts without a heartbeat (a worker
            that dies loses its rows after this); PostgreSQL journals only.
        changed_rows: what to do with rows journaled by an earlier run whose family or fields
            changed since: ``"refuse"`` (ManifestError-like RowsChanged naming each, nothing
            sent), ``"recreate"`` (create them again with the new fields), ``"keep"`` (keep what
            was journaled). New rows are always created; finished rows stay finished.
        retry_failed: create again the rows an earlier run left FAILED: ``"retryable"`` (those
            the provider said to try again later, e.g. Akool's 1015/1205/1211) or ``"all"``.
            A row with a completed job is not created again.

    Returns:
        The runner (an async context manager and async iterator of :class:`BatchOutcome`).

    Raises:
        ManifestError: a row is invalid, or no session serves its family (every problem is
            listed); nothing was sent.
        ValidationError: an argument is out of range, or two sessions serve one family.
        JournalLocked: (when the run starts) another process writes the journal.
        OutDirTaken: (when the run starts) another journal's batch owns ``out_dir``.
    """
    return BatchRunner(session, rows, out_dir=out_dir, **options)
