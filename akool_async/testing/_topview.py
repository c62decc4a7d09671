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
* tasks advance lazily on the clock: ``waiting`` -> ``running`` -> ``success``/``fail``; the
  replace-image query spells its status ``taskStatus`` (as seed 002 shows), the others ``status``;
* queries served under both ``.../result`` and ``.../query`` (the docs use both), unless
  ``query_style`` picks one;
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
import logging
import random
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import aiohttp
import anyio
import anyio.lowlevel
from aiohttp import web

from .._clock import Clock, ScaledClock
from ..topview._errors import TOPVIEW_MESSAGES
from ..topview._media import FORMATS, image_size
from ._config import FakeConfig
from ._faults import EndpointRole, FaultPlan, fault_response, pick_fault
from ._http import ServedApp
from ._jobs import result_bytes
from ._stats import FakeStats
from ._topview_state import (
    TOPVIEW_TASKS,
    WORDS,
    FakeFile,
    TopViewCounters,
    TopViewJob,
    sample_media,
)

__all__ = [
    "TOPVIEW_TASKS",
    "FakeFile",
    "FakeTopView",
    "TopViewCounters",
    "TopViewJob",
    "add_topview_routes",
    "sample_media",
]

logger = logging.getLogger("akool_async.testing")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
QueryStyle = Literal["both", "result", "query"]

CREDENTIAL_PATH: Final = "/v1/upload/credential"
CHECK_PATH: Final = "/v1/upload/check"
NOTICE_PATHS: Final = ("/notice/notice_url/check", "/v1/notice/notice_url/check")
_IMAGES: Final = frozenset({"png", "jpg", "jpeg", "bmp", "webp"})
_AUDIO: Final = frozenset({"mp3", "wav", "m4a"})
_VIDEO: Final = frozenset({"mp4", "avi", "mov"})
STORAGE_PREFIX: Final = "/_storage/"
#: Result files (apart from the fake Akool's ``/files/`` so both fit in one app).
FILES_PREFIX: Final = "/tv-files/"


class _Param(Exception):
    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or TOPVIEW_MESSAGES.get(code, "error"))
        self.code = code
        self.message = message or TOPVIEW_MESSAGES.get(code, "error")


def _envelope(result: Any) -> web.Response:
    return _json({"code": "200", "message": "Success", "result": result})


def _error(code: str, message: str | None = None) -> web.Response:
    return _json({"code": code, "message": message or TOPVIEW_MESSAGES.get(code, "error")})


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(payload, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )


def _drop(request: web.Request) -> web.Response:
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=204)


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


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
        query_style: QueryStyle = "both",
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
        self._fault_rng = random.Random(None if seed is None else f"{seed}:tv-faults")
        self._cb_rng = random.Random(None if seed is None else f"{seed}:tv-callbacks")
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._wake: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """A new aiohttp application serving this fake."""
        app = web.Application(client_max_size=self.max_upload_bytes + 1024)
        add_topview_routes(app, self)
        return app

    # -- test helpers ------------------------------------------------------------------------

    def complete(self, task_id: str) -> None:
        """Force ``task_id`` to success (its callback is sent if it has a notice URL)."""
        self._force(self.jobs[task_id], 3)

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
        file_id = uuid.UUID(int=self._job_rng.getrandbits(128)).hex
        self.files[file_id] = FakeFile(
            file_id, fmt, "", data, image_size(data) if fmt in _IMAGES else None
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
        word = WORDS[status]
        ext = TOPVIEW_TASKS[job.family].ext
        urls = [f"{base}{FILES_PREFIX}{job.id}-{i}.{ext}" for i in range(job.count)]
        out: dict[str, Any] = {"taskId": job.id}
        if job.family == "topview_product_replace":
            out["taskStatus"] = word
        else:
            out["status"] = word
        out["errorMsg"] = job.error_msg if status == 4 else None
        done = status == 3
        if job.family == "topview_product_replace":
            out["productReplaceResult"] = (
                [
                    {"key": key, "faceExistence": True, "url": urls[i]}
                    for i, key in enumerate(job.replace_keys)
                ]
                if done
                else None
            )
        elif job.family in ("topview_product_image2video", "topview_video_avatar"):
            out["finishedVideoUrl"] = urls[0] if done else None
            out["coverUrl"] = f"{base}{FILES_PREFIX}{job.id}-cover.jpg" if done else None
            out["videoDuration"] = 12000 if done else None
        elif job.family == "topview_text2image":
            out["images"] = [{"imageUrl": u} for u in urls] if done else []
        else:
            out["videos"] = (
                [{"videoUrl": u, "coverUrl": f"{u}.jpg", "videoDuration": 5000} for u in urls]
                if done
                else []
            )
        return out

    # -- plumbing ----------------------------------------------------------------------------

    def _base(self, request: web.Request) -> str:
        return self.base_url or f"{request.scheme}://{request.host}"

    def _new_id(self) -> str:
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
            return _error("4002")
        if request.headers.get("Topview-Uid", "") != self.uid:
            return _error("4002")
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
                if fault == "slow":
                    await anyio.sleep(self.config.faults.slow_delay)
                elif fault == "reset":
                    return _drop(request)
                elif fault.startswith("code_"):
                    if role == "create":
                        self.counters.submits_refused[fault[5:]] += 1
                    return _error(fault[5:])
                elif fault not in ("truncated_json", "lost_create"):
                    return fault_response(fault, retry_after=self.config.faults.retry_after)
            if auth:
                denied = self._authenticate(request)
                if denied is not None:
                    return denied
            response = await handler(request)
            if fault == "lost_create":
                return _drop(request)
            if fault == "truncated_json" and isinstance(response, web.Response):
                body = response.body
                if isinstance(body, bytes):
                    return web.Response(
                        body=body[: len(body) // 2], content_type="application/json"
                    )
            return response

        return run

    # -- submit ------------------------------------------------------------------------------

    def _file(self, body: dict[str, Any], name: str, kinds: frozenset[str]) -> FakeFile | None:
        value = body.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _Param("4001", f"{name} must be a string")
        found = self.files.get(value)
        if found is None or found.data is None:
            raise _Param("4004", f"{name}: file {value} not found")
        if found.format not in kinds:
            raise _Param("4000", f"{name}: a {found.format} file is not accepted here")
        return found

    @staticmethod
    def _required(body: dict[str, Any], name: str) -> Any:
        value = body.get(name)
        if value is None or value == "":
            raise _Param("4003", f"{name} cannot be null")
        return value

    @staticmethod
    def _choice(body: dict[str, Any], name: str, choices: tuple[Any, ...], default: Any) -> Any:
        value = body.get(name, default)
        if value not in choices or isinstance(value, bool):
            raise _Param("4000", f"{name} must be one of {choices}")
        return value

    @staticmethod
    def _voice_speed(body: dict[str, Any]) -> None:
        speed = body.get("voiceSpeed")
        if speed is None:
            return
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0.8 <= speed <= 1.2:
            raise _Param("4000", "voiceSpeed must be within [0.8, 1.2]")

    def _mask(self, body: dict[str, Any], mask: str, image: str) -> None:
        m = self._file(body, mask, _IMAGES)
        if m is None:
            return
        i = self._file(body, image, _IMAGES)
        if i is None:
            raise _Param("4003", f"{image} cannot be null when {mask} is given")
        if m.dims is not None and i.dims is not None and m.dims != i.dims:
            raise _Param("4000", f"{mask} must be consistent with the size of {image}")

    def _validate(self, family: str, body: dict[str, Any]) -> int:
        """Check a submit body; returns how many results the task makes."""
        if family == "topview_product_replace":
            self._required(body, "productImageFileId")
            self._file(body, "productImageFileId", _IMAGES)
            self._file(body, "templateImageFileId", _IMAGES)
            self._file(body, "userFaceImageFileId", _IMAGES)
            if not (
                body.get("avatarId") or body.get("templateImageFileId") or body.get("templateId")
            ):
                raise _Param(
                    "4000", "avatarId and templateImageFileId must have one non empty value"
                )
            self._mask(body, "productMaskFileId", "productImageFileId")
            self._mask(body, "templateMaskFileId", "templateImageFileId")
            return 1
        if family == "topview_product_image2video":
            key = self._required(body, "productReplaceResultKey")
            owner = self.replace_keys.get(key) if isinstance(key, str) else None
            job = self.jobs.get(owner) if owner is not None else None
            if job is None or job.status(self.clock.now()) != 3:
                raise _Param("4004", "productReplaceResultKey not found")
            self._choice(body, "mode", ("lite", "pro"), "lite")
            self._voice_speed(body)
            self._file(body, "audioFileId", _AUDIO)
            return 1
        if family == "topview_video_avatar":
            src = self._choice(body, "avatarSourceFrom", (0, 1, 2, 3), None)
            audio = self._choice(body, "audioSourceFrom", (0, 1), None)
            if src == 0:
                self._required(body, "videoFileId")
            self._file(body, "videoFileId", _VIDEO)
            if src in (1, 2):
                self._required(body, "aiAvatarId")
            if audio == 0:
                self._required(body, "audioFileId")
            else:
                self._required(body, "ttsText")
            self._file(body, "audioFileId", _AUDIO)
            self._voice_speed(body)
            return 1
        count = self._choice(body, "generatingCount", (1, 2, 3, 4), 1)
        if family == "topview_image2video":
            self._required(body, "imageFileId")
            self._file(body, "imageFileId", _IMAGES)
        else:
            prompt = self._required(body, "prompt")
            if not isinstance(prompt, str):
                raise _Param("4001", "prompt must be a string")
        if family != "topview_text2image":
            self._choice(body, "duration", (5, 10), 5)
            self._choice(body, "mode", ("lite", "pro", "plus", "best"), "lite")
        return int(count)

    async def _submit(self, request: web.Request, family: str) -> web.Response:
        try:
            body = await request.json(loads=json.loads)
        except (ValueError, UnicodeDecodeError):
            return _error("4001")
        if not isinstance(body, dict):
            return _error("4001")
        try:
            count = self._validate(family, body)
            notice = body.get("noticeUrl")
            if notice is not None:
                if not _is_url(notice):
                    raise _Param("4000", "noticeUrl must be an http(s) url")
                if self.require_notice_check and notice not in self.notice_urls:
                    raise _Param("4000", "noticeUrl has not been checked")
        except _Param as exc:
            return _error(exc.code, exc.message)
        config = self.config
        if config.credit < 1:
            return _error("4100")
        config.credit -= 1
        job = self._new_job(family, body, count, notice)
        stats = self.stats
        stats.creates += 1
        stats.creates_by_family[family] += 1
        stats.jobs_created += 1
        if config.record_create_bodies:
            stats.create_bodies.append(body)
        # The submit's own status says the submission worked, not that the task is done.
        return _envelope({"taskId": job.id, "status": "success", "errorMsg": None})

    def _new_job(
        self, family: str, body: dict[str, Any], count: int, notice: str | None
    ) -> TopViewJob:
        config = self.config
        rng = self._job_rng
        now = self.clock.now()
        media = rng.uniform(*config.media_duration)
        queue = rng.uniform(*config.queue_time)
        jitter = config.processing_jitter
        processing = media * config.processing_factor * (1.0 + rng.uniform(-jitter, jitter))
        fails = config.failure_ratio > 0.0 and rng.random() < config.failure_ratio
        job = TopViewJob(
            id=self._new_id(),
            family=family,
            created_at=now,
            queue_end=now + queue,
            proc_end=now + queue + max(0.0, processing),
            fails=fails,
            params=body,
            count=count,
            notice_url=notice,
        )
        if family == "topview_product_replace":
            job.replace_keys = (self._new_id()[:29],)
            for key in job.replace_keys:
                self.replace_keys[key] = job.id
        self.jobs[job.id] = job
        if notice is not None:
            self._schedule(job.proc_end + config.webhook_delay, job.id)
        return job

    async def _query(self, request: web.Request, family: str) -> web.Response:
        task_id = request.query.get("taskId", "").strip()
        if not task_id:
            return _error("4003", "taskId cannot be null")
        self.stats.polls[task_id] += 1
        job = self.jobs.get(task_id)
        if job is None or job.family != family:
            return _error("4004")
        return _envelope(self.query_result(job, self._base(request)))

    # -- uploads -----------------------------------------------------------------------------

    async def _credential(self, request: web.Request) -> web.Response:
        fmt = request.query.get("format", "").strip().lower()
        if not fmt:
            return _error("4003", "format cannot be null")
        if fmt not in FORMATS:
            return _error("4000", f"format {fmt} is not supported")
        self.counters.credentials += 1
        file_id = self._new_id()
        signature = secrets.token_hex(16)
        self.files[file_id] = FakeFile(file_id, fmt, signature)
        url = f"{self._base(request)}{STORAGE_PREFIX}{file_id}?X-Amz-Signature={signature}"
        return _envelope({"fileId": file_id, "uploadUrl": url, "format": fmt})

    async def _storage_put(self, request: web.Request) -> web.Response:
        self.counters.storage_puts += 1
        if "Authorization" in request.headers or "Topview-Uid" in request.headers:
            self.counters.storage_auth_leaks += 1
        found = self.files.get(request.match_info["file_id"])
        signature = request.query.get("X-Amz-Signature", "")
        if found is None or not secrets.compare_digest(signature, found.signature or "-"):
            return web.Response(
                status=403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>"
            )
        data = await request.read()
        if len(data) > self.max_upload_bytes:
            return web.Response(status=400, text="<Error><Code>EntityTooLarge</Code></Error>")
        if self.lose_uploads:
            return web.Response(status=200)
        found.data = data
        found.dims = image_size(data) if found.format in _IMAGES else None
        return web.Response(status=200)

    async def _check(self, request: web.Request) -> web.Response:
        self.counters.checks += 1
        found = self.files.get(request.query.get("fileId", "").strip())
        if found is None:
            return _error("4004")
        return _envelope(found.data is not None)

    async def _notice_check(self, request: web.Request) -> web.Response:
        self.counters.notice_checks += 1
        try:
            body = await request.json(loads=json.loads)
        except (ValueError, UnicodeDecodeError):
            return _error("4001")
        url = body.get("noticeUrl") if isinstance(body, dict) else None
        if not _is_url(url):
            return _error("4000", "noticeUrl must be an http(s) url")
        assert isinstance(url, str)
        self.notice_urls.add(url)
        return _envelope(True)

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
        heapq.heappush(self._heap, (due, self._seq, task_id))
        if self._wake is not None:
            self._wake.set()

    def callback_body(self, job: TopViewJob) -> dict[str, Any]:
        """What a callback for ``job`` carries now."""
        result = self.query_result(job)
        status = job.status(self.clock.now())
        return {
            "uuid": uuid.UUID(int=self._cb_rng.getrandbits(128)).hex,
            "bizType": TOPVIEW_TASKS[job.family].biz_type,
            "taskId": job.id,
            "status": WORDS[status],
            "errorMsg": job.error_msg if status == 4 else None,
            "result": result,
        }

    async def _callback_task(self, _app: web.Application) -> AsyncIterator[None]:
        self._wake = asyncio.Event()
        task = asyncio.create_task(self._run_callbacks(), name="topview-fake-callbacks")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._wake = None

    async def _run_callbacks(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10.0)
        async with aiohttp.ClientSession(timeout=timeout) as http, anyio.create_task_group() as tg:
            while True:
                assert self._wake is not None
                if not self._heap:
                    await self._wake.wait()
                    self._wake.clear()
                    continue
                delay = self.clock.to_real(self._heap[0][0] - self.clock.now())
                if delay > 0:
                    with anyio.move_on_after(delay):
                        await self._wake.wait()
                    self._wake.clear()
                    continue
                _due, _seq, task_id = heapq.heappop(self._heap)
                job = self.jobs.get(task_id)
                if job is None or job.notice_url is None:
                    continue
                status = job.status(self.clock.now())
                if status < 3 or job.callbacks_sent & (1 << status):
                    continue
                job.callbacks_sent |= 1 << status
                if self._cb_rng.random() < self.config.webhook_drop:
                    self.stats.webhooks_dropped += 1
                    continue
                copies = 2 if self._cb_rng.random() < self.config.webhook_duplicates else 1
                tg.start_soon(self._deliver, http, job.notice_url, self.callback_body(job), copies)
                await anyio.lowlevel.checkpoint()

    async def _deliver(
        self, http: aiohttp.ClientSession, url: str, body: dict[str, Any], copies: int
    ) -> None:
        for _ in range(copies):
            self.counters.callbacks_sent += 1
            self.stats.webhooks_sent += 1
            try:
                async with http.post(url, json=body) as response:
                    text = await response.text()
                    self.counters.callback_answers.append((response.status, text))
                    if response.status >= 300:
                        self.counters.callbacks_failed += 1
                        self.stats.webhooks_failed += 1
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                self.counters.callbacks_failed += 1
                self.stats.webhooks_failed += 1
                logger.debug("topview callback failed", extra={"error": repr(exc)})


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
        styles = ("result", "query") if state.query_style == "both" else (state.query_style,)
        for style in styles:
            router.add_get(f"{task.prefix}/{style}", state.wrap(query, "status"))
    router.add_get(CREDENTIAL_PATH, state.wrap(state._credential, "other"))
    router.add_get(CHECK_PATH, state.wrap(state._check, "other"))
    for path in NOTICE_PATHS:
        router.add_post(path, state.wrap(state._notice_check, "other"))
    router.add_put(
        STORAGE_PREFIX + "{file_id}", state.wrap(state._storage_put, "other", auth=False)
    )
    router.add_get(FILES_PREFIX + "{name}", state._files)
