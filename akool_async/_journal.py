"""The durable batch journal: one SQLite file that outlives crashes, SIGKILL and power loss.

The batch runner writes its *intent* (:meth:`Journal.begin_create`) before each create request and
the job ids (:meth:`Journal.record_created`) right after the answer. A re-run therefore knows, for
every manifest row, whether it was never sent (create it), sent with no recorded answer (the job may
exist and may be billed: never re-create it automatically), or created (poll its job ids again).

Layout: ``rows`` holds one manifest row each (its request body, its state, its attempts), ``jobs``
one Akool job each (a translation into several languages creates several jobs for one row) with its
result URL and downloaded file, ``events`` every transition for the report, ``meta`` the manifest
digest. The schema version lives in ``PRAGMA user_version``.

A row's state is *derived* from its jobs once it has some (see :func:`derive_row_state`), so it
cannot disagree with them. Before that it moves through::

    PENDING --begin_create--> CREATING --record_created--> CREATED (then derived from jobs)
       ^  |                     |  |
       |  +--record_invalid--> INVALID
       |                        |  +--record_unknown--> UNKNOWN --mark_unknown_for_retry--> PENDING
       +------record_refused----+      (refused permanently: FAILED)

The journal never stores credentials: request bodies whose keys look like an API key, a token or a
client secret are refused, and the same keys are redacted from the raw create answers it keeps.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Final, Self

from attrs import frozen

from ._clock import Clock, SystemClock
from ._errors import AkoolError

__all__ = [
    "Event",
    "FileRecord",
    "JobRecord",
    "Journal",
    "JournalError",
    "JournalRow",
    "ManifestMismatch",
    "ResumePlan",
    "RowConflict",
    "RowState",
    "SecretInRequest",
    "StateError",
    "UnknownRow",
    "derive_row_state",
]

logger = logging.getLogger("akool_async")

#: Bump with a migration in :meth:`Journal._migrate` whenever the schema changes.
SCHEMA_VERSION: Final = 1


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

_SHA256_RE: Final = re.compile(r"[0-9a-f]{64}")
_REDACTED: Final = "[redacted]"


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
        """The result URLs known so far, in job order."""
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


# -- the journal -------------------------------------------------------------------------------

_SCHEMA: Final = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE rows (
    seq INTEGER PRIMARY KEY,
    row_id TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    create_response TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX rows_by_state ON rows (state);
CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    row_id TEXT NOT NULL REFERENCES rows (row_id),
    idx INTEGER NOT NULL,
    state TEXT NOT NULL,
    result_url TEXT,
    error TEXT,
    completed_at REAL,
    updated_at REAL NOT NULL,
    file_path TEXT,
    file_size INTEGER,
    file_sha256 TEXT,
    UNIQUE (row_id, idx)
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    row_id TEXT NOT NULL,
    job_id TEXT,
    state TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX events_by_row ON events (row_id);
"""
_TABLES: Final = frozenset({"meta", "rows", "jobs", "events"})

_ROW_COLUMNS: Final = "row_id, family, request, state, attempts, error, created_at, updated_at"
_JOB_COLUMNS: Final = (
    "row_id, job_id, state, result_url, error, completed_at, file_path, file_size, file_sha256"
)


class Journal:
    """The batch runner's durable record of every manifest row and job.

    Every method is a short synchronous SQLite call, safe to run from any thread (calls are
    serialised by a lock), e.g. through ``anyio.to_thread.run_sync``. Every write is one
    transaction. Open with :meth:`open`; use as a context manager or call :meth:`close`.
    """

    __slots__ = ("_clock", "_closed", "_conn", "_lock", "_path")

    def __init__(self, conn: sqlite3.Connection, path: str, clock: Clock) -> None:
        """Use :meth:`open`."""
        self._conn = conn
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        manifest_digest: str | None = None,
        allow_manifest_change: bool = False,
        clock: Clock | None = None,
        busy_timeout: float = 10.0,
    ) -> Journal:
        """Open (creating if needed) the journal at ``path``.

        Args:
            path: the SQLite file (``":memory:"`` for a throwaway journal).
            manifest_digest: a digest of the manifest; a journal made for another digest is
                refused. ``None`` skips the check (and records nothing).
            allow_manifest_change: accept (and record) a different manifest digest.
            clock: source of the wall timestamps (default: real time).
            busy_timeout: real seconds to wait for another connection's write lock.

        Returns:
            The open journal.

        Raises:
            ManifestMismatch: the journal belongs to another manifest.
            JournalError: the file is not a journal, or was written by a newer schema.
        """
        spath = os.fspath(path)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly
            # one method call. check_same_thread=False: the runner may call from worker threads;
            # self._lock serialises use of the connection.
            conn = sqlite3.connect(
                spath, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {spath}: {exc}") from exc
        try:
            # synchronous=FULL, not NORMAL. In WAL mode NORMAL already survives a process crash
            # (SIGKILL), but a power loss or OS crash can drop the last commits. Losing a
            # begin_create that way would turn a row whose create request was sent back into
            # PENDING and bill it twice on the re-run; losing record_created loses the only handle
            # on a paid job. FULL fsyncs the WAL on every commit; that is one fsync per write,
            # negligible next to the HTTP request each write stands for.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA fullfsync=ON")  # macOS: fsync alone does not reach the platter
            conn.execute("PRAGMA foreign_keys=ON")
            journal = cls(conn, spath, clock if clock is not None else SystemClock())
            journal._migrate()
            # WAL lets reports read while the runner writes. Set after _migrate, so a foreign
            # SQLite file is refused before anything about it changes.
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode not in ("wal", "memory"):
                logger.warning(
                    "journal is not in WAL mode; readers will block the writer",
                    extra={"journal": spath, "journal_mode": mode},
                )
            journal._check_manifest(manifest_digest, allow_change=allow_manifest_change)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise JournalError(f"cannot use journal {spath}: {exc}") from exc
            raise
        return journal

    @property
    def path(self) -> str:
        """The journal's file path."""
        return self._path

    def close(self) -> None:
        """Close the journal; safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({self._path!r})"

    # -- plumbing ------------------------------------------------------------------------------

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: IMMEDIATE (write lock up front) for writes, a snapshot for reads."""
        with self._lock:
            if self._closed:
                raise JournalError(f"journal {self._path} is closed")
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                    conn.execute("COMMIT")
                finally:
                    # SQLite may already have rolled back by itself (disk full, I/O error).
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self._path}: {exc}") from exc

    def _migrate(self) -> None:
        # Look first without the write lock, so opening a reader never waits for the runner.
        with self._tx(write=False) as c:
            if c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return
        with self._tx() as c:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:  # another process created it meanwhile
                return
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"journal {self._path} has schema version {version}; this akool_async "
                    f"understands up to {SCHEMA_VERSION}: upgrade akool_async"
                )
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables - _TABLES or (version == 0 and tables):
                raise JournalError(f"{self._path} is an SQLite file but not an akool_async journal")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    c.execute(statement)
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('created_at', ?)",
                (repr(self._clock.wall()),),
            )
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_manifest(self, digest: str | None, *, allow_change: bool) -> None:
        if digest is None:
            return
        with self._tx() as c:
            found = c.execute("SELECT value FROM meta WHERE key='manifest_digest'").fetchone()
            if found is not None and found[0] == digest:
                return
            if found is not None and not allow_change:
                raise ManifestMismatch(self._path, found[0], digest)
            c.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('manifest_digest', ?)", (digest,)
            )

    def _event(
        self,
        c: sqlite3.Connection,
        now: float,
        row_id: str,
        job_id: str | None,
        state: RowState,
        detail: str | None = None,
    ) -> None:
        c.execute(
            "INSERT INTO events (at, row_id, job_id, state, detail) VALUES (?, ?, ?, ?, ?)",
            (now, row_id, job_id, state.value, detail),
        )

    @staticmethod
    def _row_state(c: sqlite3.Connection, row_id: str) -> RowState:
        found = c.execute("SELECT state FROM rows WHERE row_id=?", (row_id,)).fetchone()
        if found is None:
            raise UnknownRow(f"no row {row_id!r} in the journal")
        return RowState(found[0])

    def _set_row(
        self,
        c: sqlite3.Connection,
        now: float,
        row_id: str,
        state: RowState,
        error: str | None,
    ) -> None:
        c.execute(
            "UPDATE rows SET state=?, error=?, updated_at=? WHERE row_id=?",
            (state.value, error, now, row_id),
        )
        self._event(c, now, row_id, None, state, error)

    def _rederive(self, c: sqlite3.Connection, now: float, row_id: str) -> RowState:
        """Store the row state derived from its jobs (and log it if it changed)."""
        old = self._row_state(c, row_id)
        states = [
            RowState(s)
            for (s,) in c.execute("SELECT state FROM jobs WHERE row_id=? ORDER BY idx", (row_id,))
        ]
        new = derive_row_state(states)
        if new is not old:
            c.execute(
                "UPDATE rows SET state=?, updated_at=? WHERE row_id=?", (new.value, now, row_id)
            )
            self._event(c, now, row_id, None, new)
        return new

    # -- writes --------------------------------------------------------------------------------

    def add_rows(self, rows: Iterable[tuple[str, str, Mapping[str, Any]]]) -> int:
        """Journal manifest rows as PENDING, in one transaction; rows already there are kept.

        Args:
            rows: ``(row_id, family, request)`` triples; ``request`` is the create body as given
                by the manifest (JSON-serialisable, without credentials).

        Returns:
            How many rows were new.

        Raises:
            RowConflict: a row id is already journaled with another family or request (nothing
                is written).
            SecretInRequest: a request holds a credential-like field (nothing is written).
            ValueError: an empty row id or family, or a request that is not JSON.
        """
        prepared: list[tuple[str, str, str]] = []
        for row_id, family, request in rows:
            if not isinstance(row_id, str) or not row_id:
                raise ValueError(f"row id must be a non-empty string, got {row_id!r}")
            if not isinstance(family, str) or not family:
                raise ValueError(f"row {row_id!r}: family must be a non-empty string")
            if not isinstance(request, Mapping):
                raise ValueError(f"row {row_id!r}: request must be a mapping")
            secrets: list[str] = []
            _scrub(request, secrets)
            if secrets:
                raise SecretInRequest(row_id, secrets[0])
            try:
                body = _canonical(request)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"row {row_id!r}: request is not JSON-serialisable: {exc}"
                ) from exc
            prepared.append((row_id, family, body))

        added = 0
        now = self._clock.wall()
        with self._tx() as c:
            for row_id, family, body in prepared:
                found = c.execute(
                    "SELECT family, request FROM rows WHERE row_id=?", (row_id,)
                ).fetchone()
                if found is not None:
                    if found[0] != family:
                        raise RowConflict(
                            row_id, f"journaled as family {found[0]!r}, now given as {family!r}"
                        )
                    if found[1] != body:
                        old, new = json.loads(found[1]), json.loads(body)
                        keys = sorted(
                            k for k in old.keys() | new.keys() if old.get(k) != new.get(k)
                        )
                        raise RowConflict(
                            row_id,
                            f"request differs from the journaled one in {', '.join(keys)}; "
                            "a changed row needs a new row id (or a new journal)",
                        )
                    continue
                c.execute(
                    "INSERT INTO rows (row_id, family, request, state, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (row_id, family, body, RowState.PENDING.value, now, now),
                )
                self._event(c, now, row_id, None, RowState.PENDING)
                added += 1
        return added

    def begin_create(self, row_id: str) -> int:
        """Record the intent to create a PENDING row; call *before* sending the create request.

        The commit is durable (fsynced) when this returns.

        Returns:
            The attempt number (1 for the first create request of the row).

        Raises:
            UnknownRow: no such row.
            StateError: the row is not PENDING (e.g. another runner already began it).
        """
        now = self._clock.wall()
        with self._tx() as c:
            state = self._row_state(c, row_id)
            if state is not RowState.PENDING:
                raise StateError(row_id, state, "begin a create")
            c.execute(
                "UPDATE rows SET state=?, attempts=attempts+1, error=NULL, updated_at=?"
                " WHERE row_id=?",
                (RowState.CREATING.value, now, row_id),
            )
            attempt: int = c.execute(
                "SELECT attempts FROM rows WHERE row_id=?", (row_id,)
            ).fetchone()[0]
            self._event(c, now, row_id, None, RowState.CREATING, f"attempt {attempt}")
        return attempt

    def record_created(
        self, row_id: str, job_ids: Sequence[str], raw: Mapping[str, Any] | None = None
    ) -> None:
        """Record the job ids a create request returned; call right after the answer.

        Accepted for a CREATING row, and for an UNKNOWN one (the lost answer was found later, e.g.
        through a webhook). Recording the same ids again is a no-op.

        Args:
            row_id: the row.
            job_ids: the ``_id`` of every job created (several for a multi-language translation).
            raw: the create answer, kept for forensics (credential-like keys are redacted).

        Raises:
            UnknownRow: no such row.
            StateError: the row is in another state, or already has other job ids.
            JournalError: a job id already belongs to another row.
            ValueError: no job id, an empty one, or the same one twice.
        """
        ids = list(job_ids)
        if isinstance(job_ids, str) or not ids:
            raise ValueError(f"row {row_id!r}: job_ids must be a non-empty sequence of ids")
        if any(not isinstance(j, str) or not j for j in ids) or len(set(ids)) != len(ids):
            raise ValueError(f"row {row_id!r}: job ids must be distinct non-empty strings: {ids}")
        raw_json = _canonical(_scrub(raw, [])) if raw is not None else None
        now = self._clock.wall()
        with self._tx() as c:
            state = self._row_state(c, row_id)
            if state not in (RowState.CREATING, RowState.UNKNOWN):
                have = [
                    j
                    for (j,) in c.execute(
                        "SELECT job_id FROM jobs WHERE row_id=? ORDER BY idx", (row_id,)
                    )
                ]
                if have == ids:
                    return
                raise StateError(row_id, state, "record created jobs")
            for idx, job_id in enumerate(ids):
                owner = c.execute("SELECT row_id FROM jobs WHERE job_id=?", (job_id,)).fetchone()
                if owner is not None:
                    raise JournalError(f"job {job_id!r} already belongs to row {owner[0]!r}")
                c.execute(
                    "INSERT INTO jobs (job_id, row_id, idx, state, updated_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (job_id, row_id, idx, RowState.CREATED.value, now),
                )
                self._event(c, now, row_id, job_id, RowState.CREATED)
            c.execute(
                "UPDATE rows SET state=?, error=NULL, create_response=?, updated_at=?"
                " WHERE row_id=?",
                (RowState.CREATED.value, raw_json, now, row_id),
            )
            self._event(c, now, row_id, None, RowState.CREATED, ",".join(ids))

    def _move(
        self, row_id: str, source: RowState, target: RowState, reason: str, operation: str
    ) -> None:
        """Move a row from ``source`` to ``target`` with ``reason`` as its error."""
        now = self._clock.wall()
        with self._tx() as c:
            current = self._row_state(c, row_id)
            if current is not source:
                raise StateError(row_id, current, operation)
            self._set_row(c, now, row_id, target, reason)

    def record_unknown(self, row_id: str, reason: str) -> None:
        """Record that a CREATING row's answer was lost: the job may exist and may be billed.

        Raises:
            UnknownRow: no such row.
            StateError: the row is not CREATING.
        """
        self._move(row_id, RowState.CREATING, RowState.UNKNOWN, reason, "record an unknown outcome")

    def record_refused(self, row_id: str, reason: str, *, permanent: bool = False) -> None:
        """Record that the server clearly refused a CREATING row (nothing was created or billed).

        Args:
            row_id: the row.
            reason: the refusal, e.g. ``"[1005] frequent operation"``.
            permanent: the refusal will not change on retry (parameter error, media rejected):
                the row becomes FAILED instead of going back to PENDING.

        Raises:
            UnknownRow: no such row.
            StateError: the row is not CREATING.
        """
        state = RowState.FAILED if permanent else RowState.PENDING
        self._move(row_id, RowState.CREATING, state, reason, "record a refusal")

    def record_invalid(self, row_id: str, reason: str) -> None:
        """Mark a PENDING row as unusable (rejected before any request was sent).

        Raises:
            UnknownRow: no such row.
            StateError: the row is not PENDING (or already INVALID).
        """
        self._move(row_id, RowState.PENDING, RowState.INVALID, reason, "mark it invalid")

    def record_status(
        self,
        job_id: str,
        state: RowState,
        *,
        result_url: str | None = None,
        error: str | None = None,
    ) -> RowState:
        """Record a job's status; the row's state is derived from all its jobs.

        A report that would move the job backwards (an older poll answer arriving after a
        webhook, or anything after a terminal state) is stale and ignored without a write.

        Args:
            job_id: the job.
            state: CREATED, QUEUEING, PROCESSING, COMPLETED or FAILED.
            result_url: required with COMPLETED.
            error: the failure reason, with FAILED.

        Returns:
            The row's state afterwards.

        Raises:
            UnknownRow: no such job.
            ValueError: a state that is not a job status, or COMPLETED without a URL.
        """
        if state not in _STATUS_STATES:
            raise ValueError(f"job {job_id!r}: {state!r} is not a job status")
        if state is RowState.COMPLETED and not result_url:
            raise ValueError(f"job {job_id!r}: COMPLETED needs its result_url")
        now = self._clock.wall()
        with self._tx() as c:
            found = c.execute(
                "SELECT jobs.row_id, jobs.state, rows.state FROM jobs JOIN rows USING (row_id)"
                " WHERE job_id=?",
                (job_id,),
            ).fetchone()
            if found is None:
                raise UnknownRow(f"no job {job_id!r} in the journal")
            row_id, current = found[0], RowState(found[1])
            if current not in _IN_FLIGHT or _JOB_RANK[state] <= _JOB_RANK[current]:
                return RowState(found[2])
            c.execute(
                "UPDATE jobs SET state=?, result_url=?, error=?, completed_at=?, updated_at=?"
                " WHERE job_id=?",
                (
                    state.value,
                    result_url if state is RowState.COMPLETED else None,
                    error if state is RowState.FAILED else None,
                    now if state is RowState.COMPLETED else None,
                    now,
                    job_id,
                ),
            )
            self._event(c, now, row_id, job_id, state, error)
            return self._rederive(c, now, row_id)

    def record_download(
        self, job_id: str, path: str | os.PathLike[str], size: int, sha256: str
    ) -> RowState:
        """Record a completed job's verified result file (again: the new file replaces the old).

        Returns:
            The row's state afterwards.

        Raises:
            UnknownRow: no such job.
            StateError: the job is not COMPLETED (or DOWNLOADED).
            ValueError: a negative size or a malformed sha256.
        """
        if size < 0:
            raise ValueError(f"job {job_id!r}: size must be >= 0, got {size}")
        if not _SHA256_RE.fullmatch(sha256):
            raise ValueError(f"job {job_id!r}: sha256 must be 64 lowercase hex digits")
        now = self._clock.wall()
        with self._tx() as c:
            found = c.execute("SELECT row_id, state FROM jobs WHERE job_id=?", (job_id,)).fetchone()
            if found is None:
                raise UnknownRow(f"no job {job_id!r} in the journal")
            row_id, current = found[0], RowState(found[1])
            if current not in (RowState.COMPLETED, RowState.DOWNLOADED):
                raise StateError(row_id, current, f"record a download for job {job_id!r}")
            c.execute(
                "UPDATE jobs SET state=?, file_path=?, file_size=?, file_sha256=?, updated_at=?"
                " WHERE job_id=?",
                (RowState.DOWNLOADED.value, os.fspath(path), size, sha256, now, job_id),
            )
            self._event(c, now, row_id, job_id, RowState.DOWNLOADED, os.fspath(path))
            return self._rederive(c, now, row_id)

    def mark_unknown_for_retry(self, row_ids: Iterable[str]) -> int:
        """Send UNKNOWN (or CREATING) rows back to PENDING, for ``--retry-unknown``.

        Only do this once you know the earlier attempt created nothing (or accept paying twice).
        All rows change or none does.

        Returns:
            How many rows changed.

        Raises:
            UnknownRow: a row id is not in the journal.
            StateError: a row is in another state.
        """
        ids = list(dict.fromkeys(row_ids))
        now = self._clock.wall()
        with self._tx() as c:
            for row_id in ids:
                state = self._row_state(c, row_id)
                if state not in (RowState.UNKNOWN, RowState.CREATING):
                    raise StateError(row_id, state, "retry it as unknown")
            for row_id in ids:
                c.execute(
                    "UPDATE rows SET state=?, updated_at=? WHERE row_id=?",
                    (RowState.PENDING.value, now, row_id),
                )
                self._event(c, now, row_id, None, RowState.PENDING, "retry after unknown outcome")
        return len(ids)

    # -- reads ---------------------------------------------------------------------------------

    def rows(self, states: Collection[RowState] | None = None) -> list[JournalRow]:
        """Every row (in manifest order), or those in ``states``."""
        where, args = "", tuple[str, ...]()
        if states is not None:
            values = tuple(RowState(s).value for s in states)
            if not values:
                return []
            where = f" WHERE state IN ({','.join('?' * len(values))})"
            args = values
        with self._tx(write=False) as c:
            raw_rows = c.execute(f"SELECT {_ROW_COLUMNS} FROM rows{where} ORDER BY seq", args)
            rows = raw_rows.fetchall()
            jobs_sql = f"SELECT {_JOB_COLUMNS} FROM jobs"
            if states is not None:
                jobs_sql += f" WHERE row_id IN (SELECT row_id FROM rows{where})"
            jobs: dict[str, list[JobRecord]] = {}
            for r in c.execute(jobs_sql + " ORDER BY row_id, idx", args):
                jobs.setdefault(r[0], []).append(_job_record(r))
        return [_journal_row(r, jobs.get(r[0], ())) for r in rows]

    def row(self, row_id: str) -> JournalRow | None:
        """One row, or None."""
        with self._tx(write=False) as c:
            r = c.execute(f"SELECT {_ROW_COLUMNS} FROM rows WHERE row_id=?", (row_id,)).fetchone()
            if r is None:
                return None
            jobs = [
                _job_record(j)
                for j in c.execute(
                    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE row_id=? ORDER BY idx", (row_id,)
                )
            ]
        return _journal_row(r, jobs)

    def counts(self) -> dict[RowState, int]:
        """How many rows are in each state (every state present, zeros included)."""
        counts = dict.fromkeys(RowState, 0)
        with self._tx(write=False) as c:
            for state, n in c.execute("SELECT state, COUNT(*) FROM rows GROUP BY state"):
                counts[RowState(state)] = n
        return counts

    def to_resume(self) -> ResumePlan:
        """Sort every row into what a re-run must do with it (read-only)."""
        buckets: dict[RowState, list[JournalRow]] = {s: [] for s in RowState}
        for r in self.rows():
            buckets[r.state].append(r)
        return ResumePlan(
            pending=tuple(buckets[RowState.PENDING]),
            creating=tuple(buckets[RowState.CREATING]),
            tracked=tuple(
                buckets[RowState.CREATED]
                + buckets[RowState.QUEUEING]
                + buckets[RowState.PROCESSING]
            ),
            to_download=tuple(buckets[RowState.COMPLETED]),
            done=tuple(buckets[RowState.DOWNLOADED]),
            failed=tuple(buckets[RowState.FAILED]),
            unknown=tuple(buckets[RowState.UNKNOWN]),
            invalid=tuple(buckets[RowState.INVALID]),
        )

    def events(self, *, row_id: str | None = None, after: int = 0) -> list[Event]:
        """The transitions recorded so far, oldest first.

        Args:
            row_id: only this row's.
            after: only events with ``seq`` greater than this (for incremental reports).
        """
        sql = "SELECT seq, at, row_id, job_id, state, detail FROM events WHERE seq > ?"
        args: tuple[Any, ...] = (after,)
        if row_id is not None:
            sql += " AND row_id = ?"
            args += (row_id,)
        with self._tx(write=False) as c:
            found = c.execute(sql + " ORDER BY seq", args).fetchall()
        return [Event(s, at, r, j, RowState(st), d) for s, at, r, j, st, d in found]

    def manifest_digest(self) -> str | None:
        """The manifest digest the journal was made for, if one was given."""
        with self._tx(write=False) as c:
            found = c.execute("SELECT value FROM meta WHERE key='manifest_digest'").fetchone()
        return None if found is None else str(found[0])


def _job_record(r: Sequence[Any]) -> JobRecord:
    _, job_id, state, url, error, completed_at, path, size, sha = r
    file = FileRecord(job_id, path, size, sha) if path is not None else None
    return JobRecord(job_id, RowState(state), url, error, completed_at, file)


def _journal_row(r: Sequence[Any], jobs: Iterable[JobRecord]) -> JournalRow:
    row_id, family, request, state, attempts, error, created_at, updated_at = r
    jobs = tuple(jobs)
    if error is None:
        reasons = [f"{j.job_id}: {j.error or 'failed'}" for j in jobs if j.state is RowState.FAILED]
        error = "; ".join(reasons) or None
    return JournalRow(
        row_id=row_id,
        family=family,
        request=json.loads(request),
        state=RowState(state),
        attempts=attempts,
        jobs=jobs,
        error=error,
        created_at=created_at,
        updated_at=updated_at,
    )
