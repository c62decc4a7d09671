"""What the batch runner reports: one outcome per row, and progress counts."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence

from attrs import frozen

from .._errors import JobFailed, JobNotFound
from .._jobmodels import JobResult
from .journal import FileRecord, JournalRow, RowState
from .providers import result_is_file

__all__ = [
    "BatchOutcome",
    "BatchProgress",
    "OutcomeState",
    "describe",
    "failure_reason",
    "first_leaf",
    "needs_files",
    "outcome_of",
    "recorded_result",
    "results_of",
]


class OutcomeState(enum.StrEnum):
    """How a row ended, for this run."""

    #: Every job completed; its results are downloaded (or, with ``download=False``, known;
    #: a result that is not a file, such as a moderation verdict, is done once recorded).
    DONE = "done"
    #: A job failed, or the server refused the row for good. A re-run does not retry it.
    FAILED = "failed"
    #: The create answer was lost: the job may exist and may be billed. A re-run lists it and
    #: does not create it again unless asked to (``retry_unknown``).
    UNKNOWN = "unknown"
    #: Not finished (stopped, deadline passed, refused for now, download failed): a re-run
    #: resumes it.
    INCOMPLETE = "incomplete"


@frozen(slots=True)
class BatchOutcome:
    """What became of one manifest row.

    Attributes:
        row_id: the row's id.
        family: its family name.
        state: see :class:`OutcomeState`.
        job_ids: its Akool job ids (empty if never created).
        files: the result files downloaded and verified, in job order.
        urls: the result URLs known, in job order (valid 7 days after completion).
        error: why the row failed or is not finished, if it is not DONE.
        warnings: e.g. results close to their 7-day expiry.
        resumed: the row was already in this state before this run; nothing was sent for it.
        results: for a family whose result is not a file (moderation), the results themselves
            in job order (text; JSON for data), as journaled; nothing is downloaded for them.
    """

    row_id: str
    family: str
    state: OutcomeState
    job_ids: tuple[str, ...] = ()
    files: tuple[FileRecord, ...] = ()
    urls: tuple[str, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    resumed: bool = False
    results: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the row is DONE."""
        return self.state is OutcomeState.DONE


@frozen(slots=True)
class BatchProgress:
    """Rows per phase, at one moment. The phases add up to ``total``.

    Attributes:
        total: rows in the manifest.
        pending: not created yet.
        creating: create request in flight.
        queueing: created, waiting at Akool.
        processing: being generated.
        downloading: results being downloaded.
        done, failed, unknown, incomplete: finished rows, by outcome.
        created: rows with job ids (this run's and earlier runs').
        skipped: rows that were already finished before this run.
        elapsed: clock seconds since the run started.
    """

    total: int
    pending: int = 0
    creating: int = 0
    queueing: int = 0
    processing: int = 0
    downloading: int = 0
    done: int = 0
    failed: int = 0
    unknown: int = 0
    incomplete: int = 0
    created: int = 0
    skipped: int = 0
    elapsed: float = 0.0

    @property
    def finished(self) -> int:
        """Rows with an outcome."""
        return self.done + self.failed + self.unknown + self.incomplete


def outcome_of(
    row: JournalRow,
    *,
    download: bool,
    problems: Sequence[str] = (),
    warnings: Sequence[str] = (),
    resumed: bool = False,
) -> BatchOutcome:
    """A row's outcome from its journal state and what went wrong in this run.

    Args:
        row: the row as journaled now.
        download: whether results must be downloaded to be done.
        problems: what stopped this run from finishing the row (timeouts, download errors).
        warnings: what the person should know (results close to expiry).
        resumed: the row was in this state before the run.
    """
    s = row.state
    error = "; ".join(problems) or row.error
    urls, results = results_of(row)
    if s is RowState.DOWNLOADED or (s is RowState.COMPLETED and not needs_files(row, download)):
        state = OutcomeState.DONE if not problems else OutcomeState.INCOMPLETE
    elif s in (RowState.FAILED, RowState.INVALID):
        state = OutcomeState.FAILED
        error = row.error or error
        if problems:
            error = f"{error}; {'; '.join(problems)}" if error else "; ".join(problems)
    elif s in (RowState.UNKNOWN, RowState.CREATING):
        state = OutcomeState.UNKNOWN
    else:
        state = OutcomeState.INCOMPLETE
        if error is None:
            error = "not finished; run again to resume"
    return BatchOutcome(
        row_id=row.row_id,
        family=row.family,
        state=state,
        job_ids=row.job_ids,
        files=row.files,
        urls=urls,
        error=None if state is OutcomeState.DONE else error,
        warnings=tuple(warnings),
        resumed=resumed,
        results=results,
    )


def needs_files(row: JournalRow, download: bool) -> bool:
    """Whether the row is done only once its result files are downloaded."""
    return download and result_is_file(row.family)


def results_of(row: JournalRow) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(result URLs, results)`` the journal holds for the row: its jobs' results are files
    at URLs, or (a family whose result is not a file) the results themselves."""
    if result_is_file(row.family):
        return row.result_urls, ()
    return (), row.result_urls


def recorded_result(result: JobResult) -> str:
    """What the journal records of a completed job: its result URL, or the result itself
    (text as it is, data as JSON) where it is not a file."""
    if result.is_file:
        return result.url
    data = result.data
    return data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str)


def first_leaf(exc: BaseException) -> BaseException:
    """The first exception of a (nested) group: what a person is told first."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe(exc: BaseException) -> str:
    """An exception as one line (its type when it has no message)."""
    return str(exc) or type(exc).__name__


def failure_reason(exc: JobFailed | JobNotFound) -> str:
    """A failed job's reason, short (the journal prefixes the job id)."""
    if isinstance(exc, JobNotFound):
        return "job not found at Akool"
    if exc.error_code is not None or exc.error_reason:
        return f"[{exc.error_code}] {exc.error_reason or 'failed'}"
    return "failed"
