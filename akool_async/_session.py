"""The session: credentials, one transport, one scheduler, and the job-family resources."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, overload

import aiohttp
import anyio
import attrs
from anyio.abc import TaskGroup

from . import _constants as C
from ._auth import ApiKeyAuth, Auth, TokenAuth
from ._backoff import PollPolicy
from ._clock import Clock, SystemClock
from ._converter import build_request, request_body
from ._errors import (
    ConfigurationError,
    CreationUnknown,
    InvalidResponse,
    SessionClosed,
    ValidationError,
)
from ._families import FAMILIES, Family, StatusEndpoint, family
from ._job import Job, decode_token
from ._models import Credit, JobResult, JobSnapshot, Language, parse_snapshot
from ._ratelimit import RateBudget
from ._resources import (
    FaceSwap,
    Image,
    ImageToVideo,
    LipSync,
    TalkingAvatar,
    TalkingPhoto,
    TextToVideo,
    Tts,
    VideoTranslation,
)
from ._scheduler import EventStream, Scheduler
from ._sentinel import NOT_GIVEN, NotGiven
from ._transport import RetryPolicy, Transport, check_base_url

__all__ = ["Session"]

log = logging.getLogger("akool_async")


class Session:
    """An Akool API session: authenticates, creates jobs and tracks them with one scheduler.

    Use it as an async context manager::

        async with akool_async.Session() as session:
            job = await session.talking_photo.create(talking_photo_url=..., audio_url=...)
            result = await job
            print(result.url)

    Args:
        api_key: sent as ``x-api-key``. Defaults to ``$AKOOL_API_KEY``.
        client_id: with ``client_secret``, authenticate with a bearer token from ``getToken``
            instead (refreshed once on code 1101). Default ``$AKOOL_CLIENT_ID``.
        client_secret: default ``$AKOOL_CLIENT_SECRET``.
        base_url: default ``$AKOOL_BASE_URL`` or ``https://openapi.akool.com``.
        http: your own ``aiohttp.ClientSession``; it is used as is and not closed by us.
        timeout: per HTTP request, in seconds (not the job deadline).
        max_wait: default job deadline in clock seconds for ``await job``; None waits forever.
        rate: requests per second for the whole session (creates and polls); None for no limit.
        burst: the rate budget's bucket size.
        max_connections: connection pool size.
        max_inflight_polls: status requests in flight at once.
        poll_policy: poll delays (see :class:`PollPolicy`).
        webhook_url: default ``webhookUrl`` for every create; such jobs are polled only as a slow
            backstop and resolved by :meth:`notify`.
        webhook_backstop: poll interval (clock seconds) of jobs that expect a webhook.
        clock: every sleep and timestamp goes through it (tests pass a fast one).
        retry: retry policy of safe requests.
        seed: seed of the jitter source, for reproducible runs.
        allow_insecure_http: allow an ``http://`` base URL that is not loopback.
        max_tracked_jobs: refuse new creates beyond this many tracked jobs.
        max_response_bytes: cap on a response body.
        verify_ssl: TLS verification (on by default).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        http: aiohttp.ClientSession | None = None,
        timeout: float = C.DEFAULT_TIMEOUT,
        max_wait: float | None = C.DEFAULT_MAX_WAIT,
        rate: float | None = C.DEFAULT_RATE,
        burst: float = C.DEFAULT_BURST,
        max_connections: int = C.DEFAULT_MAX_CONNECTIONS,
        max_inflight_polls: int = C.DEFAULT_MAX_INFLIGHT_POLLS,
        poll_policy: PollPolicy | None = None,
        webhook_url: str | None = None,
        webhook_backstop: float = C.DEFAULT_WEBHOOK_BACKSTOP,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        seed: int | None = None,
        allow_insecure_http: bool = False,
        max_tracked_jobs: int = C.MAX_TRACKED_JOBS,
        max_response_bytes: int = C.MAX_RESPONSE_BYTES,
        verify_ssl: bool = True,
    ) -> None:
        self._auth = _make_auth(api_key, client_id, client_secret)
        url = base_url or os.environ.get("AKOOL_BASE_URL") or C.DEFAULT_BASE_URL
        self.base_url = check_base_url(url, allow_insecure_http=allow_insecure_http)
        if timeout <= 0:
            raise ConfigurationError("timeout: must be > 0")
        if max_wait is not None and max_wait <= 0:
            raise ConfigurationError("max_wait: must be > 0 or None")
        if webhook_url is not None:
            _check_webhook_url(webhook_url)
        self.clock: Clock = clock or SystemClock()
        self.max_wait = max_wait
        self.webhook_url = webhook_url
        rng = random.Random(seed)
        self.budget = RateBudget(rate, burst, self.clock)
        self.transport = Transport(
            base_url=self.base_url,
            auth=self._auth,
            clock=self.clock,
            budget=self.budget,
            http=http,
            timeout=timeout,
            max_connections=max_connections,
            retry=retry or RetryPolicy(rng=random.Random(rng.random())),
            max_response_bytes=max_response_bytes,
            verify_ssl=verify_ssl,
        )
        self.scheduler = Scheduler(
            self._fetch_status,
            clock=self.clock,
            max_inflight=min(max_inflight_polls, max_connections),
            policy=poll_policy,
            rng=rng,
            webhook_backstop=webhook_backstop,
            max_tracked=max_tracked_jobs,
        )
        self._tg: TaskGroup | None = None
        self._state: Literal["new", "open", "closed"] = "new"

        self.talking_photo = TalkingPhoto(self)
        self.lip_sync = LipSync(self)
        self.video_translation = VideoTranslation(self)
        self.talking_avatar = TalkingAvatar(self)
        self.faceswap = FaceSwap(self)
        self.image = Image(self)
        self.image_to_video = ImageToVideo(self)
        self.text_to_video = TextToVideo(self)
        self.tts = Tts(self)

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Session:
        if self._state != "new":
            raise SessionClosed("a session can be entered once; create a new one")
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        try:
            await self._tg.start(self.scheduler.run)
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
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the scheduler, release unfinished jobs (JobStopped) and close our HTTP session.

        Safe to call twice. Call it from the task that entered the session (``async with`` does).
        """
        if self._state == "closed":
            return
        self._state = "closed"
        self.scheduler.close()
        tg, self._tg = self._tg, None
        try:
            if tg is not None:
                tg.cancel_scope.cancel()
                await tg.__aexit__(None, None, None)
        finally:
            await self.transport.aclose()

    def _check_open(self) -> None:
        if self._state == "closed":
            raise SessionClosed("the session is closed")
        if self._state == "new":
            raise SessionClosed("use `async with Session(...) as session:` before creating jobs")

    # -- creating ---------------------------------------------------------------------------

    async def create(
        self,
        family_name: str,
        fields: Mapping[str, Any],
        *,
        max_wait: float | NotGiven | None = NOT_GIVEN,
    ) -> list[Job]:
        """Create jobs of any family from untyped fields (a manifest row, a config file).

        Field names are the SDK's (``webhook_url``, ``source_image``...). Returns every job the
        create started (several for a multi-language translation).

        Raises:
            ValidationError: naming the bad, missing or unknown field; nothing was sent.
        """
        fam = family(family_name)
        return await self._create(fam, build_request(fam.request_type, fields), max_wait=max_wait)

    async def _create(
        self, fam: Family, request: Any, *, max_wait: float | NotGiven | None
    ) -> list[Job]:
        self._check_open()
        deadline_in = self._max_wait(max_wait)
        if self.webhook_url is not None and getattr(request, "webhook_url", None) is None:
            request = attrs.evolve(request, webhook_url=self.webhook_url)
        self.scheduler.check_capacity()
        body = request_body(fam, request)
        endpoint = f"POST {fam.create_path}"
        envelope = await self.transport.request(
            "POST", fam.create_path, json_body=body, kind="create"
        )
        created = _created_objects(fam, envelope.get("data"))
        if not created:
            # Billed, probably, but we cannot tell which job: never retry blindly.
            raise CreationUnknown(endpoint=endpoint, request=body, cause="the answer named no _id")
        now = self.clock.now()
        wall = self.clock.wall()
        webhook = getattr(request, "webhook_url", None) is not None
        jobs = []
        for obj in created:
            job = Job(
                obj["_id"],
                fam,
                self.scheduler,
                created_at=now,
                created_wall=wall,
                deadline=None if deadline_in is None else now + deadline_in,
                webhook=webhook,
            )
            try:
                snap = parse_snapshot(
                    obj, status_field=fam.status_field, result_field=fam.result_field
                )
            except ValueError:
                snap = None
            jobs.append(self.scheduler.add(job, snap))
        log.debug(
            "created %d %s job(s)", len(jobs), fam.name, extra={"job_ids": [j.id for j in jobs]}
        )
        return jobs

    def _max_wait(self, max_wait: float | NotGiven | None) -> float | None:
        if isinstance(max_wait, NotGiven):
            return self.max_wait
        if max_wait is not None and not max_wait > 0:
            raise ValidationError("max_wait", "must be > 0 seconds, or None to wait forever")
        return max_wait

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
        fam = _family_checked(family)
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

    def events(self, *, max_buffer: int = 1000) -> EventStream:
        """A bounded stream of every job's de-duplicated status transitions."""
        return self.scheduler.subscribe(max_buffer=max_buffer)

    async def as_completed(self, jobs: Iterable[Job]) -> AsyncIterator[Job]:
        """Yield ``jobs`` as they finish (completed, failed or timed out), in that order."""
        pending = list(jobs)
        send, receive = anyio.create_memory_object_stream[Job](max(1, len(pending)))
        with send, receive:
            for job in pending:
                job.add_done_callback(send.send_nowait)
            for _ in range(len(pending)):
                yield await receive.receive()

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
        other jobs stay tracked.
        """
        async for job in self.as_completed(jobs):
            if not return_exceptions and job.exception() is not None:
                job.result()
        if return_exceptions:
            return [j.exception() or j.result() for j in jobs]
        return [j.result() for j in jobs]

    # -- one-off reads ----------------------------------------------------------------------

    async def status(self, job_id: str, *, family: str) -> JobSnapshot:
        """Fetch a job's status once (no tracking)."""
        self._check_open()
        fam = _family_checked(family)
        found = await self._fetch_status(fam.status, fam, [job_id], kind="safe")
        snap = found.get(job_id)
        if snap is None:
            from ._errors import NotFound

            raise NotFound(1008, f"job {job_id} does not exist", endpoint=fam.status.key)
        return snap

    async def languages(self) -> list[Language]:
        """The languages video translation accepts."""
        self._check_open()
        env = await self.transport.request("GET", "/api/open/v3/language/list")
        data = env.get("data")
        items = data.get("lang_list") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise InvalidResponse("no lang_list", endpoint="GET /api/open/v3/language/list")
        out = []
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("lang_code"), str):
                name = item.get("lang_name")
                url = item.get("url")
                out.append(
                    Language(
                        item["lang_code"],
                        name if isinstance(name, str) else item["lang_code"],
                        url if isinstance(url, str) else None,
                    )
                )
        return out

    async def credit(self) -> Credit:
        """The account's credit balance."""
        self._check_open()
        path = "/api/open/v3/faceswap/quota/info"
        env = await self.transport.request("GET", path)
        data = env.get("data")
        value = data.get("credit") if isinstance(data, Mapping) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidResponse("no credit in the answer", endpoint=f"GET {path}")
        assert isinstance(data, Mapping)
        return Credit(float(value), data)

    # -- the scheduler's view of the API ------------------------------------------------------

    async def _fetch_status(
        self,
        endpoint: StatusEndpoint,
        fam: Family,
        ids: Sequence[str],
        *,
        kind: Literal["poll", "safe"] = "poll",
    ) -> dict[str, JobSnapshot]:
        t = self.transport
        if endpoint.batch:
            joined = ",".join(ids)
            if endpoint.method == "GET":
                env = await t.request(
                    "GET", endpoint.path, params={endpoint.id_param: joined}, kind=kind
                )
            else:
                env = await t.request(
                    "POST", endpoint.path, json_body={endpoint.id_param: joined}, kind=kind
                )
            data = env.get("data")
            items = data.get("result") if isinstance(data, Mapping) else None
            if not isinstance(items, list):
                raise InvalidResponse(
                    "batch status answer has no result list", endpoint=endpoint.key
                )
            wanted = set(ids)
            out: dict[str, JobSnapshot] = {}
            for item in items:
                if not isinstance(item, Mapping):
                    continue
                try:
                    snap = parse_snapshot(
                        item, status_field=fam.status_field, result_field=fam.result_field
                    )
                except ValueError:
                    continue
                if snap.id in wanted:
                    out[snap.id] = snap
            return out
        env = await t.request("GET", endpoint.path, params={endpoint.id_param: ids[0]}, kind=kind)
        data = env.get("data")
        if not isinstance(data, Mapping):
            raise InvalidResponse("status answer has no data object", endpoint=endpoint.key)
        try:
            snap = parse_snapshot(
                data, status_field=fam.status_field, result_field=fam.result_field, job_id=ids[0]
            )
        except ValueError as exc:
            raise InvalidResponse(str(exc), endpoint=endpoint.key) from None
        return {ids[0]: snap}

    def __repr__(self) -> str:
        return f"<Session {self.base_url} {self._auth!r} {self._state}>"


def _make_auth(api_key: str | None, client_id: str | None, client_secret: str | None) -> Auth:
    explicit = api_key is not None or client_id is not None or client_secret is not None
    if not explicit:
        api_key = os.environ.get("AKOOL_API_KEY") or None
        client_id = os.environ.get("AKOOL_CLIENT_ID") or None
        client_secret = os.environ.get("AKOOL_CLIENT_SECRET") or None
    if api_key is not None:
        if client_id is not None or client_secret is not None:
            raise ConfigurationError(
                "give either api_key or client_id/client_secret, not both (never send both headers)"
            )
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError("api_key: must be a non-empty string")
        return ApiKeyAuth(api_key)
    if client_id is not None and client_secret is not None:
        if not client_id.strip() or not client_secret.strip():
            raise ConfigurationError("client_id/client_secret: must be non-empty strings")
        return TokenAuth(client_id, client_secret)
    if client_id is not None or client_secret is not None:
        raise ConfigurationError("client_id and client_secret go together")
    raise ConfigurationError(
        "no credentials: pass api_key=... (or client_id/client_secret), or set AKOOL_API_KEY"
    )


def _family_checked(name: str) -> Family:
    if name not in FAMILIES:
        return family(name)  # raises a ValidationError listing the known names
    return FAMILIES[name]


def _check_webhook_url(url: str) -> None:
    from ._models import http_url

    class _Attr:
        name = alias = "webhook_url"

    http_url(None, _Attr(), url)  # type: ignore[arg-type]


def _created_objects(fam: Family, data: Any) -> list[Mapping[str, Any]]:
    """The job objects a create answer describes, each with a string ``_id``."""
    if fam.created_ids == "list" and isinstance(data, list):
        items: list[Any] = data
    elif (
        isinstance(data, Mapping)
        and fam.created_ids == "all_results"
        and isinstance(data.get("all_results"), list)
    ):
        items = data["all_results"]
    elif isinstance(data, Mapping):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        return []
    out = []
    seen = set()
    for item in items:
        ident = item.get("_id") if isinstance(item, Mapping) else None
        if isinstance(ident, str) and ident and ident not in seen:
            seen.add(ident)
            out.append(item)
    return out
