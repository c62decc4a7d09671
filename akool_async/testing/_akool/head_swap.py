"""The fake's head-swap area (``head-swap/*.mdx``): the person analysis (``headswap/analyze``,
polled at ``headswap/analyze/detail``) and the task (``headswap/task/create``, polled at
``headswap/task/detail``).

How many people a video shows is read from its URL, so that the analysis and the task agree
without shared state: a ``heads=N`` query parameter (0-10) shows N people, any other video one.
The task refuses an ``obj_id`` its video's analysis would not list, as the page requires. An
unknown id answers 1014 (``Resource not found``), as these pages say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from .._faults import envelope_error
from .._http import ParamError, is_http_url, ok
from .._jobs import FakeJob
from ._common import (
    FAKE_TEAM_ID,
    FAKE_UID,
    CreateSpec,
    Envelope,
    FakeArea,
    StatusBody,
    derived_hex,
    opt_bool,
    opt_str,
    req_url,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["ANALYSIS_PATH", "AREA", "TASK_PATH", "analysis_result", "people_in"]

ANALYZE_CREATE: Final = "/api/open/v4/headswap/analyze"
ANALYSIS_PATH: Final = "/api/open/v4/headswap/analyze/detail"
TASK_CREATE: Final = "/api/open/v4/headswap/task/create"
TASK_PATH: Final = "/api/open/v4/headswap/task/detail"
_MAX_MAPPINGS: Final = 5
_PREVIEWS: Final = "https://static.akool.example/headswap/previews"


def people_in(video_url: str) -> int:
    """How many people the fake's analysis finds in ``video_url`` (``heads=N``, else 1)."""
    values = parse_qs(urlsplit(video_url).query).get("heads", [])
    if values and values[-1].isdecimal():
        return min(int(values[-1]), 10)
    return 1


def _choice(body: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise ParamError(f"{name} is required")
    if value not in choices:
        raise ParamError(f"{name} must be one of {', '.join(choices)}")
    return str(value)


def _analyze(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "video_url")
    _choice(body, "type", ("head",))
    # head-swap.mdx's code table: 1104 "Insufficient credits" (create.mdx's notes agree).
    return CreateSpec("head_swap_analysis", ("",), None, no_credit=1104)


def _task(body: dict[str, Any]) -> CreateSpec:
    video_url = req_url(body, "video_url")
    mappings = body.get("mappings")
    if mappings is None or mappings == []:
        raise ParamError("mappings is required")
    if not isinstance(mappings, list):
        raise ParamError("mappings must be a list of {obj_id, img_url} objects")
    if len(mappings) > _MAX_MAPPINGS:
        raise ParamError("Up to 5 characters can be replaced at one time.")
    people = people_in(video_url)
    for i, item in enumerate(mappings):
        if not isinstance(item, dict):
            raise ParamError(f"mappings[{i}] must be an object with obj_id and img_url")
        obj_id = item.get("obj_id")
        if obj_id is None:
            raise ParamError(f"mappings[{i}].obj_id is required")
        if isinstance(obj_id, bool) or not isinstance(obj_id, int):
            raise ParamError(f"mappings[{i}].obj_id must be a number")
        if not 0 <= obj_id < people:
            raise ParamError(f"mappings[{i}].obj_id {obj_id} is not in the analysis of video_url")
        if not item.get("img_url"):
            raise ParamError(f"mappings[{i}].img_url is required")
        if not is_http_url(item["img_url"]):
            raise ParamError(f"mappings[{i}].img_url must be an http(s) url")
    _choice(body, "model_name", ("akool-premium",))
    _choice(body, "resolution", ("480p", "720p"))
    opt_str(body, "template_id")
    opt_bool(body, "keep_original_sound")
    return CreateSpec("head_swap", ("",), webhook(body), no_credit=1104)


def _record(job: FakeJob, status: int) -> dict[str, Any]:
    return {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "video_url": job.params.get("video_url", ""),
        "type": "head",
        "status": status,
        "task_id": derived_hex(job.id, "task", 24),
    }


def analysis_result(job: FakeJob) -> dict[str, Any] | None:
    """What a completed analysis reports in ``analysis_result``."""
    if job.forced_url == "":  # ``FakeAkool.complete(id, url="")``: completed, nothing in it
        return None
    count = people_in(str(job.params.get("video_url", "")))
    return {
        "detected_objects": count,
        "media": [
            {"media_type": "images", "obj_id": i, "img_url": f"{_PREVIEWS}/{job.id}_{i}.png"}
            for i in range(count)
        ],
        "video_info": {"width": 1916, "height": 1082, "fps": 30, "frame_count": 450},
    }


def _analysis(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    out = _record(job, status)
    out["analysis_result"] = analysis_result(job) if status == 3 else None
    out["progress"] = job.progress(now, status)
    if status == 3:
        out["error_reason"], out["error_code"] = "success", 0
    elif status == 4:
        out["error_reason"], out["error_code"] = job.error_reason, job.error_code
    return out


def _analysis_created(jobs: list[FakeJob], now: float, base: str) -> Envelope:
    # The page's answer says "Analyze success" where other creates say "OK".
    data = {**_record(jobs[0], 1), "progress": 0}
    return Envelope({"code": 1000, "msg": "Analyze success", "data": data})


def _seconds(job: FakeJob) -> int:
    return max(1, round(job.media_duration))


def _task_url(job: FakeJob, status: int, base: str) -> str | None:
    if status != 3:
        return None
    return job.forced_url if job.forced_url is not None else f"{base}/files/{job.file_name}"


def _task_created(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    job = jobs[0]
    return {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "video_duration": _seconds(job),
        "task_id": derived_hex(job.id, "task", 24),
        "resolution": job.params.get("resolution"),
        "status": 1,
        "deduction_lock_duration": _seconds(job) * 10,
        "model_name": job.params.get("model_name"),
        "file_name": f"Headswap_{job.create_time_ms}.mp4",
        "video_url": None,
    }


def _task_detail(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_id": job.id,
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "source_video_url": job.params.get("video_url", ""),
        "create_time": job.create_time_ms,
        "status": status,
        "video_duration": _seconds(job),
        "resolution": job.params.get("resolution"),
        "deduction_duration": _seconds(job) * 3 // 2,
        "video_url": _task_url(job, status, base),
        "progress": job.progress(now, status),
        "priority": 9,
        "task_id": derived_hex(job.id, "task", 24),
        "file_name": f"Headswap_{job.create_time_ms}.mp4",
        "model_name": job.params.get("model_name"),
    }
    if status == 4:
        out["error_reason"], out["error_code"] = job.error_reason, job.error_code
    return out


def _detail(family: str, body: StatusBody) -> Any:
    async def handler(fake: FakeAkool, request: web.Request) -> web.Response:
        job_id = request.query.get("_id", "").strip()
        if not job_id:
            return envelope_error(1003, "_id is required")
        job = fake.lookup(job_id, frozenset({family}))
        if job is None:
            return envelope_error(1014, "Resource not found")
        now = fake.clock.now()
        return ok(body(job, job.status(now), now, fake.base(request)))

    return handler


AREA = FakeArea(
    creates={ANALYZE_CREATE: _analyze, TASK_CREATE: _task},
    answers={"head_swap_analysis": _analysis_created, "head_swap": _task_created},
    routes=(
        ("GET", ANALYSIS_PATH, _detail("head_swap_analysis", _analysis)),
        ("GET", TASK_PATH, _detail("head_swap", _task_detail)),
    ),
)
