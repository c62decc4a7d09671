"""What a fleet worker's PostgreSQL journal checks inside its write transactions (see
:meth:`~akool_async._batch.journal.postgres.PostgresJournal.bind_worker`)."""

from __future__ import annotations

from typing import Any, Final

from . import JournalError, RowState

__all__ = ["CLAIMABLE", "RUNNING_SQL", "LeaseLost", "NoFreeSlot", "holds_job"]

#: What a worker may claim: every state with work left (CREATING: to record it UNKNOWN).
CLAIMABLE: Final = frozenset(
    {
        RowState.PENDING,
        RowState.CREATING,
        RowState.CREATED,
        RowState.QUEUEING,
        RowState.PROCESSING,
        RowState.COMPLETED,
    }
)

#: Jobs on the server: rows whose create is in flight, jobs not finished, rows whose create
#: outcome was lost since ``?`` (wall seconds; their job may exist and run).
RUNNING_SQL: Final = (
    "SELECT (SELECT count(*) FROM rows WHERE state = 'creating'"
    " OR (state = 'unknown' AND updated_at > ?))"
    " + (SELECT count(*) FROM jobs WHERE state IN ('created', 'queueing', 'processing'))"
)


class NoFreeSlot(JournalError):
    """``--max-running`` jobs are on the server already: the create must wait."""


class LeaseLost(JournalError):
    """Another worker holds the row now (this worker's lease ran out)."""


def holds_job(conn: Any, worker: int, job_id: str) -> bool:
    """Whether ``worker``'s live lease holds the row of ``job_id`` (inside a transaction)."""
    found = conn.execute(
        "SELECT 1 FROM rows r JOIN jobs j ON j.row_id = r.row_id WHERE j.job_id = %s"
        " AND r.claimed_by = %s"
        " AND r.lease_until > extract(epoch FROM clock_timestamp())::double precision",
        (job_id, worker),
    ).fetchone()
    return found is not None
