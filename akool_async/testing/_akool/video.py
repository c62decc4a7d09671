"""The fake's video area (``image2video.mdx``, ``text2video.mdx``): v4 image to video (one, a
batch, update-audio) and text to video, polled in batches at ``image2Video/resultsByIds`` (a
POST with ``_ids`` in the body).

The batch creates answer ``{successList, errorList}``; when the credit covers only some of the
videos asked for, the rest are refused in ``errorList`` (code 1006) and the others created.
"""

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
    opt_bool,
    opt_choice,
    opt_int,
    opt_str,
    opt_url,
    req_str,
    req_url,
    result_url,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "RESULTS_PATH", "i2v_entry"]

RESULTS_PATH: Final = "/api/open/v4/image2Video/resultsByIds"
_RESOLUTIONS: Final = ("720p", "1080p", "4k")
_EFFECT_NAMES: Final = {"squish_89244231312": "Squish", "cakeify_24743216": "Cakeify"}


def _max_len(body: dict[str, Any], name: str, limit: int) -> None:
    value = body.get(name)
    if isinstance(value, str) and len(value) > limit:
        raise ParamError(f"{name} must be at most {limit} characters")


def _required(body: dict[str, Any], name: str, value: Any) -> Any:
    if value is None:
        raise ParamError(f"{name} is required")
    return value


def _model_options(body: dict[str, Any], *, required: bool) -> None:
    """Resolution and length of a model-driven create (the model list says which exist)."""
    resolution = opt_str(body, "resolution")
    if resolution is not None and not resolution.strip():
        raise ParamError("resolution can not be empty")
    length = opt_int(body, "video_length", 1, 120)
    if required:
        _required(body, "resolution", resolution)
        _required(body, "video_length", length)
    opt_str(body, "model_name")
    opt_bool(body, "extend_prompt")


def _image2video(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "image_url")
    req_str(body, "prompt")
    _required(body, "negative_prompt", opt_str(body, "negative_prompt"))
    _required(body, "resolution", opt_choice(body, "resolution", _RESOLUTIONS))
    audio_type = _required(body, "audio_type", opt_choice(body, "audio_type", (1, 2, 3)))
    _required(body, "video_length", opt_choice(body, "video_length", (5, 10)))
    opt_bool(body, "extend_prompt")
    audio_url = opt_url(body, "audio_url")
    if audio_type == 2 and audio_url is None:
        raise ParamError("audio_url is required when audio_type is 2")
    opt_bool(body, "is_premium_model")
    opt_str(body, "effect_code")
    return CreateSpec("image2video", ("",), webhook(body, "webhookurl"))


def _image2video_batch(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "image_url")
    req_str(body, "prompt")
    opt_str(body, "negative_prompt")
    _model_options(body, required=True)
    opt_url(body, "last_image_url")
    count = opt_int(body, "count", 1, 10) or 1
    return CreateSpec("image2video_batch", ("",) * count, webhook(body, "webhookurl"), partial=True)


def _update_audio(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "pre_video_id")
    req_url(body, "audio_url")
    _required(body, "audio_type", opt_choice(body, "audio_type", (1, 2)))
    return CreateSpec("image2video_audio", ("",), None)


def _text2video(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "prompt")
    _max_len(body, "prompt", 5000)
    opt_str(body, "negative_prompt")
    _max_len(body, "negative_prompt", 1000)
    _model_options(body, required=False)
    count = opt_int(body, "count", 1, 10) or 1
    _max_len(body, "webhookurl", 2048)
    return CreateSpec("text2video", ("",) * count, webhook(body, "webhookurl"), partial=True)


def i2v_entry(job: FakeJob, status: int, base: str) -> dict[str, Any]:
    """A v4 video job as ``resultsByIds`` shows it (creates show it without the result)."""
    params = job.params
    effect = params.get("effect_code") or ""
    length = params.get("video_length") or 5
    out: dict[str, Any] = {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "update_time": job.create_time_ms,
        "video_duration": float(length) + 0.063 if status == 3 else 0,
        "webhookUrl": job.webhook_url or "",
        "file_name": f"Image2Video_{str(params.get('prompt', ''))[:20]}.mp4",
        "effect_name": _EFFECT_NAMES.get(effect, ""),
        "image_url": params.get("image_url", ""),
        "prompt": params.get("prompt", ""),
        "resolution": params.get("resolution") or "720p",
        "audio_type": params.get("audio_type") or 3,
        "audio_url": params.get("audio_url") or "",
        "deduction_credit": 20 if length <= 5 else 40,
        "effect_code": effect,
        "video_url": result_url(job, status, base),
        "status": status,
        "only_add_audio": job.family == "image2video_audio",
    }
    if job.family == "image2video_audio":
        out["pre_video_id"] = params.get("pre_video_id", "")
    if status == 4:
        out["error_code"] = job.error_code
        out["error_msg"] = job.error_reason
    return out


def _created_entry(job: FakeJob, base: str) -> dict[str, Any]:
    """A job as its create answers it: the status object before a result, with the request."""
    params = job.params
    out = i2v_entry(job, 1, base)
    for name in ("video_duration", "update_time", "video_url", "only_add_audio"):
        out.pop(name)
    out["negative_prompt"] = params.get("negative_prompt") or ""
    out["extend_prompt"] = bool(params.get("extend_prompt"))
    if job.family in ("text2video", "image2video_batch"):
        out["model_name"] = params.get("model_name") or "seedance-1-0-lite-i2v-250428"
        out["batch_id"] = f"{job.create_time_ms}_{FAKE_UID}"
        out["batch_count"] = params.get("count") or 1
        if job.family == "text2video":
            out.pop("image_url")
            for name in ("effect_name", "effect_code", "audio_type", "audio_url"):
                out.pop(name)
        else:
            out["last_image_url"] = params.get("last_image_url") or ""
    if job.family == "image2video_audio":
        out["pre_video_id"] = params.get("pre_video_id", "")
        out["only_add_audio"] = True
    return out


def _one_answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    return _created_entry(jobs[0], base)


def _batch_answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    return {"successList": [_created_entry(job, base) for job in jobs], "errorList": []}


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
        "/api/open/v4/image2Video/createBySourcePrompt/batch": _image2video_batch,
        "/api/open/v4/image2Video/updateVideoAudio": _update_audio,
        "/api/open/v4/text2Video/createByPrompt/batch": _text2video,
    },
    answers={
        "image2video": _one_answer,
        "image2video_audio": _one_answer,
        "image2video_batch": _batch_answer,
        "text2video": _batch_answer,
    },
    routes=(("POST", RESULTS_PATH, _results),),
)
