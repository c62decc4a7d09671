"""The fake's video area: v4 image to video and text to video, polled in batches at
``image2Video/resultsByIds`` (a POST with ``_ids`` in the body)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._faults import envelope_error
from .._http import ParamError, json_body, ok
from .._jobs import I2V_FAMILIES, FakeJob
from ._common import (
    FAKE_TEAM_ID,
    FAKE_UID,
    CreateSpec,
    FakeArea,
    opt_choice,
    opt_int,
    opt_str,
    req_str,
    req_url,
    result_url,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "RESULTS_PATH", "i2v_entry"]

RESULTS_PATH: Final = "/api/open/v4/image2Video/resultsByIds"


def _video_options(body: dict[str, Any]) -> None:
    opt_choice(body, "resolution", ("720p", "1080p"))
    opt_choice(body, "video_length", (5, 10))


def _image2video(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "image_url")
    req_str(body, "prompt")
    opt_str(body, "negative_prompt")
    _video_options(body)
    return CreateSpec("image2video", ("",), webhook(body, "webhookurl"))


def _text2video(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "prompt")
    opt_str(body, "negative_prompt")
    _video_options(body)
    count = opt_int(body, "count", 1, 4) or 1
    return CreateSpec("text2video", ("",) * count, webhook(body, "webhookurl"))


def i2v_entry(job: FakeJob, status: int, base: str) -> dict[str, Any]:
    """An image2video / text2video job, as create and ``resultsByIds`` show it."""
    params = job.params
    out: dict[str, Any] = {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "status": status,
        "webhookurl": job.webhook_url or "",
        "resolution": params.get("resolution") or "720p",
        "video_length": params.get("video_length") or 5,
        "prompt": params.get("prompt", ""),
        "negative_prompt": params.get("negative_prompt") or "",
        "video_url": result_url(job, status, base),
        "error_msg": job.error_reason if status == 4 else "",
        "deduction_credit": 10 if (params.get("video_length") or 5) == 5 else 20,
        "__v": 0,
    }
    if job.family == "image2video":
        out["image_url"] = params.get("image_url", "")
    if status == 4:
        out["error_code"] = job.error_code
    return out


def _image2video_answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    return i2v_entry(jobs[0], 1, base)


def _text2video_answer(jobs: list[FakeJob], now: float, base: str) -> list[dict[str, Any]]:
    return [i2v_entry(job, 1, base) for job in jobs]


async def _results(fake: FakeAkool, request: web.Request) -> web.Response:
    try:
        body = await json_body(request)
        ids = fake.batch_ids(body.get("_ids"))
    except ParamError as exc:
        return envelope_error(exc.code, exc.msg)
    now = fake.clock.now()
    base = fake.base(request)
    result = []
    for job_id in ids:
        job = fake.lookup(job_id, I2V_FAMILIES)
        if job is not None:
            result.append(i2v_entry(job, job.status(now), base))
    return ok({"result": result})


AREA = FakeArea(
    creates={
        "/api/open/v4/image2Video/createBySourcePrompt": _image2video,
        "/api/open/v4/text2Video/createByPrompt/batch": _text2video,
    },
    answers={"image2video": _image2video_answer, "text2video": _text2video_answer},
    routes=(("POST", RESULTS_PATH, _results),),
)
