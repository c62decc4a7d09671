"""A fake TopView open API: submit/query of every task type, uploads, notice URLs, callbacks.

``async with FakeTopView(FakeConfig(speed=1000)) as fake:`` serves it on ``fake.base_url`` over
real HTTP, on the same knobs (:class:`FakeConfig`), counters (:class:`FakeStats`) and
deterministic fault queue (:class:`FaultPlan`) as the fake Akool server. The routes can also be
added to any aiohttp app with :func:`add_topview_routes` (they check auth and inject faults per
route, so they sit beside the fake Akool routes without clashing).

What it models:

* envelope ``{"code": "200", "message": "Success", "result": ...}``; errors with HTTP 200 and
  the string codes of seed 002 (``FaultPlan.add("code_4007")`` answers ``"4007"``);
* ``Authorization: Bearer <key>`` and ``Topview-Uid`` (else ``"4002"``);
* tasks advance lazily on the clock: ``init`` -> ``running`` -> ``success``/``fail`` (the words
  TopView's own client documents); the replace-image query spells its status ``taskStatus`` (as
  seed 002 shows), the others ``status``;
* queries served where the evidence puts them: ``.../query`` for the families TopView's client
  and public callers query so, both ``.../result`` and ``.../query`` for the v1 families whose
  sources disagree; ``query_style`` ``"both"``, ``"result"`` or ``"query"`` overrides that;
  ``needCloudFrontUrl``, where given, must be ``true`` or ``false``;
* uploads: credential -> PUT to a pre-signed ``/_storage/{fileId}?X-Amz-Signature=...`` -> check;
  a submit naming a fileId that was never uploaded answers ``"4004"``; masks must have their
  image's size, ``voiceSpeed`` must be within 0.8-1.2 (``"4000"``);
* notice URLs must be registered (``POST /notice/notice_url/check``) before a submit names one;
  callbacks ``{uuid, bizType, taskId, status, errorMsg, result}`` are POSTed when a task ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final, Literal

from aiohttp import web

from ..._clock import Clock, ScaledClock
from ...topview._media import image_size
from .._config import FakeConfig
from .._faults import EndpointRole, FaultPlan, fault_answer, pick_fault
from .._http import ServedApp, drop_connection, is_http_url, truncate
from .._jobs import Lifecycle, result_bytes
from .._stats import FakeStats
from .._topview_state import TOPVIEW_TASKS, WORDS, FakeFile, TopViewCounters, TopViewJob
from . import common_tasks, product_avatar, uploads, video_avatar
from ._common import IMAGES, TvParam, envelope, error
from .callbacks import run_callbacks

__all__ = ["FILES_PREFIX", "FakeTopView", "add_topview_routes"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
QueryStyle = Literal["documented", "both", "result", "query"]
AreaHandler = Callable[["FakeTopView", web.Request], Awaitable[web.Response]]

#: Result files (apart from the fake Akool's ``/files/`` so both fit in one app).
FILES_PREFIX: Final = "/tv-files/"

#: Family -> submit validator (returns how many results the task makes), from every area.
_VALIDATORS: Final[dict[str, Callable[[Any, dict[str, Any]], int]]] = {
    **product_avatar.VALIDATORS,
    **video_avatar.VALIDATORS,
    **common_tasks.VALIDATORS,
}
#: Family -> the result fields of its query answer (given the files' base URL).
_RESULTS: Final[dict[str, Callable[[TopViewJob, list[str], str, bool], dict[str, Any]]]] = {
    **product_avatar.RESULTS,
    **video_avatar.RESULTS,
    **common_tasks.RESULTS,
}


class FakeTopView(ServedApp):
    """A local TopView open API over real HTTP, for tests and benchmarks.

    Attributes:
        base_url: ``http://host:port`` once started.
        config: the shared knobs (timing, failure ratio, fault rates, callback drop/duplicates).
        clock: the server's time.
        stats: shared counters (requests, polls, creates ...); ``counters``: TopView-only ones.
        jobs: every task by id; ``files``: every upload by fileId.
        faults: deterministic fault queue (``code_XXXX`` answers TopView's string code).
        notice_urls: registered callback URLs.
    """

    def __init__(
        self,
        config: FakeConfig | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        uid: str = "test-uid",
        query_style: QueryStyle = "documented",
        require_notice_check: bool = True,
        max_upload_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.config = config if config is not None else FakeConfig()
        self.clock: Clock = clock if clock is not None else ScaledClock(self.config.speed)
        self.host = host
        self.port = port
        self.uid = uid
        self.query_style: QueryStyle = query_style
        self.require_notice_check = require_notice_check
        self.max_upload_bytes = max_upload_bytes
        #: Fault hook: storage answers 200 to PUTs but keeps nothing (the check never confirms).
        self.lose_uploads = False
        self.base_url = ""
        self.stats = FakeStats()
        self.counters = TopViewCounters()
        self.jobs: dict[str, TopViewJob] = {}
        self.files: dict[str, FakeFile] = {}
        self.faults = FaultPlan()
        self.notice_urls: set[str] = set()
        #: productReplaceResult key -> task id.
        self.replace_keys: dict[str, str] = {}
        seed = self.config.seed
        self._job_rng = random.Random(None if seed is None else f"{seed}:tv-jobs")
        self._lifecycle = Lifecycle(self._job_rng)
        self._fault_rng = random.Random(None if seed is None else f"{seed}:tv-faults")
        self.callback_rng = random.Random(None if seed is None else f"{seed}:tv-callbacks")
        #: Due callbacks: (due, sequence, task id).
        self.callback_heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._wake: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """A new aiohttp application serving this fake."""
        app = web.Application(client_max_size=self.max_upload_bytes + 1024)
        add_topview_routes(app, self)
        return app

    # -- test helpers ------------------------------------------------------------------------

    def complete(self, task_id: str, *, without_url: bool = False, failed_items: int = 0) -> None:
        """Force ``task_id`` to success (its callback is sent if it has a notice URL).

        ``without_url`` answers success with every result field empty (a fault to survive);
        ``failed_items`` marks the last that many listed videos failed (image to video v2).
        """
        job = self.jobs[task_id]
        job.without_url = without_url
        job.failed_items = failed_items
        self._force(job, 3)

    def fail(self, task_id: str, message: str = "Generation failed, please try again") -> None:
        """Force ``task_id`` to fail with ``message``."""
        job = self.jobs[task_id]
        job.error_msg = message
        self._force(job, 4)

    def set_status(self, task_id: str, status: int | None) -> None:
        """Pin ``task_id`` at 1-4 (waiting, running, success, fail); None un-pins it."""
        if status is not None and status not in WORDS:
            raise ValueError(f"status: must be 1-4 or None, got {status!r}")
        job = self.jobs[task_id]
        if status is None:
            job.forced_status = None
        else:
            self._force(job, status)

    def _force(self, job: TopViewJob, status: int) -> None:
        job.forced_status = status
        if status >= 3 and job.notice_url is not None:
            self._schedule(self.clock.now() + self.config.webhook_delay, job.id)

    def upload_bytes(self, data: bytes, fmt: str) -> str:
        """Register an already-uploaded file (test set-up without the HTTP dance)."""
        file_id = self.new_id()
        self.files[file_id] = FakeFile(
            file_id, fmt, "", data, image_size(data) if fmt in IMAGES else None
        )
        return file_id

    def result_url(self, task_id: str, index: int = 0) -> str:
        """Where a task's ``index``-th result file is served."""
        job = self.jobs[task_id]
        return f"{self.base_url}{FILES_PREFIX}{task_id}-{index}.{TOPVIEW_TASKS[job.family].ext}"

    def query_result(self, job: TopViewJob, base: str | None = None) -> dict[str, Any]:
        """The ``result`` object a query of ``job`` answers now (also the callback's)."""
        base = base if base is not None else self.base_url
        status = job.status(self.clock.now())
        ext = TOPVIEW_TASKS[job.family].ext
        files = f"{base}{FILES_PREFIX}"
        urls = [f"{files}{job.id}-{i}.{ext}" for i in range(job.count)]
        out: dict[str, Any] = {"taskId": job.id}
        out[product_avatar.STATUS_KEYS.get(job.family, "status")] = WORDS[status]
        out["errorMsg"] = job.error_msg if status == 4 else None
        out.update(_RESULTS[job.family](job, urls, files, status == 3 and not job.without_url))
        return out

    # -- plumbing ----------------------------------------------------------------------------

    def base(self, request: web.Request) -> str:
        """The URL clients reach this fake at."""
        return self.base_url or f"{request.scheme}://{request.host}"

    def new_id(self) -> str:
        """A fresh task or file id."""
        return uuid.UUID(int=self._job_rng.getrandbits(128)).hex

    def _pick_fault(self, path: str, role: EndpointRole) -> str | None:
        planned = self.faults.take(path, role)
        if planned is not None:
            return planned
        kind = pick_fault(None, self.config.faults, self._fault_rng, path, role)
        # The Akool throttle code stands for TopView's "server busy" here.
        return "code_5003" if kind == "code_1005" else kind

    def _authenticate(self, request: web.Request) -> web.Response | None:
        authorization = request.headers.get("Authorization", "")
        self.stats.auth_headers_seen["bearer" if authorization else "none"] += 1
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in self.config.api_keys:
            return error("4002")
        if request.headers.get("Topview-Uid", "") != self.uid:
            return error("4002")
        return None

    def wrap(self, handler: Handler, role: EndpointRole, *, auth: bool = True) -> Handler:
        """Count, inject faults, check auth, then run ``handler``."""

        async def run(request: web.Request) -> web.StreamResponse:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else request.path
            self.stats.requests[f"{request.method} {route}"] += 1
            fault = self._pick_fault(request.path, role)
            if fault is not None:
                self.stats.faults_injected[fault] += 1
                if fault.startswith("code_"):
                    if role == "create":
                        self.counters.submits_refused[fault[5:]] += 1
                    return error(fault[5:])
                answer = await fault_answer(request, fault, self.config)
                if answer is not None:
                    return answer
            if auth:
                denied = self._authenticate(request)
                if denied is not None:
                    return denied
            response = await handler(request)
            if fault == "lost_create":
                return drop_connection(request)
            return truncate(response) if fault == "truncated_json" else response

        return run

    # -- submit and query ----------------------------------------------------------------------

    async def _submit(self, request: web.Request, family: str) -> web.Response:
        try:
            body = await request.json(loads=json.loads)
        except (ValueError, UnicodeDecodeError):
            return error("4001")
        if not isinstance(body, dict):
            return error("4001")
        try:
            count = _VALIDATORS[family](self, body)
            notice = body.get("noticeUrl")
            if notice is not None:
                if not is_http_url(notice):
                    raise TvParam("4000", "noticeUrl must be an http(s) url")
                if self.require_notice_check and notice not in self.notice_urls:
                    raise TvParam("4000", "noticeUrl has not been checked")
        except TvParam as exc:
            return error(exc.code, exc.message)
        config = self.config
        if config.credit < 1:
            return error("4100")
        config.credit -= 1
        job = self._new_job(family, body, count, notice)
        stats = self.stats
        stats.creates += 1
        stats.creates_by_family[family] += 1
        stats.jobs_created += 1
        if config.record_create_bodies:
            stats.create_bodies.append(body)
        # The submit's own status says the submission worked, not that the task is done.
        return envelope({"taskId": job.id, "status": "success", "errorMsg": None})

    def _new_job(
        self, family: str, body: dict[str, Any], count: int, notice: str | None
    ) -> TopViewJob:
        config = self.config
        now = self.clock.now()
        timing = self._lifecycle.draw(config, now)
        job = TopViewJob(
            id=self.new_id(),
            family=family,
            created_at=now,
            queue_end=timing.queue_end,
            proc_end=timing.proc_end,
            fails=timing.fails,
            params=body,
            count=count,
            notice_url=notice,
        )
        if family == "topview_product_replace":
            job.replace_keys = (self.new_id()[:29],)
            for key in job.replace_keys:
                self.replace_keys[key] = job.id
        self.jobs[job.id] = job
        if notice is not None:
            self._schedule(job.proc_end + config.webhook_delay, job.id)
        return job

    async def _query(self, request: web.Request, family: str) -> web.Response:
        task_id = request.query.get("taskId", "").strip()
        if not task_id:
            return error("4003", "taskId cannot be null")
        if request.query.get("needCloudFrontUrl", "true") not in ("true", "false"):
            return error("4000", "needCloudFrontUrl must be true or false")
        self.stats.polls[task_id] += 1
        job = self.jobs.get(task_id)
        if job is None or job.family != family:
            return error("4004")
        return envelope(self.query_result(job, self.base(request)))

    async def _files(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        stem = name.rpartition(".")[0]
        task_id = stem.partition("-")[0]
        job = self.jobs.get(task_id)
        if job is None or job.status(self.clock.now()) != 3:
            raise web.HTTPNotFound(text="not found")
        self.stats.downloads[task_id] += 1
        ext = name.rpartition(".")[2]
        return web.Response(body=result_bytes(stem, self.config.result_size, ext))

    # -- callbacks ---------------------------------------------------------------------------

    def _schedule(self, due: float, task_id: str) -> None:
        self._seq += 1
        heapq.heappush(self.callback_heap, (due, self._seq, task_id))
        if self._wake is not None:
            self._wake.set()

    def callback_body(self, job: TopViewJob) -> dict[str, Any]:
        """What a callback for ``job`` carries now."""
        result = self.query_result(job)
        status = job.status(self.clock.now())
        return {
            "uuid": uuid.UUID(int=self.callback_rng.getrandbits(128)).hex,
            "bizType": TOPVIEW_TASKS[job.family].biz_type,
            "taskId": job.id,
            "status": WORDS[status],
            "errorMsg": job.error_msg if status == 4 else None,
            "result": result,
        }

    async def _callback_task(self, _app: web.Application) -> AsyncIterator[None]:
        self._wake = asyncio.Event()
        task = asyncio.create_task(run_callbacks(self, self._wake), name="topview-fake-callbacks")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._wake = None


def add_topview_routes(app: web.Application, state: FakeTopView) -> None:
    """Add the fake TopView endpoints (and its callback sender) to ``app``."""
    router = app.router
    app.cleanup_ctx.append(state._callback_task)
    for family, task in TOPVIEW_TASKS.items():

        def submit(request: web.Request, family: str = family) -> Awaitable[web.Response]:
            return state._submit(request, family)

        def query(request: web.Request, family: str = family) -> Awaitable[web.Response]:
            return state._query(request, family)

        router.add_post(f"{task.prefix}/submit", state.wrap(submit, "create"))
        if state.query_style == "documented":
            styles = task.queries
        elif state.query_style == "both":
            styles = ("result", "query")
        else:
            styles = (state.query_style,)
        for style in styles:
            router.add_get(f"{task.prefix}/{style}", state.wrap(query, "status"))

    def bound(handler: AreaHandler) -> Handler:
        async def run(request: web.Request) -> web.StreamResponse:
            return await handler(state, request)

        return run

    router.add_get(uploads.CREDENTIAL_PATH, state.wrap(bound(uploads.credential), "other"))
    router.add_get(uploads.CHECK_PATH, state.wrap(bound(uploads.check), "other"))
    for path in uploads.NOTICE_PATHS:
        router.add_post(path, state.wrap(bound(uploads.notice_check), "other"))
    router.add_put(
        uploads.STORAGE_PREFIX + "{file_id}",
        state.wrap(bound(uploads.storage_put), "other", auth=False),
    )
    router.add_get(FILES_PREFIX + "{name}", state._files)
