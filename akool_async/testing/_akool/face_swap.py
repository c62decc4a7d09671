"""The fake's face-swap area: v3 specifyimage/specifyvideo (and re-age), v4 faceswapByImage,
polled in batches at ``faceswap/result/listbyids``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._faults import envelope_error
from .._http import ParamError, ok
from .._jobs import FACESWAP_FAMILIES, FakeJob
from ._common import (
    FAKE_UID,
    FAKE_USER_ID,
    CreateSpec,
    FakeArea,
    derived_hex,
    failure,
    image_list,
    opt_int,
    req_url,
    result_url,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "RESULTS_PATH", "faceswap_entry"]

RESULTS_PATH: Final = "/api/open/v3/faceswap/result/listbyids"


def _pairs(body: dict[str, Any]) -> None:
    source = image_list(body, "sourceImage")
    target = image_list(body, "targetImage")
    if len(source) != len(target):
        raise ParamError("targetImage must have as many entries as sourceImage")


def _face_enhance(body: dict[str, Any]) -> None:
    # Documented as 0/1 for v3 and as a boolean for v4; the API takes either spelling.
    value = body.get("face_enhance")
    if value is not None and value not in (0, 1):
        raise ParamError("face_enhance must be 0, 1, true or false")


def _faceswap_image(body: dict[str, Any]) -> CreateSpec:
    _pairs(body)
    req_url(body, "modifyImage")
    _face_enhance(body)
    return CreateSpec("faceswap_image", ("",), webhook(body))


def _faceswap_video(body: dict[str, Any]) -> CreateSpec:
    _pairs(body)
    req_url(body, "modifyVideo")
    _face_enhance(body)
    return CreateSpec("faceswap_video", ("",), webhook(body))


def _reage(body: dict[str, Any], media: str) -> CreateSpec:
    image_list(body, "targetImage")
    opt_int(body, "face_reage", -30, 30)
    req_url(body, "modifyImage" if media == "image" else "modifyVideo")
    return CreateSpec(f"faceswap_{media}", ("",), webhook(body))


def _faceswap_v4(body: dict[str, Any]) -> CreateSpec:
    source = image_list(body, "sourceImage")
    target = image_list(body, "targetImage")
    if len(source) != 1 or len(target) != 1:
        raise ParamError("sourceImage and targetImage take exactly one face each")
    _face_enhance(body)
    return CreateSpec("faceswap_v4", ("",), webhook(body))


def faceswap_entry(job: FakeJob, now_ms: int, base: str, status: int) -> dict[str, Any]:
    """One element of ``listbyids``' ``data.result``."""
    is_video = job.family == "faceswap_video"
    duration = round(job.media_duration, 2) if is_video else 0
    out: dict[str, Any] = {
        "faceswap_type": 2 if is_video else 1,
        "faceswap_quality": 2,
        "faceswap_status": status,
        "deduction_status": 1 if status == 3 else 0,
        "image": 0 if is_video else 1,
        "video_duration": duration,
        "deduction_duration": duration,
        "update_time": now_ms,
        "_id": job.id,
        "userId": FAKE_USER_ID,
        "uid": FAKE_UID,
        "url": result_url(job, status, base),
        "createdAt": datetime.fromtimestamp(job.create_time_ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
    }
    failure(job, status, out)
    return out


def _answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    job = jobs[0]
    return {"_id": job.id, "url": "", "job_id": derived_hex(job.id, "job", 32)}


async def _results(fake: FakeAkool, request: web.Request) -> web.Response:
    try:
        ids = fake.batch_ids(request.query.get("_ids"))
    except ParamError as exc:
        return envelope_error(exc.code, exc.msg)
    now = fake.clock.now()
    now_ms = int(fake.clock.wall() * 1000)
    base = fake.base(request)
    result = []
    for job_id in ids:
        job = fake.lookup(job_id, FACESWAP_FAMILIES)
        if job is not None:
            result.append(faceswap_entry(job, now_ms, base, job.status(now)))
    return ok({"result": result})


AREA = FakeArea(
    creates={
        "/api/open/v3/faceswap/highquality/specifyimage": _faceswap_image,
        "/api/open/v3/faceswap/highquality/specifyvideo": _faceswap_video,
        "/api/open/v3/faceswap/highquality/imgreage": lambda body: _reage(body, "image"),
        "/api/open/v3/faceswap/highquality/vidreage": lambda body: _reage(body, "video"),
        "/api/open/v4/faceswap/faceswapByImage": _faceswap_v4,
    },
    answers={name: _answer for name in FACESWAP_FAMILIES},
    routes=(("GET", RESULTS_PATH, _results),),
)
