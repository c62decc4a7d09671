"""The tracking stage of a batch run: journal job transitions, wait for the jobs, download the
results, emit the row's outcome; and resume rows whose jobs an earlier run created."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import anyio

from .._errors import AkoolError, AuthenticationError, EventsLagged, JobFailed, JobNotFound
from .._job import Job
from .._jobmodels import JobResult, JobStatus
from .files import download_row
from .journal import JournalError, JournalRow, RowState, StateError, UnknownRow
from .manifest import ManifestRow
from .outcomes import describe, failure_reason, needs_files, outcome_of, recorded_result
from .progress import Phase
from .state import IN_FLIGHT, RunState

if TYPE_CHECKING:
    from .._base import BaseSession
    from .._events import EventStream

__all__ = ["TrackStage"]

logger = logging.getLogger("akool_async.batch")

_EVENT_STATE: Final = {
    JobStatus.QUEUEING: RowState.QUEUEING,
    JobStatus.PROCESSING: RowState.PROCESSING,
}


class TrackStage(RunState):
    """Waits for created jobs, journals how they end, downloads their results."""

    def _finished_before(self, jrow: JournalRow) -> bool:
        """Whether an earlier run left nothing to do for the row (blocking: checks files)."""
        state = jrow.state
        files = needs_files(jrow, self.download)  # not for results that are not files
        if state is RowState.INVALID:
            return True
        if state is RowState.FAILED:
            return not any(j.state is RowState.COMPLETED for j in jrow.jobs) or not files
        if state is RowState.DOWNLOADED:
            return self.storage.intact(jrow.files)
        return state is RowState.COMPLETED and not files

    async def _watch(self, session: BaseSession, events: EventStream) -> None:
        """Journal and count the status transitions of this batch's jobs at ``session``.

        Intermediate statuses only: each job's end is journaled from its own result, so a
        stream that lagged (the journal fell behind) loses progress detail, never an outcome.
        """
        while True:
            try:
                event = await events.receive()
            except EventsLagged as exc:
                logger.debug("batch progress skipped %d status events", exc.missed)
                continue
            except anyio.EndOfStream:
                return
            row_id = self._progress.job_row.get(event.job_id)
            if row_id is None or self._route[row_id] is not session:
                continue
            self._progress.job_status[event.job_id] = event.status
            self._progress.job_phase(row_id, self._progress.row_jobs[row_id])
            state = _EVENT_STATE.get(event.status)
            journal = self._journal
            if state is not None and journal is not None:
                try:
                    await self._j(journal.record_status, event.job_id, state)
                except (StateError, UnknownRow) as exc:
                    logger.warning("journal: %s", exc)
                except JournalError as exc:  # lost, full, broken: nothing more can be recorded
                    if self._fatal is None:
                        self._fatal = exc
                        self.stop(f"error: {exc}")

    async def _wait(self, jobs: Sequence[Job]) -> dict[str, JobResult | BaseException]:
        """Wait for the jobs to end (or the run to stop); what each ended with."""
        results: dict[str, JobResult | BaseException] = {}
        with self._stoppable() as scope:
            try:
                for job in jobs:
                    try:
                        results[job.id] = await job
                    except AkoolError as exc:
                        results[job.id] = exc
            finally:
                self._stop_scopes.discard(scope)
        return results

    async def _resume_row(self, row: ManifestRow, jrow: JournalRow) -> None:
        """Track the row's jobs still in flight (created by an earlier run), then finish it."""
        jobs: list[Job] = []
        refused: dict[str, JobResult | BaseException] = {}
        for record in jrow.jobs:
            if record.state in IN_FLIGHT:
                try:
                    job = self._route[row.row_id].track(
                        record.job_id, family=row.family, max_wait=self.max_wait
                    )
                except AkoolError as exc:  # e.g. the session tracks its maximum of jobs
                    refused[record.job_id] = exc
                    continue
                self._progress.job_status[job.id] = job.status
                jobs.append(job)
        results = await self._wait(jobs) if jobs else {}
        await self._finish(row, {**refused, **results})

    async def _record_ends(self, results: Mapping[str, JobResult | BaseException]) -> list[str]:
        """Journal how each job ended; the problems of jobs that did not end."""
        journal = self._journal
        assert journal is not None
        problems: list[str] = []
        for job_id, result in results.items():
            if isinstance(result, JobResult):
                # A result that is not a file (a moderation verdict) is journaled itself.
                await self._j(
                    journal.record_status,
                    job_id,
                    RowState.COMPLETED,
                    result_url=recorded_result(result),
                )
            elif isinstance(result, JobFailed | JobNotFound):
                await self._j(
                    journal.record_status, job_id, RowState.FAILED, error=failure_reason(result)
                )
            else:
                problems.append(f"{job_id}: {describe(result)}")
                if isinstance(result, AuthenticationError) and self.auth_error is None:
                    self.auth_error = result
                    self.stop(f"credentials refused: {describe(result)}")
        return problems

    async def _finish(
        self, row: ManifestRow, results: Mapping[str, JobResult | BaseException]
    ) -> None:
        """Journal how the jobs ended, download the results, emit the row's outcome."""
        journal = self._journal
        assert journal is not None
        problems = await self._record_ends(results)
        jrow = await self._j(journal.row, row.row_id)
        assert jrow is not None
        warnings: list[str] = []
        if needs_files(jrow, self.download) and not self._stopping:
            self._progress.set_phase(row.row_id, Phase.DOWNLOADING)
            with self._stoppable() as scope:
                try:
                    assert self._downloader is not None
                    problems += await download_row(
                        self._downloader,
                        lambda *a: self._j(journal.record_download, *a),
                        row,
                        jrow,
                        now=self.session.clock.wall(),
                        warnings=warnings,
                        storage=self.storage,
                    )
                finally:
                    self._stop_scopes.discard(scope)
            if scope.cancelled_caught:
                problems.append("download interrupted")
            jrow = await self._j(journal.row, row.row_id)
            assert jrow is not None
        if self._stopping and jrow.state in IN_FLIGHT:
            problems.append("interrupted; run again to resume")
        self._emit(outcome_of(jrow, download=self.download, problems=problems, warnings=warnings))
