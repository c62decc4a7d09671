"""The batch journal in PostgreSQL, for batches shared by workers on several machines.

:class:`PostgresJournal` keeps the SQLite :class:`~akool_async.Journal`'s public
behaviour exactly: it *is* that class, with the connection, transactions and schema replaced, so
every state transition, check and error is the same code. Its SQL (``?`` placeholders, one
``INSERT OR REPLACE`` into ``meta``) is put in PostgreSQL's terms by :class:`_Dialect`. Writes
take a per-journal transaction-level advisory lock first, as SQLite's ``BEGIN IMMEDIATE`` takes
the write lock, so a check-then-write (``begin_create`` of a PENDING row) cannot race a worker on
another machine; reads run in one REPEATABLE READ snapshot. A commit is durable when the call
returns (``synchronous_commit`` is raised to ``on`` for the journal's connection if the server has
it ``off``).

Driver: psycopg 3, not asyncpg. The runner calls the journal through
``anyio.to_thread.run_sync`` as short synchronous calls serialised by a lock; psycopg has a
synchronous API for that (asyncpg has none) and an equal asynchronous one for later, installs
from wheels (``psycopg[binary]``) with no compiler or libpq, and speaks libpq's URLs, service
files, ``PGPASSWORD`` and ``~/.pgpass``. asyncpg's speed matters little here: each journal write
stands for an HTTP request to Akool. One connection per journal (re-opened if it breaks), not a
pool, since the lock admits one call at a time.

Schema (in its own PostgreSQL schema, ``akool_async`` unless told, so several journals can share a
database): the SQLite tables with PostgreSQL types, plus what many workers need (issue 17):
``workers`` (id, host, pid, started, heartbeat, stopped) and, on ``rows``, ``claimed_by`` and
``lease_until``. A worker :meth:`~PostgresJournal.claim`\\ s rows with ``FOR UPDATE SKIP LOCKED``
under a lease it renews with :meth:`~PostgresJournal.heartbeat`; a row whose lease ran out (its
worker died) is claimable again. Lease times use the database's clock, so the machines' clocks
need not agree. The schema version lives in ``meta`` (key ``schema_version``).
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final, cast

from attrs import frozen

try:
    import psycopg
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "the PostgreSQL journal needs psycopg: pip install 'akool-async[fleet]'"
    ) from exc
from psycopg.pq import TransactionStatus

from ..._clock import Clock, SystemClock
from . import ChangedRows, JournalError, JournalRow, RowState, UnknownRow, _canonical, _scrub
from ._pg_fleet import CLAIMABLE, RUNNING_SQL, LeaseLost, NoFreeSlot, holds_job
from ._pg_schema import _SCHEMA, _Conninfo, _describe, _Dialect
from ._sqlite_store import _JOB_COLUMNS, _ROW_COLUMNS
from .sqlite import Journal, _job_record, _journal_row

__all__ = [
    "CLAIMABLE",
    "PG_SCHEMA_VERSION",
    "LeaseLost",
    "NoFreeSlot",
    "PostgresJournal",
    "WorkerRecord",
    "_Conninfo",
]

#: Bump with a migration in :meth:`PostgresJournal._migrate` whenever the schema changes.
PG_SCHEMA_VERSION: Final = 1

_TABLES: Final = frozenset({"meta", "workers", "rows", "jobs", "events"})
_SCHEMA_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_NOW: Final = "extract(epoch FROM clock_timestamp())::double precision"


@frozen(slots=True)
class WorkerRecord:
    """A registered worker, as the fleet's status shows it."""

    id: int
    host: str
    pid: int
    #: Wall seconds (the database's clock) of registration and of the last heartbeat.
    started: float
    heartbeat: float
    #: When it retired cleanly, or None.
    stopped: float | None
    #: How many rows its leases hold now.
    holding: int


class PostgresJournal(Journal):
    """The batch journal in a PostgreSQL database, shared by any number of workers.

    The same public behaviour as the SQLite :class:`Journal` (every method, state and error),
    plus worker registration and row claiming with leases. Open with :meth:`open`.
    """

    __slots__ = (
        "_busy_timeout",
        "_conninfo",
        "_lock_key",
        "_max_running",
        "_schema",
        "_unknown_hold",
        "_worker",
        "_write_check",
    )

    _conn: psycopg.Connection[tuple[Any, ...]]  # type: ignore[assignment]
    _DRIVER_ERRORS = (psycopg.Error,)

    def __init__(
        self, conninfo: _Conninfo, schema: str, name: str, clock: Clock, busy_timeout: float
    ) -> None:
        """Use :meth:`open`."""
        self._conninfo = conninfo
        self._schema = schema
        self._busy_timeout = busy_timeout
        self._lock_key = f"akool_async journal {schema}"
        self._path = name
        self._worker: int | None = None
        self._max_running: int | None = None
        self._unknown_hold = 0.0
        self._write_check: Callable[[psycopg.Connection[tuple[Any, ...]]], None] | None = None
        super().__init__(cast(sqlite3.Connection, self._connect()), name, clock)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | _Conninfo,
        *,
        manifest_digest: str | None = None,
        allow_manifest_change: bool = False,
        clock: Clock | None = None,
        busy_timeout: float = 10.0,
        schema: str = "akool_async",
    ) -> PostgresJournal:
        """Open (creating if needed) the journal in PostgreSQL.

        Args:
            path: a libpq connection string or ``postgresql://`` URL. Prefer ``PGPASSWORD`` or
                ``~/.pgpass`` to a password in the URL.
            manifest_digest: as for :meth:`Journal.open`.
            allow_manifest_change: as for :meth:`Journal.open`.
            clock: source of the row timestamps (default: real time); leases use the database's.
            busy_timeout: real seconds to wait for another worker's write lock.
            schema: the PostgreSQL schema that holds this journal (created if missing): letters,
                digits and underscores. A URL may name it instead, as its fragment:
                ``postgresql://host/db#nightly`` (the form :attr:`path` shows).

        Returns:
            The open journal.

        Raises:
            ManifestMismatch: the journal belongs to another manifest.
            JournalError: the server cannot be reached, the schema holds something else, or was
                written by a newer akool_async.
            ValueError: a schema name that is not a plain identifier.
        """
        conninfo = path if isinstance(path, _Conninfo) else _Conninfo(os.fspath(path))
        del path  # keep a password out of traceback frame locals
        if "://" in conninfo.value and "#" in conninfo.value:
            schema = conninfo.value.rsplit("#", 1)[1]
            conninfo = _Conninfo(conninfo.value.rsplit("#", 1)[0])
        if not _SCHEMA_NAME_RE.fullmatch(schema):
            raise ValueError(f"schema must be letters, digits and underscores, got {schema!r}")
        name = _describe(conninfo.value, schema)
        journal = cls(
            conninfo, schema, name, clock if clock is not None else SystemClock(), busy_timeout
        )
        try:
            journal._migrate()
            journal._check_manifest(manifest_digest, allow_change=allow_manifest_change)
        except BaseException:
            journal._conn.close()
            raise
        return journal

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        """A new session: autocommit (we issue BEGIN/COMMIT), the schema, durable commits."""
        problem = None
        try:
            conn = psycopg.connect(
                self._conninfo.value, autocommit=True, application_name="akool_async"
            )
        except psycopg.Error as exc:
            # Raised outside this handler, so no traceback of libpq's frames (holding the
            # connection string) hangs off the error.
            problem = str(exc)
        if problem is not None:
            raise JournalError(f"cannot open journal {self._path}: {problem}")
        try:
            conn.execute(f'SET search_path TO "{self._schema}"')
            conn.execute(f"SET lock_timeout = {max(1, int(self._busy_timeout * 1000))}")
            if conn.execute("SHOW synchronous_commit").fetchone() == ("off",):
                conn.execute("SET synchronous_commit = on")
        except BaseException:
            conn.close()
            raise
        return conn

    def __repr__(self) -> str:
        return f"PostgresJournal({self._path!r})"

    # -- plumbing ------------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """The live connection, under the journal's lock; driver errors become JournalError."""
        with self._lock:
            if self._closed:
                raise JournalError(f"journal {self._path} is closed")
            try:
                if self._conn.broken:
                    self._conn = self._connect()
                yield self._conn
            except psycopg.Error as exc:
                raise JournalError(f"journal {self._path}: {exc}") from exc

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: the journal's write lock first for writes, one snapshot for reads.

        Inside :meth:`grouped` (on its thread), a savepoint of the group's transaction instead.
        """
        if self._grouping == threading.get_ident():
            with self._savepoint() as c:
                yield c
            return
        with self._connection() as conn:
            try:
                if write:
                    conn.execute("BEGIN")
                    key = (self._lock_key,)
                    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", key)
                    if self._write_check is not None:
                        self._write_check(conn)
                else:
                    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                # The inherited SQL uses only execute() and its cursor (fetchone, fetchall,
                # iteration), which _Dialect provides in PostgreSQL's terms.
                yield cast(sqlite3.Connection, _Dialect(conn))
                conn.execute("COMMIT")
                if write:
                    self.commits += 1
            finally:
                if not conn.broken and conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")

    def _group_alive(self) -> bool:
        conn = self._conn
        return not conn.broken and conn.info.transaction_status == TransactionStatus.INTRANS

    def _can_roll_back(self) -> bool:
        conn = self._conn
        return not conn.broken and conn.info.transaction_status in (
            TransactionStatus.INTRANS,
            TransactionStatus.INERROR,
        )

    def _in_savepoint(self) -> sqlite3.Connection:
        """The fleet's write check runs in each grouped call's savepoint."""
        if self._write_check is not None:
            self._write_check(self._conn)
        return cast(sqlite3.Connection, _Dialect(self._conn))

    @contextmanager
    def _claims(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """A transaction for worker and lease bookkeeping (no journal-wide write lock)."""
        with self._connection() as conn, conn.transaction():
            yield conn

    @staticmethod
    def _version(c: sqlite3.Connection) -> tuple[set[str], int]:
        """The tables in the journal's schema, and its schema version (0: none)."""
        tables = {
            t
            for (t,) in c.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        }
        found = None
        if "meta" in tables:
            found = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return tables, int(found[0]) if found is not None else 0

    def _migrate(self) -> None:
        # Look first without the write lock, so opening a reader never waits for a worker.
        with self._tx(write=False) as c:
            if self._version(c)[1] == PG_SCHEMA_VERSION:
                return
        with self._tx() as c:
            c.execute(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
            tables, version = self._version(c)
            if version == PG_SCHEMA_VERSION:  # another worker created it meanwhile
                return
            if version > PG_SCHEMA_VERSION:
                raise JournalError(
                    f"journal {self._path} has schema version {version}; this akool_async "
                    f"understands up to {PG_SCHEMA_VERSION}: upgrade akool_async"
                )
            if tables:
                raise JournalError(
                    f"schema {self._schema!r} holds tables but is not an akool_async journal"
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    c.execute(statement)
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('created_at', ?), ('schema_version', ?)",
                (repr(self._clock.wall()), str(PG_SCHEMA_VERSION)),
            )

    def add_rows(
        self,
        rows: Iterable[tuple[str, str, Mapping[str, Any]]],
        *,
        changed: ChangedRows = "refuse",
    ) -> int:
        """As :meth:`Journal.add_rows`; rows all journaled already are checked in one read.

        Every worker of a fleet adds the whole manifest when it starts; this way the second and
        later ones neither take the write lock nor make one round trip per row.
        """
        given = list(rows)
        try:
            wanted = {}
            for row_id, family, request in given:
                secrets: list[str] = []
                _scrub(request, secrets)
                wanted[row_id] = (family, None if secrets else _canonical(request))
        except (TypeError, ValueError, AttributeError):
            wanted = {}  # the full check below names the problem
        if wanted and len(wanted) == len(given):
            with self._tx(write=False) as c:
                found = c.execute(
                    "SELECT row_id, family, request FROM rows WHERE row_id = ANY(?)",
                    (list(wanted),),
                )
                if {r: (f, body) for r, f, body in found} == wanted:
                    return 0
        return super().add_rows(given, changed=changed)

    # -- workers and leases --------------------------------------------------------------------

    def register_worker(self, *, host: str | None = None, pid: int | None = None) -> int:
        """Register a worker (this process unless told) and return its id."""
        with self._claims() as c:
            found = c.execute(
                f"INSERT INTO workers (host, pid, started, heartbeat) VALUES (%s, %s, {_NOW},"
                f" {_NOW}) RETURNING id",
                (host if host is not None else socket.gethostname(), pid or os.getpid()),
            ).fetchone()
        assert found is not None
        return int(found[0])

    def claim(
        self,
        worker: int,
        limit: int,
        *,
        lease: float,
        states: Collection[RowState] = CLAIMABLE,
    ) -> list[JournalRow]:
        """Claim up to ``limit`` rows in ``states`` that no live lease holds, in manifest order.

        Rows locked by a concurrent claim are skipped (``FOR UPDATE SKIP LOCKED``), so two
        workers never claim the same row; a row whose lease ran out is claimed again (its worker
        is presumed dead). Claimed rows are held for ``lease`` seconds of the database's clock.

        Raises:
            UnknownRow: no such worker, or it was retired.
            ValueError: a negative limit or lease, or a state no worker can act on.
        """
        if limit < 0 or lease < 0:
            raise ValueError(f"limit and lease must be >= 0, got {limit} and {lease}")
        values = [RowState(s).value for s in states]
        if not set(values) <= {s.value for s in CLAIMABLE}:
            raise ValueError(f"only rows with work left can be claimed, not {sorted(values)}")
        with self._claims() as c:
            self._live_worker(c, worker)
            found = c.execute(
                f"WITH free AS (SELECT seq FROM rows WHERE state = ANY(%s) AND (claimed_by IS NULL"
                f" OR lease_until <= {_NOW}) ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED)"
                f" UPDATE rows SET claimed_by = %s, lease_until = {_NOW} + %s"
                " FROM free WHERE rows.seq = free.seq RETURNING rows.row_id",
                (values, limit, worker, lease),
            ).fetchall()
        return self._rows_by_id([r[0] for r in found])

    def _rows_by_id(self, row_ids: list[str]) -> list[JournalRow]:
        """These rows, in manifest order."""
        with self._tx(write=False) as c:
            rows = c.execute(
                f"SELECT {_ROW_COLUMNS} FROM rows WHERE row_id = ANY(?) ORDER BY seq", (row_ids,)
            ).fetchall()
            jobs: dict[str, list[Any]] = {}
            for j in c.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE row_id = ANY(?) ORDER BY row_id, idx",
                (row_ids,),
            ):
                jobs.setdefault(j[0], []).append(_job_record(j))
        return [_journal_row(r, jobs.get(r[0], ())) for r in rows]

    def heartbeat(self, worker: int, *, lease: float) -> frozenset[str]:
        """Renew a worker's heartbeat and every lease it still holds, for ``lease`` seconds.

        Returns:
            The row ids the worker still holds; any other row it was working on was taken over
            (its lease ran out) and must be dropped.

        Raises:
            UnknownRow: no such worker, or it was retired.
        """
        with self._claims() as c:
            self._live_worker(c, worker)
            c.execute(f"UPDATE workers SET heartbeat = {_NOW} WHERE id = %s", (worker,))
            found = c.execute(
                f"UPDATE rows SET lease_until = {_NOW} + %s WHERE claimed_by = %s RETURNING row_id",
                (lease, worker),
            ).fetchall()
        return frozenset(r[0] for r in found)

    def release(self, worker: int, row_ids: Iterable[str] | None = None) -> int:
        """Give up a worker's claim on ``row_ids`` (all its rows if None); returns how many."""
        with self._claims() as c:
            query = "UPDATE rows SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = %s"
            args: tuple[Any, ...] = (worker,)
            if row_ids is not None:
                query += " AND row_id = ANY(%s)"
                args += (list(row_ids),)
            return c.execute(query, args).rowcount

    def retire_worker(self, worker: int) -> None:
        """Mark a worker stopped and release every row it holds (on a clean exit)."""
        with self._claims() as c:
            c.execute(
                "UPDATE rows SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = %s",
                (worker,),
            )
            c.execute(f"UPDATE workers SET stopped = {_NOW} WHERE id = %s", (worker,))

    def holder(self, row_id: str) -> int | None:
        """The worker whose lease holds the row now, or None."""
        with self._claims() as c:
            found = c.execute(
                f"SELECT claimed_by FROM rows WHERE row_id = %s AND lease_until > {_NOW}",
                (row_id,),
            ).fetchone()
            if (
                found is None
                and c.execute("SELECT 1 FROM rows WHERE row_id = %s", (row_id,)).fetchone() is None
            ):
                raise UnknownRow(f"no row {row_id!r} in the journal")
        return None if found is None else found[0]

    def workers(self) -> list[WorkerRecord]:
        """Every registered worker, oldest first, with how many rows it holds now."""
        with self._claims() as c:
            found = c.execute(
                "SELECT w.id, w.host, w.pid, w.started, w.heartbeat, w.stopped,"
                " count(r.seq) FROM workers w LEFT JOIN rows r ON r.claimed_by = w.id"
                f" AND r.lease_until > {_NOW} GROUP BY w.id ORDER BY w.id"
            ).fetchall()
        return [WorkerRecord(*r) for r in found]

    # -- a worker's own journal: create slots and lease-checked downloads ------------------------

    def bind_worker(
        self, worker: int, *, max_running: int | None = None, unknown_hold: float = 600.0
    ) -> None:
        """Make this journal the given worker's: downloads are journaled only while its lease
        holds the row, and (with ``max_running``) ``begin_create`` waits for nothing but refuses
        with :class:`NoFreeSlot` when the fleet has ``max_running`` jobs on the server already.

        Jobs on the server: rows CREATING, jobs CREATED/QUEUEING/PROCESSING, and rows UNKNOWN for
        ``unknown_hold`` clock seconds (their job, if it exists, may still run).
        """
        self._worker = worker
        self._max_running = max_running
        self._unknown_hold = unknown_hold

    def running(self) -> int:
        """How many jobs the fleet has on the server now, as :meth:`bind_worker` counts them."""
        with self._tx(write=False) as c:
            found = c.execute(RUNNING_SQL, (self._clock.wall() - self._unknown_hold,)).fetchone()
        return int(found[0])

    def begin_create(self, row_id: str) -> int:
        """As :meth:`Journal.begin_create`; a bound worker with ``max_running`` counts first.

        Raises:
            NoFreeSlot: ``max_running`` jobs are on the server (nothing was written).
        """
        limit = self._max_running
        if limit is None:
            return super().begin_create(row_id)
        since = self._clock.wall() - self._unknown_hold

        def check(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
            found = conn.execute(RUNNING_SQL.replace("?", "%s"), (since,)).fetchone()
            if found is not None and found[0] >= limit:
                raise NoFreeSlot(f"{found[0]} jobs on the server (--max-running {limit})")

        self._write_check = check
        try:
            return super().begin_create(row_id)
        finally:
            self._write_check = None

    def record_download(
        self, job_id: str, path: str | os.PathLike[str], size: int, sha256: str
    ) -> RowState:
        """As :meth:`Journal.record_download`; a bound worker must hold the job's row.

        Raises:
            LeaseLost: the row's lease went to another worker (nothing was written).
        """
        worker = self._worker
        if worker is None:
            return super().record_download(job_id, path, size, sha256)

        def check(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
            if not holds_job(conn, worker, job_id):
                raise LeaseLost(f"job {job_id!r}: worker {worker} no longer holds its row")

        self._write_check = check
        try:
            return super().record_download(job_id, path, size, sha256)
        finally:
            self._write_check = None

    def holdings(self, limit: int = 5) -> dict[int, list[str]]:
        """Worker id -> up to ``limit`` row ids its live lease holds, in manifest order."""
        with self._claims() as c:
            found = c.execute(
                "SELECT claimed_by, row_id FROM (SELECT claimed_by, row_id, row_number() OVER"
                " (PARTITION BY claimed_by ORDER BY seq) AS n FROM rows WHERE claimed_by IS NOT"
                f" NULL AND lease_until > {_NOW}) held WHERE n <= %s ORDER BY claimed_by, n",
                (limit,),
            ).fetchall()
        held: dict[int, list[str]] = {}
        for worker, row_id in found:
            held.setdefault(int(worker), []).append(row_id)
        return held

    @staticmethod
    def _live_worker(c: psycopg.Connection[tuple[Any, ...]], worker: int) -> None:
        found = c.execute("SELECT stopped FROM workers WHERE id = %s", (worker,)).fetchone()
        if found is None or found[0] is not None:
            raise UnknownRow(f"no live worker {worker} in the journal")
