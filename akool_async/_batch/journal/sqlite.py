"""The SQLite journal backend: one file that outlives crashes, SIGKILL and power loss.

Layout: ``rows`` holds one manifest row each (its request body, its state, its attempts), ``jobs``
one job each (a translation into several languages creates several jobs for one row) with its
result URL and downloaded file, ``events`` every transition for the report, ``meta`` the manifest
digest. The schema version lives in ``PRAGMA user_version``. States and records are in
:mod:`akool_async._batch.journal`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from . import (
    _IN_FLIGHT,
    _JOB_RANK,
    _SHA256_RE,
    _STATUS_STATES,
    ChangedRows,
    Event,
    FileRecord,
    JobRecord,
    JournalCorrupt,
    JournalError,
    JournalRow,
    ResumePlan,
    RowsChanged,
    RowState,
    SecretInRequest,
    StateError,
    UnknownRow,
    _canonical,
    _scrub,
    _state_of,
)
from ._sqlite_store import _JOB_COLUMNS, _ROW_COLUMNS, SCHEMA_VERSION, SQLiteStore

__all__ = ["SCHEMA_VERSION", "Journal"]


class Journal(SQLiteStore):
    """The batch runner's durable record of every manifest row and job, in one SQLite file.

    Every method is a short synchronous SQLite call, safe to run from any thread (calls are
    serialised by a lock), e.g. through ``anyio.to_thread.run_sync``. Every write is one
    transaction. Open with :meth:`open`; use as a context manager or call :meth:`close`.
    """

    __slots__ = ()

    # -- writes --------------------------------------------------------------------------------

    def add_rows(
        self,
        rows: Iterable[tuple[str, str, Mapping[str, Any]]],
        *,
        changed: ChangedRows = "refuse",
    ) -> int:
        """Journal manifest rows as PENDING, in one transaction; rows already there are kept.

        A manifest may grow: new rows are added, rows journaled with the same family and request
        keep their state (finished rows stay finished).

        Args:
            rows: ``(row_id, family, request)`` triples; ``request`` is the create body as given
                by the manifest (JSON-serialisable, without credentials).
            changed: what to do with a row journaled with another family or request:
                ``"refuse"`` (raise RowsChanged naming every such row, writing nothing),
                ``"recreate"`` (journal the new request as PENDING: it is created again; its
                earlier job ids stay in the events), or ``"keep"`` (keep the journaled row).

        Returns:
            How many rows were new.

        Raises:
            RowsChanged: rows changed and ``changed="refuse"`` (nothing is written).
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
        changes: dict[str, str] = {}
        with self._tx() as c:
            for row_id, family, body in prepared:
                found = c.execute(
                    "SELECT family, request FROM rows WHERE row_id=?", (row_id,)
                ).fetchone()
                if found is not None:
                    if found[0] == family and found[1] == body:
                        continue
                    changes[row_id] = _difference(row_id, found[0], found[1], family, body)
                    if changed == "recreate":
                        self._recreate(c, now, row_id, family, body)
                    continue
                c.execute(
                    "INSERT INTO rows (row_id, family, request, state, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (row_id, family, body, RowState.PENDING.value, now, now),
                )
                self._event(c, now, row_id, None, RowState.PENDING)
                added += 1
            if changes and changed == "refuse":
                raise RowsChanged(changes)
        return added

    def _recreate(self, c: Any, now: float, row_id: str, family: str, body: str) -> None:
        """Journal a changed row's new request as PENDING; its earlier jobs go to the events."""
        old = [j for (j,) in c.execute("SELECT job_id FROM jobs WHERE row_id=?", (row_id,))]
        c.execute("DELETE FROM jobs WHERE row_id=?", (row_id,))
        c.execute(
            "UPDATE rows SET family=?, request=?, state=?, error=NULL, create_response=NULL,"
            " updated_at=? WHERE row_id=?",
            (family, body, RowState.PENDING.value, now, row_id),
        )
        detail = "request changed: created again" + (
            f" (earlier jobs: {','.join(old)})" if old else ""
        )
        self._event(c, now, row_id, None, RowState.PENDING, detail)

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

    def begin_creates(self, row_ids: Sequence[str]) -> list[int | JournalError]:
        """:meth:`begin_create` for many rows in one transaction: one durable commit for all.

        Returns:
            Per row, in order: its attempt number, or the error that left it as it was
            (UnknownRow, StateError, or a backend's own such as ``NoFreeSlot``).

        Raises:
            JournalError: the commit failed (no intent was recorded).
        """
        out: list[int | JournalError] = []
        for result in self.grouped([partial(self.begin_create, r) for r in row_ids]):
            if isinstance(result, Exception) and not isinstance(result, JournalError):
                raise result
            out.append(result)
        return out

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
            row_id, current = found[0], _state_of(found[1], f"job {job_id!r}")
            if current not in _IN_FLIGHT or _JOB_RANK[state] <= _JOB_RANK[current]:
                return _state_of(found[2], f"row {row_id!r}")
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
            row_id, current = found[0], _state_of(found[1], f"job {job_id!r}")
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

    def mark_failed_for_retry(self, row_ids: Iterable[str]) -> int:
        """Send FAILED rows back to PENDING, for ``--retry-failed``: they are created again.

        Their failed jobs leave the row (their ids stay in the events). All rows change or none.

        Returns:
            How many rows changed.

        Raises:
            UnknownRow: a row id is not in the journal.
            StateError: a row is not FAILED, or has a job that completed (it would be paid twice).
        """
        ids = list(dict.fromkeys(row_ids))
        now = self._clock.wall()
        with self._tx() as c:
            for row_id in ids:
                state = self._row_state(c, row_id)
                done = c.execute(
                    "SELECT COUNT(*) FROM jobs WHERE row_id=? AND state IN (?, ?)",
                    (row_id, RowState.COMPLETED.value, RowState.DOWNLOADED.value),
                ).fetchone()[0]
                if state is not RowState.FAILED or done:
                    raise StateError(row_id, state, "retry it as failed")
            for row_id in ids:
                old = [j for (j,) in c.execute("SELECT job_id FROM jobs WHERE row_id=?", (row_id,))]
                c.execute("DELETE FROM jobs WHERE row_id=?", (row_id,))
                c.execute(
                    "UPDATE rows SET state=?, error=NULL, updated_at=? WHERE row_id=?",
                    (RowState.PENDING.value, now, row_id),
                )
                detail = "retry after failure" + (f" (failed jobs: {','.join(old)})" if old else "")
                self._event(c, now, row_id, None, RowState.PENDING, detail)
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
                counts[_state_of(state, f"{n} row(s)")] = n
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
        return [
            Event(s, at, r, j, _state_of(st, f"an event of row {r!r}"), d)
            for s, at, r, j, st, d in found
        ]

    def manifest_digest(self) -> str | None:
        """The manifest digest the journal was made for, if one was given."""
        with self._tx(write=False) as c:
            found = c.execute("SELECT value FROM meta WHERE key='manifest_digest'").fetchone()
        return None if found is None else str(found[0])

    def meta(self, key: str) -> str | None:
        """The value stored under ``key`` (e.g. ``"poll_model"``), or None."""
        with self._tx(write=False) as c:
            found = c.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if found is None else str(found[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (replacing any)."""
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _difference(row_id: str, old_family: str, old: str, family: str, new: str) -> str:
    """What differs between a journaled row and the manifest's, in a few words."""
    if old_family != family:
        return f"family {old_family!r} is now {family!r}"
    try:
        before, after = json.loads(old), json.loads(new)
    except ValueError:
        raise JournalCorrupt(f"row {row_id!r}: its journaled request is not JSON") from None
    if not isinstance(before, dict):
        raise JournalCorrupt(f"row {row_id!r}: its journaled request is not a JSON object")
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return f"fields {', '.join(keys)} differ"


def _job_record(r: Sequence[Any]) -> JobRecord:
    row_id, job_id, state, url, error, completed_at, path, size, sha = r
    file = FileRecord(job_id, path, size, sha) if path is not None else None
    return JobRecord(
        job_id,
        _state_of(state, f"job {job_id!r} of row {row_id!r}"),
        url,
        error,
        completed_at,
        file,
    )


def _journal_row(r: Sequence[Any], jobs: Iterable[JobRecord]) -> JournalRow:
    row_id, family, request, state, attempts, error, created_at, updated_at = r
    try:
        body = json.loads(request)
    except (TypeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise JournalCorrupt(f"row {row_id!r}: its journaled request is not a JSON object")
    jobs = tuple(jobs)
    if error is None:
        reasons = [f"{j.job_id}: {j.error or 'failed'}" for j in jobs if j.state is RowState.FAILED]
        error = "; ".join(reasons) or None
    return JournalRow(
        row_id=row_id,
        family=family,
        request=body,
        state=_state_of(state, f"row {row_id!r}"),
        attempts=attempts,
        jobs=jobs,
        error=error,
        created_at=created_at,
        updated_at=updated_at,
    )
