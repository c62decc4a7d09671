"""Awaitable jobs.

A :class:`Job` is a handle on one Akool job. It holds the last status the session learned (no
network call to read it), and ``await job`` waits for the end. The scheduler keeps its own
book-keeping on the same object (slots, no extra allocation per job), so tracking 100,000 jobs
stays cheap.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import ResultNotAFile, ValidationError
from ._family import Family
from ._jobmodels import JobResult, JobSnapshot, JobStatus

if TYPE_CHECKING:
    from yarl import URL

    from ._download import DownloadResult
    from ._result_download import Destination
    from ._scheduler import Scheduler

__all__ = ["TOKEN_VERSION", "AsCompleted", "Job", "PollState", "decode_token"]

log = logging.getLogger("akool_async")

TOKEN_VERSION = 1


class PollState:
    """What the scheduler keeps about one job between polls (one small record per job).

    Attributes:
        due: when the next poll is due (scheduler clock), None while none is scheduled.
        final: the next poll is the one at the job's deadline.
        errors: failed polls in a row (drives the retry backoff).
        polls_in_status: polls that saw the current status unchanged.
        solo: poll this job alone (a batch request was refused because of one of its ids).
        running_seen: when a poll last saw the job still running.
        ended_by: when a webhook said it ended (to learn when it really ended).
        origin: when its age counts from (creation, or when it got a plan slot).
        probe: its polls teach the family's duration model (see ``_planning``).
        tail_polls: polls made past the family's high quantile.
        queued_seen: when a poll last saw it queueing (status 1).
        slack: how far ``origin`` may be off (it got its plan slot somewhere in a window of
            twice this), so the polls past the family's high quantile stay close that much longer.
        target: the provider session's prepared status request for this job alone (its path
            and URL), made on the first poll and reused by the later ones; dropped at the end.
    """

    __slots__ = (
        "due",
        "ended_by",
        "errors",
        "final",
        "origin",
        "polls_in_status",
        "probe",
        "queued_seen",
        "running_seen",
        "slack",
        "solo",
        "tail_polls",
        "target",
    )

    def __init__(self) -> None:
        self.due: float | None = None
        self.final = False
        self.errors = 0
        self.polls_in_status = 0
        self.solo = False
        self.running_seen: float | None = None
        self.ended_by: float | None = None
        self.origin = 0.0
        self.slack = 0.0
        self.probe = False
        self.tail_polls = 0
        self.queued_seen: float | None = None
        self.target: tuple[str, URL] | None = None


class Job:
    """One job being tracked by a session's scheduler.

    Attributes:
        id: the job's ``_id``.
        status: the last known status (None until known); reading it sends nothing.
        progress: 0-100 where the API reports it.
        snapshot: the last status reading.
    """

    __slots__ = (
        "_callbacks",
        "_event",
        "_exception",
        "_fam",
        "_result",
        "_scheduler",
        "created_at",
        "created_wall",
        "deadline",
        "id",
        "learn",
        "media_duration",
        "poll_state",
        "polls",
        "progress",
        "snapshot",
        "status",
        "webhook",
    )

    def __init__(
        self,
        job_id: str,
        fam: Family,
        scheduler: Scheduler,
        *,
        created_at: float,
        created_wall: float,
        deadline: float | None,
        webhook: bool = False,
        learn: bool = True,
    ) -> None:
        self.id = job_id
        self._fam = fam
        self._scheduler = scheduler
        self.created_at = created_at
        self.created_wall = created_wall
        self.deadline = deadline
        self.webhook = webhook
        self.learn = learn
        self.status: JobStatus | None = None
        self.progress: int | None = None
        self.snapshot: JobSnapshot | None = None
        self.media_duration: float | None = None
        #: Status requests that included this job.
        self.polls = 0
        self._result: JobResult | None = None
        self._exception: BaseException | None = None
        self._event: anyio.Event | None = None
        self._callbacks: list[Callable[[Job], None]] | None = None
        #: The scheduler's book-keeping for this job (see :class:`PollState`).
        self.poll_state = PollState()

    # -- public ---------------------------------------------------------------------------

    @property
    def family(self) -> str:
        """The family's name, e.g. ``"talking_photo"``."""
        return self._fam.name

    @property
    def spec(self) -> Family:
        """The family's description: how the job is created and polled."""
        return self._fam

    def done(self) -> bool:
        """Whether the job reached an end (completed, failed, timed out or stopped)."""
        return self._result is not None or self._exception is not None

    def result(self) -> JobResult:
        """The result of a finished job.

        Raises:
            JobFailed, JobTimeout, JobNotFound, JobStopped...: what ended the job.
            RuntimeError: the job is not done yet (await it instead).
        """
        if self._exception is not None:
            raise self._exception
        if self._result is None:
            raise RuntimeError(f"job {self.id} is not done; use `await job`")
        return self._result

    def exception(self) -> BaseException | None:
        """The exception that ended the job, None if it completed or is still running."""
        return self._exception

    def stop(self) -> None:
        """Stop tracking this job. Waiters get JobStopped; the job itself still runs at Akool."""
        self._scheduler.stop(self)

    def add_done_callback(self, fn: Callable[[Job], None]) -> None:
        """Call ``fn(job)`` when the job ends (at once if it already has).

        A callback that raises is logged, whenever it runs, and its error goes no further.
        """
        if self.done():
            self._run_callback(fn)
            return
        if self._callbacks is None:
            self._callbacks = []
        self._callbacks.append(fn)

    def remove_done_callback(self, fn: Callable[[Job], None]) -> None:
        """Forget a callback added with :meth:`add_done_callback` (no error if absent)."""
        if self._callbacks is not None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(fn)

    async def wait(self) -> JobResult:
        """Wait for the end; same as ``await job``.

        Cancelling the waiting task only stops waiting: the job stays tracked.
        """
        if not self.done():
            if self._event is None:
                self._event = anyio.Event()
            await self._event.wait()
        return self.result()

    async def download(self, dest: Destination, **options: Any) -> DownloadResult:
        """Wait for the end, then save the result (see :meth:`JobResult.download`).

        Raises:
            ResultNotAFile: at once, without waiting, for a family whose result is not a file
                (read ``(await job).data``).
        """
        if not self._fam.result_is_file:
            raise ResultNotAFile(self.id, self._fam.name)
        result = await self.wait()
        return await result.download(dest, **options)

    def __await__(self) -> Generator[Any, None, JobResult]:
        return self.wait().__await__()

    def events(self, *, max_buffer: int = 16) -> Any:
        """A stream of this job's status transitions; it ends when the job does."""
        return self._scheduler.subscribe(job_id=self.id, max_buffer=max_buffer)

    def token(self) -> str:
        """A versioned JSON token to resume tracking later (``session.resume``); no secrets."""
        return json.dumps(
            {
                "v": TOKEN_VERSION,
                "provider": self._scheduler.provider,
                "id": self.id,
                "family": self._fam.name,
                "created": round(self.created_wall, 3),
                "webhook": self.webhook,
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    def __repr__(self) -> str:
        state = self.status.name.lower() if self.status is not None else "unknown"
        if self.done():
            state = "completed" if self._exception is None else type(self._exception).__name__
        return f"<Job {self._fam.name} {self.id} {state}>"

    # -- scheduler side -------------------------------------------------------------------

    def settle(self, result: JobResult | None, exc: BaseException | None) -> None:
        """End the job with ``result`` or ``exc`` (the scheduler calls this; once only).

        Waiters wake and done-callbacks run; a callback that raises is logged and never
        reaches the scheduler, so one careless callback cannot stop polling.
        """
        if self.done():
            return
        self._result = result
        self._exception = exc
        self.poll_state.due = None
        self.poll_state.target = None  # (a caller may keep a done job: keep it small)
        if self._event is not None:
            self._event.set()
        callbacks, self._callbacks = self._callbacks, None
        for cb in callbacks or ():
            self._run_callback(cb)

    def _run_callback(self, fn: Callable[[Job], None]) -> None:
        try:
            fn(self)
        except Exception:
            log.exception("a done-callback of job %s raised", self.id)


class AsCompleted:
    """Async iterator over jobs in the order they end (``session.as_completed``).

    It holds no task and no stream: each job's done-callback appends it to a queue. Leaving
    the loop early (``break``, cancellation, an exception) leaves nothing behind that could
    fail later; :meth:`aclose` (or ``async with``) also drops the callbacks at once.
    """

    __slots__ = ("_event", "_left", "_pending", "_ready")

    def __init__(self, jobs: Iterable[Job]) -> None:
        self._pending: list[Job] = list(dict.fromkeys(jobs))
        self._ready: collections.deque[Job] = collections.deque()
        self._left = len(self._pending)
        self._event: anyio.Event | None = None
        for job in self._pending:
            job.add_done_callback(self._on_done)

    def _on_done(self, job: Job) -> None:
        self._ready.append(job)
        if self._event is not None:
            self._event.set()

    def __aiter__(self) -> AsCompleted:
        return self

    async def __anext__(self) -> Job:
        if self._left <= 0:
            raise StopAsyncIteration
        while not self._ready:
            self._event = anyio.Event()
            try:
                await self._event.wait()
            finally:
                self._event = None
        self._left -= 1
        return self._ready.popleft()

    async def __aenter__(self) -> AsCompleted:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop iterating; the jobs stay tracked."""
        self._left = 0
        for job in self._pending:
            job.remove_done_callback(self._on_done)
        self._ready.clear()


def decode_token(token: str) -> dict[str, Any]:
    """Parse and check a job token.

    Raises:
        ValidationError: the token is not one we made, or of an unknown version.
    """
    try:
        data = json.loads(token)
    except (TypeError, ValueError, RecursionError):
        raise ValidationError("token", "is not a job token (not JSON)") from None
    if not isinstance(data, dict) or data.get("v") != TOKEN_VERSION:
        raise ValidationError("token", f"unsupported token version (expected {TOKEN_VERSION})")
    for key, typ in (("id", str), ("family", str), ("provider", str)):
        if not isinstance(data.get(key), typ) or not data[key]:
            raise ValidationError(f"token.{key}", "is missing")
    created = data.get("created")
    if not isinstance(created, int | float) or isinstance(created, bool):
        raise ValidationError("token.created", "is missing")
    return data
