"""What every provider's session shares: lifecycle, one transport, one scheduler, tracking.

:class:`akool_async.Session` (Akool) and :class:`akool_async.topview.TopViewSession` (TopView)
are thin subclasses that add their provider's auth, envelope, families and resources.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import os
import random
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self, TypedDict, Unpack, overload

import aiohttp
import anyio
import attrs
from anyio.abc import TaskGroup, TaskStatus
from yarl import URL

from . import _constants as C
from ._auth import Auth
from ._backoff import PollPolicy
from ._clock import Clock, SystemClock
from ._converter import build_request, request_body
from ._created_jobs import CreateAnswer, ids_in
from ._errors import (
    ConfigurationError,
    CreationUnknown,
    NotFound,
    SessionClosed,
    ValidationError,
)
from ._family import Family, StatusEndpoint
from ._job import AsCompleted, Job, decode_token
from ._jobmodels import JobResult, JobSnapshot
from ._provider import expected_job_labels
from ._ratelimit import RateBudget
from ._resource import MaxWait, rebind_resources
from ._scheduler import EventStream, Scheduler
from ._sentinel import NOT_GIVEN, NotGiven
from ._transport import AKOOL, Dialect, RetryPolicy, Transport, check_base_url
from ._validators import check_http_url

if TYPE_CHECKING:
    # Type-only: the batch wing sits above the sessions (see use_batch_runner).
    from ._batch import BatchOptions, BatchRunner, Manifest, ManifestRow

try:  # which cancel scope is innermost (see _exits_cleanly); anyio has no public way to ask
    from anyio._backends._asyncio import _task_states
except ImportError:  # pragma: no cover - another anyio layout
    _task_states = None  # type: ignore[assignment]

__all__ = ["BaseSession", "SessionOptions", "check_max_wait", "use_batch_runner"]

log = logging.getLogger("akool_async")


class SessionOptions(TypedDict, total=False):
    """Options every session accepts; :class:`akool_async.Session` documents each one."""

    http: aiohttp.ClientSession | None
    timeout: float
    max_wait: float | None
    rate: float | None
    burst: float
    max_connections: int
    max_inflight_polls: int
    poll_policy: PollPolicy | None
    poll_model: Mapping[str, Any] | None
    webhook_url: str | None
    webhook_backstop: float
    clock: Clock | None
    retry: RetryPolicy | None
    seed: int | None
    allow_insecure_http: bool
    max_tracked_jobs: int
    max_response_bytes: int
    verify_ssl: bool


class _RunBatch(Protocol):
    def __call__(
        self,
        session: BaseSession,
        rows: Manifest | Iterable[ManifestRow | Mapping[str, Any]],
        *,
        out_dir: str | os.PathLike[str],
        **options: Unpack[BatchOptions],
    ) -> BatchRunner: ...


_run_batch: _RunBatch | None = None


def use_batch_runner(run_batch: _RunBatch) -> None:
    """Let ``session.batch`` run batches with ``run_batch`` (the package's top hands it the
    batch wing's; the sessions never import the wing)."""
    global _run_batch
    _run_batch = run_batch


class BaseSession:
    """Lifecycle, transport, scheduler and tracking shared by every provider's session.

    Subclasses provide the family table, :meth:`_created` (read a create answer) and
    :meth:`_fetch_status` (read statuses).
    """

    families: Mapping[str, Family] = {}
    #: The provider's request validation, ``(request class, fields) -> request``.
    _build_request: staticmethod[[type[Any], Mapping[str, Any]], Any] = staticmethod(build_request)
    #: The provider's name (its record's ``name``), written into job tokens.
    provider: str

    def __init__(
        self,
        *,
        auth: Auth,
        base_url: str,
        dialect: Dialect = AKOOL,
        extra_headers: Mapping[str, str] | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        unknown = set(options) - set(SessionOptions.__annotations__)
        if unknown:
            raise TypeError(f"unexpected session option(s): {', '.join(sorted(unknown))}")
        o = options
        timeout = o.get("timeout", C.DEFAULT_TIMEOUT)
        max_wait = o.get("max_wait", C.DEFAULT_MAX_WAIT)
        webhook_url = o.get("webhook_url")
        max_connections = o.get("max_connections", C.DEFAULT_MAX_CONNECTIONS)
        self._auth = auth
        self.base_url = check_base_url(
            base_url, allow_insecure_http=o.get("allow_insecure_http", False)
        )
        if not timeout > 0:
            raise ConfigurationError("timeout: must be > 0")
        max_wait = check_max_wait(max_wait)
        if webhook_url is not None:
            check_http_url("webhook_url", webhook_url)
        self.clock: Clock = o.get("clock") or SystemClock()
        self.max_wait = max_wait
        self.webhook_url = webhook_url
        rng = random.Random(o.get("seed"))
        self.budget = RateBudget(
            o.get("rate", C.DEFAULT_RATE), o.get("burst", C.DEFAULT_BURST), self.clock
        )
        self.transport = Transport(
            base_url=self.base_url,
            auth=auth,
            clock=self.clock,
            budget=self.budget,
            http=o.get("http"),
            timeout=timeout,
            max_connections=max_connections,
            retry=o.get("retry") or RetryPolicy(rng=random.Random(rng.random())),
            max_response_bytes=o.get("max_response_bytes", C.MAX_RESPONSE_BYTES),
            dialect=dialect,
            extra_headers=extra_headers,
            verify_ssl=o.get("verify_ssl", True),
        )
        self.scheduler = Scheduler(
            self._fetch_status,
            clock=self.clock,
            max_inflight=min(
                o.get("max_inflight_polls", C.DEFAULT_MAX_INFLIGHT_POLLS), max_connections
            ),
            policy=o.get("poll_policy"),
            rng=rng,
            webhook_backstop=o.get("webhook_backstop", C.DEFAULT_WEBHOOK_BACKSTOP),
            max_tracked=o.get("max_tracked_jobs", C.MAX_TRACKED_JOBS),
            provider=self.provider,
        )
        poll_model = o.get("poll_model")
        if poll_model is not None:
            self.load_poll_model(poll_model)
        self._tg: TaskGroup | None = None
        self._run_scope: anyio.CancelScope | None = None
        self._stopped = anyio.Event()
        self._state: Literal["new", "open", "closed"] = "new"
        self._origin: BaseSession = self  # owns the lifecycle (another for a with_options view)

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise SessionClosed("a session can be entered once; create a new one")
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        try:
            await self._tg.start(self._run_scheduler)
        except BaseException:
            await self._tg.__aexit__(None, None, None)
            raise
        self._state = "open"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._shutdown(exit_group=True)

    async def _run_scheduler(
        self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        # The scheduler has its own cancel scope: closing the session cancels it alone, never
        # the caller's code that runs inside the session's task group.
        try:
            with anyio.CancelScope() as scope:
                self._run_scope = scope
                await self.scheduler.run(task_status=task_status)
        finally:
            self._stopped.set()

    async def aclose(self) -> None:
        """Stop the scheduler, release unfinished jobs (JobStopped) and close our HTTP session.

        Safe to call twice, and from anywhere in the task that entered the session (a nested
        task group included); the session's task group itself ends at ``__aexit__``.
        """
        await self._shutdown(exit_group=False)

    async def _shutdown(self, *, exit_group: bool) -> None:
        tg = self._tg
        if self._state == "closed" and (tg is None or not exit_group):
            return
        self._state = "closed"
        self.scheduler.close()
        if self._run_scope is not None:
            self._run_scope.cancel()
        if tg is not None and (exit_group or _exits_cleanly(tg)):
            self._tg = None
            try:
                await tg.__aexit__(None, None, None)
            finally:
                with anyio.CancelScope(shield=True):
                    await self.transport.aclose()
            return
        # Shielded: a caller being cancelled still gets a clean close (no unclosed session).
        with anyio.CancelScope(shield=True):
            try:
                if tg is not None:
                    await self._stopped.wait()
            finally:
                await self.transport.aclose()

    def with_options(
        self, *, timeout: float | NotGiven = NOT_GIVEN, max_wait: MaxWait = NOT_GIVEN
    ) -> Self:
        """This session with other defaults (request ``timeout``, jobs' ``max_wait``) for the
        calls made through it, sharing its connections, auth, budget and scheduler; the original
        keeps the lifecycle (enter and close that one)."""
        view = copy.copy(self)
        view._origin = self._origin
        if not isinstance(max_wait, NotGiven):
            view.max_wait = check_max_wait(max_wait)
        if not isinstance(timeout, NotGiven):
            view.transport = self.transport.with_timeout(timeout)
        rebind_resources(view)
        return view

    def _check_open(self) -> None:
        if (state := self._origin._state) == "closed":
            raise SessionClosed("the session is closed")
        if state == "new":
            raise SessionClosed("use `async with Session(...) as session:` before creating jobs")

    async def create(
        self,
        family_name: str,
        fields: Mapping[str, Any],
        *,
        max_wait: float | NotGiven | None = NOT_GIVEN,
    ) -> list[Job]:
        """Create jobs of any family from untyped fields (a manifest row, a config file).

        Field names are the SDK's (``webhook_url``, ``source_image``...). Returns every job the
        create started (several for a multi-language translation), a :class:`CreatedJobs`
        whose ``failed`` lists the parts the answer refused.

        Raises:
            ValidationError: naming the bad, missing or unknown field; nothing was sent.
        """
        fam = self._family(family_name)
        request = self._build_request(fam.request_type, fields)
        return await self._create(fam, request, max_wait=max_wait)

    async def _create(
        self, fam: Family, request: Any, *, max_wait: float | NotGiven | None
    ) -> list[Job]:
        self._check_open()
        deadline_in = self._max_wait(max_wait)
        if (
            self.webhook_url is not None
            and attrs.has(type(request))
            and "webhook_url" in attrs.fields_dict(type(request))
            and request.webhook_url is None
        ):
            # Only families whose page documents a webhook field get the session's one.
            request = attrs.evolve(request, webhook_url=self.webhook_url)
        body = self._body(fam, request)
        endpoint = f"POST {fam.create_path}"
        # Room for every job this create starts is held while it is in flight: a job created
        # (and billed) at Akool must never be refused by the scheduler afterwards.
        with self.scheduler.reserve(_expected_jobs(request)):
            envelope = await self.transport.request(
                "POST", fam.create_path, json_body=body, kind="create"
            )
            # Akool answered: from here on the jobs exist (and are billed). Whatever goes wrong
            # in our own code, the caller gets the jobs or an error that names them.
            answer: CreateAnswer | None = None
            try:
                answer = self._created(fam, envelope, request)
                jobs = answer.collect(self._adopt(fam, request, answer, deadline_in))
            except Exception as exc:
                raise CreationUnknown(
                    endpoint=endpoint,
                    request=body,
                    cause=f"the answer could not be taken up ({type(exc).__name__})",
                    job_ids=answer.job_ids if answer is not None else ids_in(envelope),
                ) from exc
            if not jobs:
                if answer.refusal is not None:  # every part was refused: nothing was created
                    raise answer.refusal
                # Billed, probably, but we cannot tell which job: never retry blindly.
                raise CreationUnknown(
                    endpoint=endpoint, request=body, cause="the answer named no job id"
                )
        if jobs.failed:
            log.warning("%s create refused %d part(s)", fam.name, len(jobs.failed))
        log.debug("created %d %s job(s)", len(jobs), fam.name, extra={"job_ids": answer.job_ids})
        return jobs

    def _adopt(
        self, fam: Family, request: Any, answer: CreateAnswer, deadline_in: float | None
    ) -> list[Job]:
        """Track the jobs a create answer started (reserved room: never refused)."""
        now = self.clock.now()
        wall = self.clock.wall()
        webhook = getattr(request, "webhook_url", None) is not None
        jobs = []
        for job_id, snap in answer.jobs:
            job = Job(
                job_id,
                fam,
                self.scheduler,
                created_at=now,
                created_wall=wall,
                deadline=None if deadline_in is None else now + deadline_in,
                webhook=webhook,
            )
            jobs.append(self.scheduler.add(job, snap, reserved=True))
        return jobs

    def _max_wait(self, max_wait: float | NotGiven | None) -> float | None:
        if isinstance(max_wait, NotGiven):
            return self.max_wait
        return check_max_wait(max_wait)

    # -- tracking ---------------------------------------------------------------------------

    def track(
        self,
        job_id: str,
        *,
        family: str,
        max_wait: float | NotGiven | None = NOT_GIVEN,
        webhook: bool = False,
        created_wall: float | None = None,
    ) -> Job:
        """Attach to a job created earlier (by this program or another).

        Args:
            job_id: the job's ``_id``.
            family: its family name (decides how it is polled).
            max_wait: deadline from now; None waits forever.
            webhook: whether a webhook is expected (polled as a slow backstop).
            created_wall: when it was created (epoch seconds), if known.
        """
        self._check_open()
        if not isinstance(job_id, str) or not job_id.strip():
            raise ValidationError("job_id", "must be a non-empty string")
        fam = self._family(family)
        deadline_in = self._max_wait(max_wait)
        now = self.clock.now()
        wall = self.clock.wall()
        created = created_wall if created_wall is not None else wall
        job = Job(
            job_id,
            fam,
            self.scheduler,
            # A resumed job is not fresh: no not-found grace, and it teaches no durations.
            created_at=now - max(0.0, wall - created) - (0 if created_wall else C.NOT_FOUND_GRACE),
            created_wall=created,
            deadline=None if deadline_in is None else now + deadline_in,
            webhook=webhook,
            learn=False,
        )
        return self.scheduler.add(job)

    def resume(self, token: str, *, max_wait: float | NotGiven | None = NOT_GIVEN) -> Job:
        """Track the job a :meth:`Job.token` describes."""
        data = decode_token(token)
        if data["provider"] != self.scheduler.provider:
            raise ValidationError(
                "token.provider", f"is {data['provider']!r}, not for this session"
            )
        return self.track(
            data["id"],
            family=data["family"],
            max_wait=max_wait,
            webhook=bool(data.get("webhook")),
            created_wall=float(data["created"]),
        )

    def notify(self, job_id: str, payload: Mapping[str, Any] | None = None) -> bool:
        """Tell the scheduler a job changed (webhooks call this); it confirms with one poll."""
        return self.scheduler.notify(job_id, payload)

    def export_poll_model(self) -> dict[str, Any]:
        """What the scheduler learned of each family's durations, as JSON-able data."""
        return self.scheduler.export_model()

    def load_poll_model(self, data: Mapping[str, Any]) -> None:
        """Start from an :meth:`export_poll_model` dict (families already learning keep theirs).

        Raises:
            ConfigurationError: ``data`` is not such a dict (the message says what is wrong).
        """
        try:
            self.scheduler.load_model(data)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None

    def events(self, *, max_buffer: int = 1000) -> EventStream:
        """A bounded stream of every job's de-duplicated status transitions."""
        return self.scheduler.subscribe(max_buffer=max_buffer)

    def as_completed(self, jobs: Iterable[Job]) -> AsCompleted:
        """Yield ``jobs`` as they finish (completed, failed or timed out), in that order.

        Leaving the loop early (``break``, cancellation, an exception) is safe: the jobs stay
        tracked and the session is unaffected.
        """
        return AsCompleted(jobs)

    @overload
    async def gather(
        self, jobs: Sequence[Job], *, return_exceptions: Literal[False] = ...
    ) -> list[JobResult]: ...

    @overload
    async def gather(
        self, jobs: Sequence[Job], *, return_exceptions: Literal[True]
    ) -> list[JobResult | BaseException]: ...

    async def gather(
        self, jobs: Sequence[Job], *, return_exceptions: bool = False
    ) -> list[JobResult] | list[JobResult | BaseException]:
        """Wait for every job; results in submission order.

        With ``return_exceptions=False`` the first failure (in completion order) is raised; the
        other jobs stay tracked, and the session goes on polling them.
        """
        jobs = list(jobs)
        async with AsCompleted(jobs) as pending:
            async for job in pending:
                if not return_exceptions and job.exception() is not None:
                    job.result()
        if return_exceptions:
            return [j.exception() or j.result() for j in jobs]
        return [j.result() for j in jobs]

    # -- one-off reads ----------------------------------------------------------------------

    async def status(self, job_id: str, *, family: str) -> JobSnapshot:
        """Fetch a job's status once (no tracking)."""
        self._check_open()
        fam = self._family(family)
        found = await self._fetch_status(fam.status, fam, [job_id], kind="safe")
        snap = found.get(job_id)
        if snap is None:
            raise NotFound(1008, f"job {job_id} does not exist", endpoint=fam.status.key)
        return snap

    # -- batches ----------------------------------------------------------------------------

    def batch(
        self,
        rows: Manifest | Iterable[ManifestRow | Mapping[str, Any]],
        *,
        out_dir: str | os.PathLike[str],
        **options: Unpack[BatchOptions],
    ) -> BatchRunner:
        """Run many jobs from manifest rows, journaled, resumable and downloaded.

        Use as ``async with session.batch(rows, out_dir="out") as batch: async for outcome in
        batch: ...``. For rows of several providers, pass every session to
        :func:`akool_async.run_batch`, which documents each option.
        """
        if _run_batch is None:
            raise RuntimeError("import akool_async to run batches")
        return _run_batch(self, rows, out_dir=out_dir, **options)

    # -- provider hooks ---------------------------------------------------------------------

    def _family(self, name: str) -> Family:
        fam = self.families.get(name) if isinstance(name, str) else None
        if fam is None:
            raise ValidationError(
                "family", f"unknown family {name!r}; known: {', '.join(sorted(self.families))}"
            )
        return fam

    def _body(self, fam: Family, request: Any) -> dict[str, Any]:
        """The JSON body of a create request."""
        return request_body(fam, request)

    def _created(self, fam: Family, envelope: Mapping[str, Any], request: Any) -> CreateAnswer:
        """What the create answer to ``request`` says: the jobs it started (id, first snapshot
        if the answer has one), the parts it refused, the error when it started none."""
        raise NotImplementedError

    async def _fetch_status(
        self,
        endpoint: StatusEndpoint,
        fam: Family,
        ids: Sequence[str],
        *,
        kind: Literal["poll", "safe"] = "poll",
    ) -> Mapping[str, JobSnapshot]:
        """Ask for the statuses of ``ids`` (one request)."""
        raise NotImplementedError

    def _status_url(self, job: Job | None, path: str, params: Mapping[str, str] | None) -> URL:
        """The URL of a status read at ``path``: a tracked ``job``'s polls reuse the one its
        first poll prepared there (see :meth:`Transport.prepare`)."""
        target = job.poll_state.target if job is not None else None
        if target is not None and target[0] == path:
            return target[1]
        url = self.transport.prepare(path, params)
        if job is not None:
            job.poll_state.target = (path, url)
        return url

    def __repr__(self) -> str:
        # getattr: a half-built session (its __init__ raised) is shown by tracebacks' locals too.
        return (
            f"<{type(self).__name__} {getattr(self, 'base_url', '?')} "
            f"{getattr(self, '_auth', None)!r} {getattr(self, '_state', 'new')}>"
        )


def check_max_wait(value: object, field: str = "max_wait") -> float | None:
    """A job deadline in seconds: None, or a finite number > 0 and at most 30 days.

    Raises:
        ValidationError: naming ``field``; checked before any request is sent.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(
            field, f"must be a number of seconds or None, got {type(value).__name__}"
        )
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not (math.isfinite(seconds) and 0 < seconds <= C.MAX_MAX_WAIT):
        raise ValidationError(
            field, f"must be > 0 and at most {C.MAX_MAX_WAIT:.0f} seconds (30 days), or None"
        )
    return seconds


def _exits_cleanly(tg: TaskGroup) -> bool:
    """Whether the session's task group is the innermost cancel scope of the current task.

    Only then may ``aclose()`` end it; called from a nested task group, the group is left to
    ``__aexit__`` instead of raising (and cancelling the caller's own tasks).
    """
    if _task_states is None:  # pragma: no cover - another anyio layout
        return True
    state = _task_states.get(asyncio.current_task())  # type: ignore[arg-type]
    return state is None or state.cancel_scope is tg.cancel_scope


def _expected_jobs(request: Any) -> int:
    """How many jobs a create starts: one per language, ``count`` videos, else one."""
    return len(expected_job_labels(request))
