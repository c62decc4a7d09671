"""The create stage of a batch run: journal the intent, create the row's jobs, journal the ids.

A create is never blindly retried: only a refusal the server says is temporary is tried again
(``create_retries`` times, with backoff); an answer that may have been lost leaves the row
*unknown*.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import anyio
import anyio.lowlevel

from .._backoff import retry_delay
from .._errors import (
    AccountBanned,
    AkoolError,
    AuthenticationError,
    CreationUnknown,
    HTTPStatusError,
    InsufficientCredit,
    MediaRejected,
    NotFound,
    ParameterError,
    PermissionDenied,
    SessionClosed,
    ValidationError,
)
from .._job import Job
from .._transport import create_sent
from .journal import JournalError, RowState, StateError
from .journal._pg_fleet import LeaseLost, NoFreeSlot
from .manifest import ManifestRow
from .outcomes import BatchOutcome, OutcomeState, describe
from .progress import Phase
from .state import RunState

__all__ = ["CreateStage"]

logger = logging.getLogger("akool_async.batch")

# Refusals that will fail every other row too: stop creating, leave the rows for a later run.
_FATAL_REFUSALS: Final = (AuthenticationError, AccountBanned, PermissionDenied, InsufficientCredit)
# Refusals that will not change on retry: the row fails for good.
_PERMANENT_REFUSALS: Final = (ParameterError, MediaRejected, NotFound, ValidationError)


class CreateStage(RunState):
    """Creates rows' jobs with the journal's intent/answer protocol."""

    async def _create(self, row: ManifestRow) -> list[Job] | None:
        """Create a row's jobs; None if the row ended without jobs (its outcome is emitted).

        Until an answer proves a session's credentials, its creates go one at a time: a wrong
        key is refused once, not once per row in flight.
        """
        session = self._route[row.row_id]
        if session in self._proven:
            return await self._create_row(row)
        lock = self._probes.setdefault(session, anyio.Lock())
        async with lock:
            reason = self._halted_for(row) or (self._stop_reason if self._stopping else None)
            if reason is not None:
                self._emit(
                    BatchOutcome(
                        row.row_id,
                        row.family,
                        OutcomeState.INCOMPLETE,
                        error=f"not started ({reason})",
                    )
                )
                return None
            if session not in self._proven:
                jobs = await self._create_row(row)
                if jobs is not None or self._halted_for(row) is None:
                    self._proven.add(session)
                return jobs
        # Proven while this row waited: it goes with the others, not one at a time.
        return await self._create_row(row)

    async def _create_row(self, row: ManifestRow) -> list[Job] | None:
        """Create a row's jobs with the journal's intent/answer protocol; None if it ended."""
        journal = self._journal
        assert journal is not None
        row_id = row.row_id
        attempt = 0
        while True:
            try:
                await self._begin_create(row_id)
            except (StateError, NoFreeSlot, LeaseLost) as exc:  # another runner took the row
                self._emit(
                    BatchOutcome(row_id, row.family, OutcomeState.INCOMPLETE, error=str(exc))
                )
                return None
            self._progress.set_phase(row_id, Phase.CREATING)
            try:
                await anyio.lowlevel.checkpoint_if_cancelled()
            except anyio.get_cancelled_exc_class():
                # Nothing was sent: the intent can be taken back.
                with anyio.CancelScope(shield=True):
                    await self._j(journal.mark_unknown_for_retry, [row_id])
                raise
            sent = [False]  # (set once the create request leaves: see create_sent)
            token = create_sent.set(sent)
            try:
                jobs = await self._route[row_id].create(
                    row.family, row.fields, max_wait=self.max_wait
                )
            except CreationUnknown as exc:
                await self._j(journal.record_unknown, row_id, exc.cause)
                logger.warning("row %s: create outcome unknown: %s", row_id, exc.cause)
                self.unknown_rows.append(row_id)
                self._emit(BatchOutcome(row_id, row.family, OutcomeState.UNKNOWN, error=str(exc)))
                return None
            except AkoolError as exc:
                # Refused or never sent (a sent request whose answer was lost is CreationUnknown).
                if await self._refused(row, exc, attempt):
                    attempt += 1
                    continue
                return None
            except BaseException as exc:
                if not sent[0]:
                    # Cancelled (or a bug) before the request left, e.g. while it waited for a
                    # rate-budget token: nothing was created, so the intent is taken back.
                    with anyio.CancelScope(shield=True):
                        await self._j(journal.mark_unknown_for_retry, [row_id])
                    raise
                # Cancelled (or a bug) while the request may have been in flight.
                with anyio.CancelScope(shield=True):
                    await self._j(
                        journal.record_unknown,
                        row_id,
                        "interrupted while the create request was in flight "
                        f"({type(exc).__name__})",
                    )
                self.unknown_rows.append(row_id)
                raise
            finally:
                create_sent.reset(token)
            break
        ids = [job.id for job in jobs]
        raw: dict[str, Any] = {
            "jobs": [dict(j.snapshot.raw) for j in jobs if j.snapshot is not None]
        }
        # Parts the server refused while creating the others (a translation's failed
        # languages) are journaled as failed entries of the row, in request order.
        refused_parts: list[tuple[str, str]] = []
        by_part = getattr(jobs, "by_language", None)
        if callable(by_part):
            ids = []
            for label, part in by_part():
                if isinstance(part, Job):
                    ids.append(part.id)
                else:
                    key = f"refused:{row_id}.{label}"
                    refused_parts.append((key, f"[{part.code}] {part.message}"))
                    ids.append(key)
        refused = getattr(jobs, "failed", ())  # a batch create's refused videos, if any
        if refused:
            raw["refused"] = [{"code": r.code, "message": r.message} for r in refused]
            logger.warning("row %s: the create refused %d job(s)", row_id, len(refused))
        try:
            with anyio.CancelScope(shield=True):
                await self._j(journal.record_created, row_id, ids, raw)
                for key, reason in refused_parts:
                    await self._j(journal.record_status, key, RowState.FAILED, error=reason)
        except JournalError:
            # The jobs exist and are billed: make sure their ids are not lost with the journal
            # (the log, and the report, list them).
            logger.critical("row %s: created jobs %s but could not journal them", row_id, ids)
            self.unjournaled[row_id] = ids
            raise
        for job in jobs:
            self._progress.job_status[job.id] = job.status
        ids = [job.id for job in jobs]
        self._progress.add_jobs(row_id, ids)
        self._progress.set_phase(row_id, Phase.QUEUEING)
        self._progress.job_phase(row_id, ids)
        logger.debug("row %s: created %s", row_id, ",".join(ids))
        return jobs

    async def _refused(self, row: ManifestRow, exc: AkoolError, attempt: int) -> bool:
        """Journal a refusal; True to try the row again now (after a backoff sleep)."""
        journal = self._journal
        assert journal is not None
        permanent = isinstance(exc, _PERMANENT_REFUSALS) or (
            isinstance(exc, HTTPStatusError) and not exc.retryable
        )
        reason = describe(exc)
        await self._j(journal.record_refused, row.row_id, reason, permanent=permanent)
        if permanent:
            logger.warning("row %s: refused: %s", row.row_id, reason)
            self._emit(BatchOutcome(row.row_id, row.family, OutcomeState.FAILED, error=reason))
            return False
        session = self._route[row.row_id]
        if isinstance(exc, AuthenticationError) and self.auth_error is None:
            self.auth_error = exc
        if isinstance(exc, (*_FATAL_REFUSALS, SessionClosed)):
            # Every other create at this provider would be refused the same way; jobs already
            # created go on, and so do the other providers' rows.
            if session not in self._halts:
                logger.error(
                    "create refused (%s); no more %s rows are created", reason, session.provider
                )
                self._halts[session] = f"create refused: {reason}"
            if isinstance(exc, AuthenticationError) and len(self._halts) == len(self.sessions):
                # Every request would be refused the same way, polls included: stop now.
                self.stop(f"credentials refused: {reason}")
        elif (
            attempt < self._create_retries and not self._stopping and self._halted_for(row) is None
        ):
            delay = retry_delay(attempt, base=2.0, cap=30.0, rng=self._rng)
            logger.info(
                "row %s: refused for now (%s); retrying in %.1fs", row.row_id, reason, delay
            )
            with self._stoppable() as scope:
                try:
                    await self.session.clock.sleep(delay)
                finally:
                    self._stop_scopes.discard(scope)
            if not self._stopping and self._halted_for(row) is None:
                return True
        self._emit(
            BatchOutcome(
                row.row_id,
                row.family,
                OutcomeState.INCOMPLETE,
                error=f"refused for now: {reason}",
            )
        )
        return False
