"""What the fake Akool's areas share: create validation (1003 with the field in ``msg``), the
video status object, webhook payloads, and the record each area declares.

Each area module (``talking_photo``, ``face_swap`` ...) declares a :class:`FakeArea`: its create
endpoints' validators, the ``data`` its creates answer with, and the status endpoints it owns.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from attrs import field, frozen

from .._faults import envelope_error
from .._http import ParamError, is_http_url, ok
from .._jobs import FAMILIES, FakeJob

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = [
    "FAKE_TEAM_ID",
    "FAKE_UID",
    "FAKE_USER_ID",
    "VIDEO_INFO_PATH",
    "CreateSpec",
    "Envelope",
    "FakeArea",
    "derived_hex",
    "failure",
    "refused_entry",
    "result_url",
    "single_id_area",
    "single_info",
    "video_area",
    "video_body",
    "webhook_event",
]

VIDEO_INFO_PATH: Final = "/api/open/v3/content/video/infobymodelid"

_MISSING: Final = object()


@frozen(slots=True)
class CreateSpec:
    """What a valid create asks for: one job per variant.

    ``partial`` creates (the batch video endpoints) start as many of the jobs as the credit
    pays for and refuse the rest in ``errorList``, instead of refusing the whole create.
    ``no_credit``: the code of a create refused for want of credit (1006 unless the family's
    page gives another: head swap's says 1104).
    """

    family: str
    variants: tuple[str, ...]
    webhook_url: str | None
    partial: bool = False
    #: The code a create the credit cannot pay answers (the family's page says which).
    no_credit: int = 1006


@frozen(slots=True)
class Envelope:
    """A create answer that is a whole envelope (translation's ``all_results`` beside ``data``),
    not only the ``data`` of a success envelope."""

    body: dict[str, Any]


#: A create endpoint's body check: the spec of the jobs it starts, or ParamError.
Validator = Callable[[dict[str, Any]], CreateSpec]
#: The ``data`` a create answers with, given the jobs it started, the clock's now and the base URL.
CreateAnswer = Callable[[list[FakeJob], float, str], Any]
#: A family's own fields of the video status object (``infobymodelid``).
VideoFields = Callable[[FakeJob, int, float], dict[str, Any]]
#: A status endpoint's handler.
AreaHandler = Callable[["FakeAkool", web.Request], Awaitable[web.Response]]
#: A single-id status object: (job, status, now, base URL) -> ``data``.
StatusBody = Callable[[FakeJob, int, float, str], dict[str, Any]]


@frozen(slots=True)
class FakeArea:
    """What one API area adds to the fake server.

    Attributes:
        creates: create path -> its body validator.
        answers: family -> the ``data`` of its create answer.
        video_fields: family -> its own fields of the shared video status object.
        routes: the status endpoints the area owns: (method, path, handler).
        video_bodies: family -> its whole video status object, for a family whose page shows
            its own shape of it (character swap) instead of the shared one.
    """

    creates: Mapping[str, Validator]
    answers: Mapping[str, CreateAnswer]
    video_fields: Mapping[str, VideoFields] = field(factory=dict)
    routes: tuple[tuple[str, str, AreaHandler], ...] = ()
    video_bodies: Mapping[str, StatusBody] = field(factory=dict)


# -- create validation ---------------------------------------------------------------------------


def req_str(body: dict[str, Any], name: str) -> str:
    """``body[name]``: a required non-blank string."""
    value = body.get(name)
    if value is None or value == "":
        raise ParamError(f"{name} is required")
    if not isinstance(value, str):
        raise ParamError(f"{name} must be a string")
    if not value.strip():
        raise ParamError(f"{name} can not be empty")
    return value


def opt_str(body: dict[str, Any], name: str) -> str | None:
    """``body[name]``: None or a string."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParamError(f"{name} must be a string")
    return value


def req_url(body: dict[str, Any], name: str) -> str:
    """``body[name]``: a required http(s) URL."""
    value = req_str(body, name)
    if not is_http_url(value):
        raise ParamError(f"{name} must be an http(s) url")
    return value


def opt_url(body: dict[str, Any], name: str) -> str | None:
    """``body[name]``: None, "" or an http(s) URL."""
    value = opt_str(body, name)
    if value is None or value == "":
        return None
    if not is_http_url(value):
        raise ParamError(f"{name} must be an http(s) url")
    return value


def opt_choice(body: dict[str, Any], name: str, choices: tuple[Any, ...]) -> Any:
    """``body[name]``: None or one of ``choices``."""
    value = body.get(name, _MISSING)
    if value is _MISSING or value is None:
        return None
    # JSON true is not the integer 1 for Akool.
    if isinstance(value, bool) or value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ParamError(f"{name} must be one of {shown}")
    return value


def opt_bool(body: dict[str, Any], name: str) -> bool | None:
    """``body[name]``: None or a boolean."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ParamError(f"{name} must be a boolean")
    return value


def opt_int(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    """``body[name]``: None or an integer in [low, high]."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(f"{name} must be an integer")
    if not low <= value <= high:
        raise ParamError(f"{name} must be between {low} and {high}")
    return value


def opt_number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    """``body[name]``: None or a number in [low, high]."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(f"{name} must be a number")
    if not low <= value <= high:
        raise ParamError(f"{name} must be between {low:g} and {high:g}")
    return float(value)


def image_list(body: dict[str, Any], name: str) -> list[Any]:
    """``body[name]``: a required list of ``{path, opts}`` faces."""
    value = body.get(name)
    if value is None or value == []:
        raise ParamError(f"{name} is required")
    if not isinstance(value, list):
        raise ParamError(f"{name} must be a list of {{path, opts}} objects")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ParamError(f"{name}[{index}] must be an object with a path")
        path = item.get("path")
        if not path:
            raise ParamError(f"{name}[{index}].path is required")
        if not isinstance(path, str) or not is_http_url(path):
            raise ParamError(f"{name}[{index}].path must be an http(s) url")
        if item.get("opts") is not None and not isinstance(item["opts"], str):
            raise ParamError(f"{name}[{index}].opts must be a string")
    return value


def webhook(body: dict[str, Any], name: str = "webhookUrl") -> str | None:
    """The create's webhook URL, under this endpoint's spelling."""
    return opt_url(body, name)


# -- bodies --------------------------------------------------------------------------------------

#: The account every fake job belongs to (seed pages use 378337).
FAKE_UID: Final = 378337
FAKE_USER_ID: Final = "64c8e6c1f0b6684651e8f9a1"
FAKE_TEAM_ID: Final = "64c8e6c1f0b6684651e8f9a2"
_AUDIO_SPLIT_BASE: Final = "https://d3323c6w59hl44.cloudfront.net/algorithm/video_translate"


def derived_hex(job_id: str, salt: str, length: int) -> str:
    """A stable hex string derived from ``job_id`` (ids Akool shows beside the job's own)."""
    return hashlib.md5(f"{salt}:{job_id}".encode(), usedforsecurity=False).hexdigest()[:length]


def _uuid(job_id: str) -> str:
    h = derived_hex(job_id, "video_id", 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def refused_entry(code: int, msg: str) -> dict[str, Any]:
    """An ``errorList`` entry of a batch create: a video that was not created."""
    return {"code": code, "msg": msg}


def result_url(job: FakeJob, status: int, base: str) -> str:
    """The result URL a completed job reports ("" before completion)."""
    if status != 3:
        return ""
    if job.forced_url is not None:
        return job.forced_url
    return f"{base}/files/{job.file_name}"


def failure(job: FakeJob, status: int, out: dict[str, Any]) -> None:
    """Add a failed job's ``error_code`` and ``error_reason`` to ``out``."""
    if status == 4:
        out["error_code"] = job.error_code
        out["error_reason"] = job.error_reason


def video_body(
    job: FakeJob, status: int, now: float, base: str, own: dict[str, Any], *, create: bool
) -> dict[str, Any]:
    """The video status object (``infobymodelid``) with the family's ``own`` fields."""
    out: dict[str, Any] = {
        "faceswap_quality": 2,
        "storage_loc": 1,
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "type": FAMILIES[job.family].type_number,
        "from": 2,
        "video_id": _uuid(job.id),
        "video_lock_duration": round(job.media_duration, 2),
        "deduction_lock_duration": int(math.ceil(job.media_duration / 10.0) * 10),
        "video_status": status,
        "external_video": "",
        "video": result_url(job, status, base),
    }
    out.update(own)
    if job.webhook_url is not None and create:
        out["webhookUrl"] = job.webhook_url
    out["__v"] = 0
    failure(job, status, out)
    return out


def video_area(path: str, check: Validator, family: str, fields: VideoFields) -> FakeArea:
    """The area of one family polled at ``infobymodelid``: its create answers the video object."""

    def answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
        return video_body(jobs[0], 1, now, base, fields(jobs[0], 1, now), create=True)

    return FakeArea(creates={path: check}, answers={family: answer}, video_fields={family: fields})


def single_id_area(
    path: str, check: Validator, family: str, info_path: str, param: str, body: StatusBody
) -> FakeArea:
    """The area of one family with its own single-id status endpoint (``?{param}=ID``)."""

    def answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
        return body(jobs[0], 1, now, base)

    async def info(fake: FakeAkool, request: web.Request) -> web.Response:
        return await single_info(fake, request, param, frozenset({family}), body)

    return FakeArea(
        creates={path: check}, answers={family: answer}, routes=(("GET", info_path, info),)
    )


async def single_info(
    fake: FakeAkool,
    request: web.Request,
    param: str,
    families: frozenset[str],
    data: Callable[[FakeJob, int, float, str], Any],
) -> web.Response:
    """A single-id status endpoint: ``?{param}=ID`` answers ``data(job, status, now, base)``."""
    job_id = request.query.get(param, "").strip()
    if not job_id:
        return envelope_error(1003, f"{param} is required")
    job = fake.lookup(job_id, families)
    if job is None:
        return envelope_error(1008)
    now = fake.clock.now()
    return ok(data(job, job.status(now), now, fake.base(request)))


def webhook_event(job: FakeJob, status: int, webhook_type: str, base: str) -> dict[str, Any]:
    """The plaintext Akool encrypts into a webhook's ``dataEncrypt``."""
    out: dict[str, Any] = {
        "_id": job.id,
        "status": status,
        "type": webhook_type,
        "url": result_url(job, status, base),
    }
    failure(job, status, out)
    return out
