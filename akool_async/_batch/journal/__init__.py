"""The batch journal's backend-neutral part: row states, records, errors, the backend interface.

The batch runner writes its *intent* (``begin_create``) before each create request and the job
ids (``record_created``) right after the answer. A re-run therefore knows, for every manifest row,
whether it was never sent (create it), sent with no recorded answer (the job may exist and may be
billed: never re-create it automatically), or created (poll its job ids again).

A row's state is *derived* from its jobs once it has some (see :func:`derive_row_state`), so it
cannot disagree with them. Before that it moves through::

    PENDING --begin_create--> CREATING --record_created--> CREATED (then derived from jobs)
       ^  |                     |  |
       |  +--record_invalid--> INVALID
       |                        |  +--record_unknown--> UNKNOWN --mark_unknown_for_retry--> PENDING
       +------record_refused----+      (refused permanently: FAILED)

A journal never stores credentials: request bodies whose keys look like an API key, a token or a
client secret are refused, and the same keys are redacted from the raw create
answers it keeps.

:class:`JournalBackend` is what the runner needs of a journal; :mod:`.sqlite` implements it in one
SQLite file (:class:`~akool_async.Journal`). Another backend (e.g. PostgreSQL, for several hosts
sharing one batch) implements the same protocol in its own module.
"""

from __future__ import annotations

import enum
import json
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Literal, Protocol, Self, TypeVar

from attrs import frozen

from ..._errors import AkoolError

__all__ = [
    "ChangedRows",
    "Event",
    "FileRecord",
    "JobRecord",
    "JournalBackend",
    "JournalCorrupt",
    "JournalError",
    "JournalLocked",
    "JournalLost",
    "JournalRow",
    "ManifestMismatch",
    "ResumePlan",
    "RowConflict",
    "RowState",
    "RowsChanged",
    "SecretInRequest",
    "StateError",
    "UnknownRow",
    "derive_row_state",
]


class RowState(enum.StrEnum):
    """Where a manifest row (or one of its jobs) stands."""

    #: Never sent (or refused and waiting to be sent again).
    PENDING = "pending"
    #: Intent written, answer not yet recorded. After a crash this means "outcome unknown".
    CREATING = "creating"
    #: Job ids known; not yet seen queueing.
    CREATED = "created"
    QUEUEING = "queueing"
    PROCESSING = "processing"
    #: Every job has a result URL.
    COMPLETED = "completed"
    #: Every job's result file is on disk and verified.
    DOWNLOADED = "downloaded"
    #: A job failed (once none is in flight), or the server refused the row for good.
    FAILED = "failed"
    #: The create answer was lost: the job may exist and may be billed.
    UNKNOWN = "unknown"
    #: The row itself is unusable (rejected before any request).
    INVALID = "invalid"


# How far along a job is; a status report that would move a job backwards is stale and ignored.
_JOB_RANK: Final[Mapping[RowState, int]] = {
    RowState.CREATED: 0,
    RowState.QUEUEING: 1,
    RowState.PROCESSING: 2,
    RowState.COMPLETED: 3,
    RowState.FAILED: 3,
    RowState.DOWNLOADED: 4,
}
_IN_FLIGHT: Final = frozenset({RowState.CREATED, RowState.QUEUEING, RowState.PROCESSING})
_STATUS_STATES: Final = frozenset(_IN_FLIGHT | {RowState.COMPLETED, RowState.FAILED})

#: What ``add_rows`` does with a row journaled before with another family or request: refuse
#: the whole call (naming every such row), create it again with the new request (its earlier
#: jobs stay in the events), or keep the journaled request.
ChangedRows = Literal["refuse", "recreate", "keep"]

T = TypeVar("T")

_SHA256_RE: Final = re.compile(r"[0-9a-f]{64}")
_REDACTED: Final = "[redacted]"


def _state_of(value: Any, what: str) -> RowState:
    """A stored state, or JournalCorrupt naming ``what`` (e.g. ``row 'a'``)."""
    try:
        return RowState(value)
    except ValueError:
        raise JournalCorrupt(
            f"{what} has an unknown state {value!r} (written by another program or version?)"
        ) from None


def derive_row_state(job_states: Sequence[RowState]) -> RowState:
    """The state of a row from the states of its jobs (in job order).

    While any job is in flight the row takes the least advanced in-flight state, so it is still
    polled and the results of its other jobs are still fetched. Once every job is terminal: FAILED
    if any failed, DOWNLOADED if all were downloaded, else COMPLETED.

    Args:
        job_states: one state per job; must not be empty.

    Returns:
        The row's state.
    """
    if not job_states:
        raise ValueError("a row with jobs needs at least one job state")
    in_flight = [s for s in job_states if s in _IN_FLIGHT]
    if in_flight:
        return min(in_flight, key=_JOB_RANK.__getitem__)
    if RowState.FAILED in job_states:
        return RowState.FAILED
    if all(s is RowState.DOWNLOADED for s in job_states):
        return RowState.DOWNLOADED
    return RowState.COMPLETED


# -- errors ------------------------------------------------------------------------------------


class JournalError(AkoolError):
    """The journal cannot do what was asked (closed, corrupt, not a journal, newer schema ...)."""


class ManifestMismatch(JournalError):
    """The journal was made for another manifest (its digest differs)."""

    def __init__(self, path: str, journaled: str, given: str) -> None:
        self.path = path
        self.journaled = journaled
        self.given = given
        super().__init__(
            f"journal {path} was made for manifest digest {journaled}, not {given}; use a new "
            "journal for a new manifest, or open it with allow_manifest_change=True"
        )


class RowConflict(JournalError, ValueError):
    """A row id is already journaled with another family or request body."""

    def __init__(self, row_id: str, detail: str) -> None:
        self.row_id = row_id
        super().__init__(f"row {row_id!r}: {detail}")


class RowsChanged(RowConflict):
    """Rows already journaled are given with another family or request (nothing was written).

    Attributes:
        changes: row id -> what differs, for every such row, in manifest order.
    """

    def __init__(self, changes: Mapping[str, str]) -> None:
        self.changes = dict(changes)
        first = next(iter(self.changes))
        listed = "; ".join(f"{row_id!r}: {d}" for row_id, d in list(self.changes.items())[:20])
        more = len(self.changes) - 20
        JournalError.__init__(
            self,
            f"{len(self.changes)} row(s) changed since they were journaled: {listed}"
            + (f"; and {more} more" if more > 0 else ""),
        )
        self.row_id = first


class JournalLocked(JournalError):
    """Another live process is writing this journal (one journal has one writer).

    Attributes:
        path: the journal.
        holder: what the lock says of its holder (``pid``, ``host``, ``since``), may be empty.
    """

    def __init__(self, path: str, holder: Mapping[str, Any], described: str) -> None:
        self.path = path
        self.holder = dict(holder)
        super().__init__(
            f"journal {path} is in use by {described}; one journal has one writer: wait for that "
            "run to end (or stop it) and run again"
        )


class JournalLost(JournalError):
    """The journal file was deleted or replaced while open: nothing more can be recorded."""


class JournalCorrupt(JournalError):
    """The journal holds something this version cannot read (an unknown state, bad JSON)."""


class SecretInRequest(JournalError, ValueError):
    """A request body holds something that looks like a credential; it was not stored."""

    def __init__(self, row_id: str, where: str) -> None:
        self.row_id = row_id
        self.where = where
        super().__init__(
            f"row {row_id!r}: request field {where!r} looks like a credential; "
            "the journal never stores API keys, tokens or client secrets"
        )


class UnknownRow(JournalError, LookupError):
    """No such row id (or job id) in the journal."""


class StateError(JournalError):
    """The operation does not apply to a row (or job) in its current state."""

    def __init__(self, row_id: str, state: RowState, operation: str) -> None:
        self.row_id = row_id
        self.state = state
        self.operation = operation
        super().__init__(f"row {row_id!r} is {state.value}: cannot {operation}")


# -- records -----------------------------------------------------------------------------------


@frozen(slots=True)
class FileRecord:
    """A downloaded, verified result file."""

    job_id: str
    path: str
    size: int
    sha256: str


@frozen(slots=True)
class JobRecord:
    """One Akool job of a row."""

    job_id: str
    state: RowState
    #: The result file's URL; for a family whose result is not a file (moderation), the
    #: result itself (text; JSON for data).
    result_url: str | None
    error: str | None
    #: Wall seconds when the job was first seen completed (its result expires RESULT_TTL later).
    completed_at: float | None
    file: FileRecord | None


@frozen(slots=True)
class JournalRow:
    """A manifest row as journaled."""

    row_id: str
    family: str
    #: The create body fields, as given by the manifest.
    request: Mapping[str, Any]
    state: RowState
    #: How many create requests were started (``begin_create`` calls).
    attempts: int
    #: In creation order; empty until created.
    jobs: tuple[JobRecord, ...]
    #: The row's last problem (refusal, lost answer) or its jobs' failure reasons.
    error: str | None
    created_at: float
    updated_at: float

    @property
    def job_ids(self) -> tuple[str, ...]:
        """Every job id of the row, in creation order."""
        return tuple(j.job_id for j in self.jobs)

    @property
    def result_urls(self) -> tuple[str, ...]:
        """The result URLs known so far (the results themselves where they are not files), in
        job order."""
        return tuple(j.result_url for j in self.jobs if j.result_url is not None)

    @property
    def files(self) -> tuple[FileRecord, ...]:
        """The files downloaded so far, in job order."""
        return tuple(j.file for j in self.jobs if j.file is not None)

    @property
    def completed_at(self) -> float | None:
        """When the earliest job completed (the first result to expire), or None."""
        times = [j.completed_at for j in self.jobs if j.completed_at is not None]
        return min(times) if times else None


@frozen(slots=True)
class Event:
    """One transition, for the report."""

    seq: int
    at: float
    row_id: str
    job_id: str | None
    state: RowState
    detail: str | None


@frozen(slots=True)
class ResumePlan:
    """What a re-run must do with each row. Every row is in exactly one bucket."""

    #: Never created: create them.
    pending: tuple[JournalRow, ...]
    #: Intent written but no answer recorded: treat as UNKNOWN, never re-create automatically.
    creating: tuple[JournalRow, ...]
    #: CREATED / QUEUEING / PROCESSING: poll again by job id.
    tracked: tuple[JournalRow, ...]
    #: COMPLETED: download the results.
    to_download: tuple[JournalRow, ...]
    #: DOWNLOADED: nothing left to do.
    done: tuple[JournalRow, ...]
    failed: tuple[JournalRow, ...]
    unknown: tuple[JournalRow, ...]
    invalid: tuple[JournalRow, ...]

    @property
    def downloads(self) -> tuple[tuple[JournalRow, JobRecord], ...]:
        """Every completed job without a file, including those of rows that failed elsewhere."""
        return tuple(
            (row, job)
            for row in (*self.to_download, *self.failed)
            for job in row.jobs
            if job.state is RowState.COMPLETED
        )


# -- credentials guard -------------------------------------------------------------------------


def _looks_secret(key: str) -> bool:
    norm = "".join(ch for ch in key.lower() if ch.isalnum())
    return norm in {"authorization", "password", "secret"} or norm.endswith(
        ("apikey", "token", "clientsecret")
    )


def _scrub(value: Any, found: list[str], where: str = "") -> Any:
    """A copy of a JSON-like value with credential-like entries redacted; their paths go to found.

    Credential-like: a key named like an API key, token, client secret or authorization, or a
    string value starting with ``Bearer``.
    """
    if isinstance(value, Mapping):
        copy = {}
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and _looks_secret(key):
                found.append(path)
                copy[key] = _REDACTED
            else:
                copy[key] = _scrub(item, found, path)
        return copy
    if isinstance(value, list | tuple):
        return [_scrub(item, found, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, str) and value[:7].lower() == "bearer ":
        found.append(where)
        return _REDACTED
    return value


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


# -- the interface every backend implements ------------------------------------------------------


class JournalBackend(Protocol):
    """What the batch runner asks of a journal (every method is one short blocking transaction,
    run by the runner in a worker thread; implementations serialise their own calls)."""

    @property
    def path(self) -> str:
        """Where the journal lives (a file path, a DSN without its password...)."""
        ...

    def close(self) -> None:
        """Release the journal; safe to call twice."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def lock_writer(self) -> None:
        """Become the journal's only writer until :meth:`close` (again: a no-op).

        Raises:
            JournalLocked: another live process holds it (a dead one's lock is taken over).
        """
        ...

    def add_rows(
        self,
        rows: Iterable[tuple[str, str, Mapping[str, Any]]],
        *,
        changed: ChangedRows = "refuse",
    ) -> int:
        """Record ``(row_id, family, request)`` rows not yet known; how many were new.

        Rows already journaled with the same family and request are left as they are; rows
        journaled with another one are handled as ``changed`` says (RowsChanged if refused).
        """
        ...

    def begin_create(self, row_id: str) -> int:
        """Record the intent to create a PENDING row; the attempt number."""
        ...

    def begin_creates(self, row_ids: Sequence[str]) -> list[int | JournalError]:
        """Record the intents of many PENDING rows with one durable commit; per row, its
        attempt number or the error that left it unchanged (the commit failing raises)."""
        ...

    def grouped(self, calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
        """Run several of this journal's own calls in one transaction with one durable commit;
        each call is all-or-nothing on its own and gives its result or its exception."""
        ...

    def record_created(
        self, row_id: str, job_ids: Sequence[str], raw: Mapping[str, Any] | None = None
    ) -> None:
        """Record the jobs a create answer started."""
        ...

    def record_unknown(self, row_id: str, reason: str) -> None:
        """A create was (maybe) sent and its answer lost."""
        ...

    def record_refused(self, row_id: str, reason: str, *, permanent: bool = False) -> None:
        """The server refused the create (back to PENDING, or FAILED if permanent)."""
        ...

    def record_invalid(self, row_id: str, reason: str) -> None:
        """The row can never be created."""
        ...

    def record_status(
        self,
        job_id: str,
        state: RowState,
        *,
        result_url: str | None = None,
        error: str | None = None,
    ) -> RowState:
        """Record a job's status; the row's state afterwards (derived from all its jobs)."""
        ...

    def record_download(
        self, job_id: str, path: str | os.PathLike[str], size: int, sha256: str
    ) -> RowState:
        """Record a job's verified result file; the row's state afterwards."""
        ...

    def mark_unknown_for_retry(self, row_ids: Iterable[str]) -> int:
        """Send UNKNOWN (or CREATING) rows back to PENDING; how many moved."""
        ...

    def mark_failed_for_retry(self, row_ids: Iterable[str]) -> int:
        """Send FAILED rows back to PENDING (their failed jobs stay in the events); how many."""
        ...

    def rows(self, states: Collection[RowState] | None = None) -> list[JournalRow]:
        """Every row (in manifest order), optionally only those in ``states``."""
        ...

    def row(self, row_id: str) -> JournalRow | None:
        """One row, or None."""
        ...

    def counts(self) -> dict[RowState, int]:
        """Rows per state."""
        ...

    def to_resume(self) -> ResumePlan:
        """What a re-run must do, by row state."""
        ...

    def events(self, *, row_id: str | None = None, after: int = 0) -> list[Event]:
        """Journaled transitions, oldest first."""
        ...

    def manifest_digest(self) -> str | None:
        """The manifest digest the journal was made for, if one was given."""
        ...

    def meta(self, key: str) -> str | None:
        """The value stored under ``key`` (e.g. ``"poll_model"``), or None."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (replacing any)."""
        ...
