"""The fake Akool server: an aiohttp app faithful to the open API, with fault injection.

Every request goes through one middleware that counts it, picks a fault (the test's
:class:`FaultPlan` first, then the random :class:`FaultRates`), checks auth, and only then runs
the endpoint's handler. Jobs advance lazily from the clock; one background task sends webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

import anyio
from aiohttp import web

from .._clock import Clock, ScaledClock
from ._akool import CREATE_ANSWERS, CREATE_ENDPOINTS, STATUS_ROUTES, CreateSpec
from ._akool._common import AreaHandler, Envelope, refused_entry
from ._akool.video_translation import NEED_VOICE_ID
from ._config import FakeConfig, apply_patch, config_to_dict
from ._faults import (
    API_MESSAGES,
    EndpointRole,
    FaultPlan,
    envelope_error,
    fault_answer,
    pick_fault,
)
from ._http import ParamError, ServedApp, drop_connection, json_body, json_response, ok, truncate
from ._jobs import (
    FAMILIES,
    LANGUAGES,
    FakeJob,
    Lifecycle,
    max_on_server,
    max_running,
    result_bytes,
    result_chunks,
)
from ._stats import FakeStats
from ._webhook_out import WebhookDispatcher

__all__ = ["FakeAkool", "serve"]

logger = logging.getLogger("akool_async.testing")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TOKEN_PATH: Final = "/api/open/v3/getToken"
LANGUAGE_PATH: Final = "/api/open/v3/language/list"
QUOTA_PATH: Final = "/api/open/v3/faceswap/quota/info"

_STATUS_PATHS: Final = frozenset(path for _method, path, _handler in STATUS_ROUTES)
#: Status paths that carry the id in the path (``/voice/detail/{id}``), by their fixed part.
_STATUS_PREFIXES: Final = tuple(p.partition("{")[0] for p in _STATUS_PATHS if "{" in p)
#: Result files up to this size are answered from memory; larger ones are streamed.
_INLINE_FILE_MAX: Final = 4 * 1024 * 1024
_FLAG_BASE: Final = "https://static.akool.example/flags"
_CONTENT_TYPES: Final = {"mp4": "video/mp4", "png": "image/png", "mp3": "audio/mpeg"}


def _role(path: str) -> EndpointRole:
    if path in CREATE_ENDPOINTS:
        return "create"
    if path in _STATUS_PATHS or path.startswith(_STATUS_PREFIXES):
        return "status"
    return "other"


class FakeAkool(ServedApp):
    """A local Akool open API over real HTTP, for tests and benchmarks.

    Use as ``async with FakeAkool(FakeConfig(speed=1000)) as fake:`` then point a client at
    ``fake.base_url``. Every attribute below may be read (and ``config`` / ``faults`` changed)
    while the server runs.

    Attributes:
        base_url: ``http://host:port`` once started ("" before).
        config: the knobs; mutable at runtime.
        clock: the server's time; ``ScaledClock(config.speed)`` unless one is passed.
        stats: counters of what clients did.
        jobs: every job by id.
        faults: deterministic fault queue, consulted before the random rates.
    """

    def __init__(
        self,
        config: FakeConfig | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.config = config if config is not None else FakeConfig()
        self.clock: Clock = clock if clock is not None else ScaledClock(self.config.speed)
        self.host = host
        self.port = port
        self.base_url = ""
        self.stats = FakeStats()
        self.jobs: dict[str, FakeJob] = {}
        self.faults = FaultPlan()
        seed = self.config.seed
        # Separate streams, so fault draws do not change which jobs fail.
        self._job_rng = random.Random(None if seed is None else f"{seed}:jobs")
        self._lifecycle = Lifecycle(self._job_rng)
        self._fault_rng = random.Random(None if seed is None else f"{seed}:faults")
        self._webhooks = WebhookDispatcher(
            self, random.Random(None if seed is None else f"{seed}:webhooks")
        )
        self._tokens: dict[str, float] = {}
        self._id_prefix = f"{self._job_rng.getrandbits(40):010x}"
        self._id_counter = 0
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """A new aiohttp application serving this fake (for embedding in another server)."""
        app = web.Application(middlewares=[self._middleware], client_max_size=16 * 1024 * 1024)
        app.cleanup_ctx.append(self._webhook_task)
        router = app.router
        router.add_post(TOKEN_PATH, self._get_token)
        for path in CREATE_ENDPOINTS:
            router.add_post(path, self._create)
        for method, path, handler in STATUS_ROUTES:
            router.add_route(method, path, self._bound(handler))
        router.add_get(LANGUAGE_PATH, self._language_list)
        router.add_get(QUOTA_PATH, self._quota)
        router.add_get("/files/{name}", self._file)
        router.add_get("/_fake/stats", self._fake_stats)
        router.add_get("/_fake/config", self._fake_config_get)
        router.add_post("/_fake/config", self._fake_config_post)
        router.add_post("/_fake/faults", self._fake_faults)
        return app

    def _bound(self, handler: AreaHandler) -> Handler:
        async def run(request: web.Request) -> web.StreamResponse:
            return await handler(self, request)

        return run

    async def _webhook_task(self, _app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(self._webhooks.run(), name="akool-fake-webhooks")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- test helpers ------------------------------------------------------------------------

    def issue_token(self) -> str:
        """A valid bearer token, as ``getToken`` would return (not counted in stats)."""
        token = secrets.token_urlsafe(24)
        self._tokens[token] = self.clock.now()
        return token

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far (the next bearer request answers 1101)."""
        self._tokens.clear()

    def complete(self, job_id: str, url: str | None = None) -> None:
        """Force ``job_id`` to status 3, with ``url`` as its result if given.

        ``url=""`` answers completed with an empty result field (a fault the SDK must end at once).

        Raises:
            KeyError: unknown job id.
        """
        job = self.jobs[job_id]
        job.forced_url = url
        self._force(job, 3)

    def fail(
        self,
        job_id: str,
        code: int = 1015,
        reason: str = "Create video error, please try again later",
    ) -> None:
        """Force ``job_id`` to status 4 with ``code`` and ``reason``.

        Raises:
            KeyError: unknown job id.
        """
        job = self.jobs[job_id]
        job.error_code = code
        job.error_reason = reason
        self._force(job, 4)

    def set_status(self, job_id: str, status: int | None) -> None:
        """Pin ``job_id`` at ``status`` (1-4); ``None`` returns it to its clock-driven course.

        Raises:
            KeyError: unknown job id.
            ValueError: status outside 1-4.
        """
        if status is not None and status not in (1, 2, 3, 4):
            raise ValueError(f"status: must be 1, 2, 3, 4 or None, got {status!r}")
        job = self.jobs[job_id]
        if status is None:
            job.forced_status = None
            return
        self._force(job, status)

    def _force(self, job: FakeJob, status: int) -> None:
        job.forced_status = status
        if job.webhook_url is not None and status >= 2:
            self._webhooks.schedule(self.clock.now() + self.config.webhook_delay, job.id, status)

    def result_url(self, job_id: str) -> str:
        """Where ``job_id``'s result file is served (whatever its status)."""
        return f"{self.base_url}/files/{self.jobs[job_id].file_name}"

    def expected_bytes(self, job_id: str) -> bytes:
        """The exact content ``GET /files/...`` serves for ``job_id``."""
        return result_bytes(job_id, self.config.result_size, self.jobs[job_id].ext)

    # -- plumbing ----------------------------------------------------------------------------

    def base(self, request: web.Request) -> str:
        """The URL clients reach this fake at."""
        return self.base_url or f"{request.scheme}://{request.host}"

    def _new_id(self) -> str:
        self._id_counter += 1
        stamp = int(self.clock.wall()) & 0xFFFFFFFF
        return f"{stamp:08x}{self._id_prefix}{self._id_counter & 0xFFFFFF:06x}"

    def _pick_fault(self, path: str, role: EndpointRole) -> str | None:
        return pick_fault(self.faults, self.config.faults, self._fault_rng, path, role)

    def _authenticate(self, request: web.Request) -> web.Response | None:
        headers = request.headers
        api_key = headers.get("x-api-key", "")
        authorization = headers.get("Authorization", "")
        if api_key and authorization:
            seen = "both"
        elif api_key:
            seen = "x-api-key"
        elif authorization:
            seen = "bearer"
        else:
            seen = "none"
        self.stats.auth_headers_seen[seen] += 1
        if authorization:  # Akool: "Authorization will be used first and x-api-key discarded"
            scheme, _, token = authorization.partition(" ")
            issued = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if issued is None:
                return envelope_error(1101)
            ttl = self.config.token_ttl
            if ttl is not None and self.clock.now() - issued > ttl:
                return envelope_error(1101)
            return None
        if api_key:
            return None if api_key in self.config.api_keys else envelope_error(1101)
        return envelope_error(1102)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_fake/"):
            return await handler(request)
        resource = request.match_info.route.resource
        route_path = resource.canonical if resource is not None else path
        self.stats.requests[f"{request.method} {route_path}"] += 1
        if resource is None or not path.startswith("/api/"):
            return await handler(request)
        role = _role(path)
        fault = self._pick_fault(path, role)
        if fault is not None:
            self.stats.faults_injected[fault] += 1
            answer = await fault_answer(request, fault, self.config)
            if answer is not None:
                return answer
        if path != TOKEN_PATH:
            denied = self._authenticate(request)
            if denied is not None:
                return drop_connection(request) if fault == "lost_create" else denied
        response = await handler(request)
        if fault == "lost_create":
            return drop_connection(request)
        return truncate(response) if fault == "truncated_json" else response

    # -- API handlers ------------------------------------------------------------------------

    async def _get_token(self, request: web.Request) -> web.Response:
        self.stats.token_requests += 1
        try:
            body = await json_body(request)
        except ParamError as exc:
            return envelope_error(exc.code, exc.msg)
        client_id = body.get("clientId")
        client_secret = body.get("clientSecret")
        if not client_id:
            return envelope_error(1003, "clientId is required")
        if not client_secret:
            return envelope_error(1003, "clientSecret is required")
        config = self.config
        if not (
            secrets.compare_digest(str(client_id), config.client_id)
            and secrets.compare_digest(str(client_secret), config.client_secret)
        ):
            return envelope_error(1101)
        return json_response({"code": 1000, "msg": "OK", "token": self.issue_token()})

    async def _create(self, request: web.Request) -> web.Response:
        path = request.path
        try:
            body = await json_body(request)
            spec = CREATE_ENDPOINTS[path](body)
        except ParamError as exc:
            return envelope_error(exc.code, exc.msg)
        config = self.config
        variants = spec.variants
        if spec.partial and 1 <= config.credit < len(variants):
            variants = variants[: int(config.credit)]
        if config.credit < len(variants):
            return envelope_error(spec.no_credit)
        config.credit -= len(variants)
        jobs = [self._new_job(spec, variant, body) for variant in variants]
        stats = self.stats
        stats.creates += 1
        stats.creates_by_family[spec.family] += 1
        stats.jobs_created += len(jobs)
        if config.record_create_bodies:
            stats.create_bodies.append(body)
        data = CREATE_ANSWERS[spec.family](jobs, self.clock.now(), self.base(request))
        if isinstance(data, Envelope):
            return json_response(data.body)
        if len(variants) < len(spec.variants):
            data["errorList"] = [
                refused_entry(1006, API_MESSAGES[1006])
                for _ in range(len(spec.variants) - len(variants))
            ]
        return ok(data)

    def _new_job(self, spec: CreateSpec, variant: str, body: dict[str, Any]) -> FakeJob:
        config = self.config
        clock = self.clock
        now = clock.now()
        family = FAMILIES[spec.family]
        timing = self._lifecycle.draw(config, now)
        job = FakeJob(
            id=self._new_id(),
            family=spec.family,
            variant=variant,
            created_at=now,
            create_time_ms=int(clock.wall() * 1000),
            queue_end=timing.queue_end,
            proc_end=timing.proc_end,
            media_duration=timing.media,
            fails=timing.fails,
            error_code=family.error_code,
            error_reason=family.error_reason,
            params=body,
            webhook_url=spec.webhook_url,
        )
        self.jobs[job.id] = job
        self._webhooks.schedule_job(job)
        return job

    def lookup(self, job_id: str, families: frozenset[str]) -> FakeJob | None:
        """The job a status request asks for (counted as a poll), None if not of ``families``."""
        self.stats.polls[job_id] += 1
        job = self.jobs.get(job_id)
        if job is None or job.family not in families:
            return None
        return job

    def batch_ids(self, raw: Any) -> list[str]:
        """The ids of a batch status request (``_ids``), at most ``max_batch_ids`` of them."""
        if isinstance(raw, list):
            parts = [str(item) for item in raw]
        elif isinstance(raw, str):
            parts = raw.split(",")
        else:
            raise ParamError("_ids is required")
        ids = list(dict.fromkeys(p.strip() for p in parts if p.strip()))
        if not ids:
            raise ParamError("_ids is required")
        limit = self.config.max_batch_ids
        if len(ids) > limit:
            raise ParamError(f"_ids: at most {limit} ids per request, got {len(ids)}")
        return ids

    async def _language_list(self, request: web.Request) -> web.Response:
        lang_list = [
            {
                "lang_name": name,
                "lang_code": code,
                "url": f"{_FLAG_BASE}/{code}.svg",
                "need_voice_id": code in NEED_VOICE_ID,
            }
            for code, name in LANGUAGES.items()
        ]
        return ok({"lang_list": lang_list})

    async def _quota(self, request: web.Request) -> web.Response:
        return ok({"credit": self.config.credit})

    # -- result files ------------------------------------------------------------------------

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        job_id, _, ext = name.rpartition(".")
        job = self.jobs.get(job_id)
        if job is None or job.ext != ext or job.status(self.clock.now()) != 3:
            raise web.HTTPNotFound(text="<html>404 Not Found</html>", content_type="text/html")
        size = self.config.result_size
        content_type = _CONTENT_TYPES.get(ext, "application/octet-stream")
        if request.method == "GET":
            self.stats.downloads[job_id] += 1
        if size <= _INLINE_FILE_MAX:
            return web.Response(body=result_bytes(job_id, size, ext), content_type=content_type)
        response = web.StreamResponse(headers={"Content-Type": content_type})
        response.content_length = size
        try:
            await response.prepare(request)
            if request.method == "GET":
                for block, count in result_chunks(job_id, size, ext):
                    for _ in range(count):
                        await response.write(block)
            await response.write_eof()
        except ConnectionError:  # reset, "Connection lost", aiohttp's ClientConnectionResetError
            pass  # the client went away mid-file: normal for a server, not an error to log
        return response

    # -- control endpoints (no auth) ---------------------------------------------------------

    async def _fake_stats(self, request: web.Request) -> web.Response:
        detail = request.query.get("detail", "") not in ("", "0", "false")
        out = self.stats.to_dict(detail=detail)
        out["jobs"] = len(self.jobs)
        # Peaks by the server's own clocks: jobs processing at once (the plan cap) and jobs
        # created and not yet ended (what a client's --max-running bounds).
        out["max_running"] = max_running(self.jobs.values())
        out["max_on_server"] = max_on_server(self.jobs.values())
        out["credit"] = self.config.credit
        out["pending_webhooks"] = len(self._webhooks)
        return json_response(out)

    async def _fake_config_get(self, request: web.Request) -> web.Response:
        return json_response(config_to_dict(self.config))

    async def _fake_config_post(self, request: web.Request) -> web.Response:
        try:
            patch = await json_body(request)
            apply_patch(self.config, patch)
        except (ParamError, ValueError) as exc:
            return json_response({"error": str(exc)}, status=400)
        return json_response(config_to_dict(self.config))

    async def _fake_faults(self, request: web.Request) -> web.Response:
        try:
            body = await json_body(request)
            self.faults.add(
                str(body.get("kind")),
                count=int(body.get("count", 1)),
                endpoint=body.get("endpoint"),
            )
        except (ParamError, ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, status=400)
        return json_response({"pending": len(self.faults)})


async def serve(
    config: FakeConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Clock | None = None,
    ready: Callable[[FakeAkool], None] | None = None,
) -> None:
    """Run a fake server until cancelled; ``ready(server)`` is called once it listens."""
    async with FakeAkool(config, clock=clock, host=host, port=port) as server:
        if ready is not None:
            ready(server)
        await anyio.sleep_forever()
