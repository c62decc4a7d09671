"""The SQLite journal's storage: schema, connection, migrations, transactions.

:class:`akool_async.Journal` (in :mod:`.sqlite`) adds the row and job operations on top.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import ClassVar, Final, Self, TypeVar

from ..._clock import Clock, SystemClock
from . import (
    JournalError,
    JournalLocked,
    JournalLost,
    ManifestMismatch,
    RowState,
    UnknownRow,
    _state_of,
    derive_row_state,
)
from ._lockfile import WriterLock, describe_holder

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

logger = logging.getLogger("akool_async")

T = TypeVar("T")

#: Bump with a migration in :meth:`SQLiteStore._migrate` whenever the schema changes.
SCHEMA_VERSION: Final = 1

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


class SQLiteStore:
    """The connection, schema and transactions under :class:`~akool_async.Journal`.

    Every method is a short synchronous SQLite call, safe to run from any thread (calls are
    serialised by a lock), e.g. through ``anyio.to_thread.run_sync``. Every write is one
    transaction. Open with :meth:`open`; use as a context manager or call :meth:`close`.
    """

    __slots__ = (
        "_clock",
        "_closed",
        "_conn",
        "_grouping",
        "_identity",
        "_lock",
        "_path",
        "_writer",
        "commits",
    )

    #: The driver's errors, reported as JournalError.
    _DRIVER_ERRORS: ClassVar[tuple[type[Exception], ...]] = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection, path: str, clock: Clock) -> None:
        """Use :meth:`open`."""
        self._conn = conn
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        self._writer: WriterLock | None = None
        # The file's identity when opened: a journal deleted or replaced under a run is noticed
        # at its next transaction instead of the run writing on into an unlinked file.
        self._identity: tuple[int, int] | None = None
        # The thread running grouped() calls: its transactions are savepoints of the group's.
        self._grouping: int | None = None
        #: Write transactions committed (each one fsync of the WAL: ``synchronous=FULL``).
        self.commits = 0

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        manifest_digest: str | None = None,
        allow_manifest_change: bool = False,
        clock: Clock | None = None,
        busy_timeout: float = 10.0,
    ) -> Self:
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
            # on a paid job. FULL fsyncs the WAL on every commit; the batch runner groups the
            # writes queued meanwhile into one commit (see _batch/groupcommit.py), so a busy run
            # pays one fsync per group of writes, not per write.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA fullfsync=ON")  # macOS: fsync alone does not reach the platter
            conn.execute("PRAGMA foreign_keys=ON")
            journal = cls(conn, spath, clock if clock is not None else SystemClock())
            journal._migrate()
            journal._identity = _identity(spath)
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

    @property
    def lock_path(self) -> str | None:
        """The writer lock's file (``<journal>.lock``), None for an in-memory journal."""
        return None if self._identity is None else self._path + ".lock"

    def lock_writer(self) -> None:
        """Become the journal's only writer until :meth:`close` (again: a no-op).

        The lock is an OS lock on ``<journal>.lock``: released when this process ends, however
        it ends, so a lock file left by a dead run is taken over. Readers (reports, status) need
        no lock.

        Raises:
            JournalLocked: another live process holds it (named by pid and host).
            JournalError: the lock file cannot be written (e.g. a full disk).
        """
        lock_path = self.lock_path
        if lock_path is None or (self._writer is not None and self._writer.held):
            return
        writer = WriterLock(lock_path)
        try:
            holder = writer.acquire()
        except OSError as exc:
            raise JournalError(f"cannot lock journal {self._path}: {exc}") from exc
        if holder is not None:
            raise JournalLocked(self._path, holder, describe_holder(holder))
        self._writer = writer

    def close(self) -> None:
        """Close the journal (releasing the writer lock); safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
                if self._writer is not None:
                    self._writer.release()

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

    def grouped(self, calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
        """Run several of this journal's own calls in one transaction, with one durable commit.

        Each call keeps its own all-or-nothing (it runs in a savepoint): a call that raises
        leaves nothing written, and its exception takes its place in the result; the others
        are committed. Nothing is durable before this returns; if the commit itself fails
        (disk full, journal lost), every call failed and the error is raised.

        Returns:
            Each call's result, or the exception it raised, in order.
        """
        results: list[T | Exception] = []
        with self._tx():
            self._grouping = threading.get_ident()
            try:
                for call in calls:
                    try:
                        with self._savepoint():
                            result = call()
                    except Exception as exc:
                        results.append(exc)
                    else:
                        results.append(result)
                    if not self._group_alive():  # the whole group was rolled back (I/O error)
                        raise JournalError(f"journal {self._path}: the transaction was lost")
            finally:
                self._grouping = None
        return results

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: IMMEDIATE (write lock up front) for writes, a snapshot for reads.

        Inside :meth:`grouped` (on its thread), a savepoint of the group's transaction instead.
        """
        if self._grouping == threading.get_ident():
            with self._savepoint() as c:
                yield c
            return
        with self._lock:
            if self._closed:
                raise JournalError(f"journal {self._path} is closed")
            if self._identity is not None and _identity(self._path) != self._identity:
                raise JournalLost(
                    f"journal {self._path} was deleted or replaced while in use; nothing more "
                    "can be recorded (the run stops; restore the file, or start again with a "
                    "new journal knowing that rows created so far would be created again)"
                )
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                    conn.execute("COMMIT")
                    if write:
                        self.commits += 1
                finally:
                    # SQLite may already have rolled back by itself (disk full, I/O error).
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self._path}: {exc}") from exc

    def _group_alive(self) -> bool:
        """Whether the group's transaction is still open (SQLite may roll it back itself)."""
        return self._conn.in_transaction

    def _can_roll_back(self) -> bool:
        """Whether a failed call's savepoint can be undone (its transaction is still open)."""
        return self._conn.in_transaction

    def _in_savepoint(self) -> sqlite3.Connection:
        """What a grouped call's statements go through (a backend may check things first)."""
        return self._conn

    @contextmanager
    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        """One call of a group: undone alone if it raises."""
        conn = self._conn
        try:
            conn.execute("SAVEPOINT grouped_call")
            try:
                yield self._in_savepoint()
            except BaseException:
                if self._can_roll_back():
                    conn.execute("ROLLBACK TO SAVEPOINT grouped_call")
                    conn.execute("RELEASE SAVEPOINT grouped_call")
                raise
            conn.execute("RELEASE SAVEPOINT grouped_call")
        except self._DRIVER_ERRORS as exc:
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
        return _state_of(found[0], f"row {row_id!r}")

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
            _state_of(s, f"a job of row {row_id!r}")
            for (s,) in c.execute("SELECT state FROM jobs WHERE row_id=? ORDER BY idx", (row_id,))
        ]
        new = derive_row_state(states)
        if new is not old:
            c.execute(
                "UPDATE rows SET state=?, updated_at=? WHERE row_id=?", (new.value, now, row_id)
            )
            self._event(c, now, row_id, None, new)
        return new


def _identity(path: str) -> tuple[int, int] | None:
    """``(device, inode)`` of the journal file; None for an in-memory journal (or no file)."""
    if path == ":memory:" or path.startswith("file:"):
        return None
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0)
    return (st.st_dev, st.st_ino)
