"""The fake's face-swap area: v3 specifyimage/specifyvideo and reage, v4 faceswapByImage (Pro)
and faceswapPlusByImage (Plus), polled in batches at ``faceswap/result/listbyids``; deletes at
``result/delbyids`` (``openapi/faceswap.yaml``, ``reage.mdx``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._faults import envelope_error
from .._http import ParamError, is_http_url, json_body, json_response, ok
from .._jobs import FACESWAP_FAMILIES, FAMILIES, FakeJob
from ._common import (
    FAKE_UID,
    FAKE_USER_ID,
    CreateSpec,
    FakeArea,
    derived_hex,
    failure,
    image_list,
    opt_bool,
    opt_choice,
    opt_int,
    req_url,
    result_url,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "DELETE_PATH", "RESULTS_PATH", "faceswap_entry"]

RESULTS_PATH: Final = "/api/open/v3/faceswap/result/listbyids"
DELETE_PATH: Final = "/api/open/v3/faceswap/result/delbyids"


_PRO_MAX: Final = 50
_MODEL_STYLES: Final = ("realistic", "beautify", "lossless")


def _pairs(body: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The face lists; with several faces every one needs ``opts`` (``FaceImageWithOpts``)."""
    source = image_list(body, "sourceImage")
    target = image_list(body, "targetImage")
    if len(source) != len(target):
        raise ParamError("targetImage must have as many entries as sourceImage")
    if len(source) > 1 or len(target) > 1:
        for name, faces in (("sourceImage", source), ("targetImage", target)):
            for index, face in enumerate(faces):
                if not face.get("opts"):
                    raise ParamError(f"{name}[{index}].opts is required with several faces")
    return source, target


def _faceswap_v3(body: dict[str, Any], family: str, modify: str) -> CreateSpec:
    _pairs(body)
    req_url(body, modify)
    # v3 documents face_enhance as the integer 0 or 1 (a JSON boolean is refused).
    opt_choice(body, "face_enhance", (0, 1))
    return CreateSpec(family, ("",), webhook(body))


def _reage(body: dict[str, Any], family: str, modify: str) -> CreateSpec:
    image_list(body, "targetImage")
    if body.get("face_reage") is None:
        raise ParamError("face_reage is required")
    opt_int(body, "face_reage", -30, 30)
    req_url(body, modify)
    return CreateSpec(family, ("",), webhook(body))


def _faceswap_v4(body: dict[str, Any]) -> CreateSpec:
    source, target = _pairs(body)
    for name, faces in (("sourceImage", source), ("targetImage", target)):
        if len(faces) > _PRO_MAX:
            raise ParamError(f"{name} takes at most {_PRO_MAX} items")
    opt_choice(body, "model_name", ("akool_faceswap_image_hq",))
    opt_bool(body, "face_enhance")
    opt_bool(body, "single_face_mode")
    return CreateSpec("faceswap_v4", ("",), webhook(body))


def _face_info(info: Any, where: str, *, url_required: bool) -> None:
    if not isinstance(info, dict):
        raise ParamError(f"{where} must be an object")
    url = info.get("face_url")
    if url is None and url_required:
        raise ParamError(f"{where}.face_url is required")
    if url is not None and not is_http_url(url):
        raise ParamError(f"{where}.face_url must be an http(s) url")
    bbox = info.get("bbox")
    if bbox is not None and (
        not isinstance(bbox, list)
        or len(bbox) != 4
        or any(isinstance(v, bool) or not isinstance(v, int | float) for v in bbox)
    ):
        raise ParamError(f"{where}.bbox must be 4 numbers")


def _faceswap_plus(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "source_url")
    req_url(body, "target_url")
    opt_bool(body, "face_enhance")
    single = opt_bool(body, "single_face_mode")
    opt_choice(body, "model_style", _MODEL_STYLES)
    mapping = body.get("face_mapping")
    if mapping is None and not single:
        raise ParamError("face_mapping is required when single_face_mode is false")
    if mapping is not None:
        if not isinstance(mapping, list):
            raise ParamError("face_mapping must be a list")
        for index, item in enumerate(mapping):
            where = f"face_mapping[{index}]"
            if not isinstance(item, dict):
                raise ParamError(f"{where} must be an object")
            for key, required in (("source_face_info", True), ("target_face_info", False)):
                if key not in item:
                    raise ParamError(f"{where}.{key} is required")
                _face_info(item[key], f"{where}.{key}", url_required=required)
    return CreateSpec("faceswap_plus", ("",), webhook(body))


_VIDEO_SUFFIXES: Final = (".mp4", ".mov", ".avi", ".webm")


def _is_video(job: FakeJob) -> bool:
    if job.family == "faceswap_plus":
        target = job.params.get("target_url")
        return isinstance(target, str) and target.lower().endswith(_VIDEO_SUFFIXES)
    return FAMILIES[job.family].ext == "mp4"


def faceswap_entry(job: FakeJob, now_ms: int, base: str, status: int) -> dict[str, Any]:
    """One element of ``listbyids``' ``data.result``."""
    is_video = _is_video(job)
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
    # The v3 answers carry the ``url`` the result will have (the pages show one at once,
    # though the job has only been queued); the v4 ones only the two ids.
    job = jobs[0]
    out: dict[str, Any] = {"_id": job.id, "url": result_url(job, 3, base), "job_id": _job_id(job)}
    if job.family in ("faceswap_v4", "faceswap_plus"):
        del out["url"]
    return out


def _job_id(job: FakeJob) -> str:
    # Akool's task ids look like ``20240102082900592-5653``.
    digits = int(derived_hex(job.id, "job", 12), 16)
    return f"{job.create_time_ms:017d}"[-17:] + f"-{digits % 10000:04d}"


async def _delete(fake: FakeAkool, request: web.Request) -> web.Response:
    try:
        body = await json_body(request)
        ids = fake.batch_ids(body.get("_ids"))
    except ParamError as exc:
        return envelope_error(exc.code, exc.msg)
    for job_id in ids:
        job = fake.jobs.get(job_id)
        if job is not None and job.family in FACESWAP_FAMILIES:
            del fake.jobs[job_id]
    return json_response({"code": 1000, "msg": "OK"})


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


_V3: Final = "/api/open/v3/faceswap/highquality"

AREA = FakeArea(
    creates={
        f"{_V3}/specifyimage": lambda body: _faceswap_v3(body, "faceswap_image", "modifyImage"),
        f"{_V3}/specifyvideo": lambda body: _faceswap_v3(body, "faceswap_video", "modifyVideo"),
        f"{_V3}/imgreage": lambda body: _reage(body, "reage_image", "modifyImage"),
        f"{_V3}/vidreage": lambda body: _reage(body, "reage_video", "modifyVideo"),
        "/api/open/v4/faceswap/faceswapByImage": _faceswap_v4,
        "/api/open/v4/faceswap/faceswapPlusByImage": _faceswap_plus,
    },
    answers={name: _answer for name in FACESWAP_FAMILIES},
    routes=(("GET", RESULTS_PATH, _results), ("POST", DELETE_PATH, _delete)),
)
