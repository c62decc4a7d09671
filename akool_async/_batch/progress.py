"""Progress accounting of a batch run: each row's phase, counts per phase, each job's status."""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Final

from .._clock import Clock
from .._jobmodels import JobStatus
from .outcomes import BatchProgress, OutcomeState

__all__ = ["OUTCOME_PHASE", "Phase", "Progress"]

logger = logging.getLogger("akool_async.batch")


class Phase(enum.Enum):
    """Where a row stands in this run (what :class:`BatchProgress` counts)."""

    PENDING = "pending"
    CREATING = "creating"
    QUEUEING = "queueing"
    PROCESSING = "processing"
    DOWNLOADING = "downloading"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"
    INCOMPLETE = "incomplete"


#: The phase a row's outcome leaves it in.
OUTCOME_PHASE: Final = {
    OutcomeState.DONE: Phase.DONE,
    OutcomeState.FAILED: Phase.FAILED,
    OutcomeState.UNKNOWN: Phase.UNKNOWN,
    OutcomeState.INCOMPLETE: Phase.INCOMPLETE,
}
_IN_FLIGHT: Final = (Phase.CREATING, Phase.QUEUEING, Phase.PROCESSING)


class Progress:
    """Rows per phase and jobs per row, reported to ``on_progress`` on every change."""

    def __init__(
        self, total: int, clock: Clock, on_progress: Callable[[BatchProgress], None] | None
    ) -> None:
        self._total = total
        self._clock = clock
        self._on_progress = on_progress
        self._broken = False
        self._phase: dict[str, Phase] = {}
        self._counts: Counter[Phase] = Counter()
        self._created_rows: set[str] = set()
        #: Rows an earlier run finished (skipped by this one).
        self.skipped = 0
        #: Job id -> its row; row id -> its job ids; job id -> its last known status.
        self.job_row: dict[str, str] = {}
        self.row_jobs: dict[str, list[str]] = {}
        self.job_status: dict[str, JobStatus | None] = {}
        self.started = clock.now()

    def start(self) -> None:
        """The run starts now."""
        self.started = self._clock.now()

    def snapshot(self) -> BatchProgress:
        """Rows per phase, now."""
        c = self._counts
        return BatchProgress(
            total=self._total,
            pending=c[Phase.PENDING],
            creating=c[Phase.CREATING],
            queueing=c[Phase.QUEUEING],
            processing=c[Phase.PROCESSING],
            downloading=c[Phase.DOWNLOADING],
            done=c[Phase.DONE],
            failed=c[Phase.FAILED],
            unknown=c[Phase.UNKNOWN],
            incomplete=c[Phase.INCOMPLETE],
            created=len(self._created_rows),
            skipped=self.skipped,
            elapsed=self._clock.now() - self.started,
        )

    def set_phase(self, row_id: str, phase: Phase, *, notify: bool = True) -> None:
        """Move a row to ``phase`` (reported unless ``notify`` is False)."""
        old = self._phase.get(row_id)
        if old is phase:
            return
        if old is not None:
            self._counts[old] -= 1
        self._phase[row_id] = phase
        self._counts[phase] += 1
        if notify:
            self.notify()

    def notify(self) -> None:
        """Report the progress now (an ``on_progress`` that raises is not called again)."""
        if self._on_progress is not None and not self._broken:
            try:
                self._on_progress(self.snapshot())
            except Exception:
                self._broken = True
                logger.exception("on_progress raised; no more progress reports")

    def job_phase(self, row_id: str, job_ids: Sequence[str]) -> None:
        """Set an in-flight row's phase from its jobs' statuses (least advanced wins)."""
        if self._phase.get(row_id) not in _IN_FLIGHT:
            return
        statuses = [self.job_status.get(j) for j in job_ids]
        live = [s for s in statuses if s is None or not s.terminal]
        if any(s in (None, JobStatus.QUEUEING) for s in live):
            self.set_phase(row_id, Phase.QUEUEING)
        elif live:
            self.set_phase(row_id, Phase.PROCESSING)

    def add_jobs(self, row_id: str, job_ids: Sequence[str]) -> None:
        """The row's jobs (created by this run or an earlier one)."""
        self._created_rows.add(row_id)
        self.row_jobs[row_id] = list(job_ids)
        for job_id in job_ids:
            self.job_row[job_id] = row_id
