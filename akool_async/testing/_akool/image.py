"""The fake's image area: ``image/createbyprompt`` and ``image/createbybutton`` (4K upscale or
variation), both polled at ``image/infobymodelid`` (``image-generate.mdx``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._http import ParamError
from .._jobs import FakeJob
from ._common import (
    FAKE_UID,
    CreateSpec,
    FakeArea,
    derived_hex,
    failure,
    opt_choice,
    opt_url,
    req_str,
    result_url,
    single_info,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "INFO_PATH"]

INFO_PATH: Final = "/api/open/v3/content/image/infobymodelid"
_SCALES: Final = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3")
_BUTTONS: Final = ("U1", "U2", "U3", "U4", "V1", "V2", "V3", "V4")
_FAMILIES: Final = frozenset({"image", "image_button"})


def _create(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "prompt")
    opt_choice(body, "scale", _SCALES)
    opt_url(body, "source_image")
    return CreateSpec("image", ("",), webhook(body))


def _button(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "_id")
    if body.get("button") is None:
        raise ParamError("button is required")
    opt_choice(body, "button", _BUTTONS)
    return CreateSpec("image_button", ("",), webhook(body))


def _body(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    # A prompt's picture is a grid of four: its buttons appear once it is done.
    buttons = list(_BUTTONS) if status == 3 and job.family == "image" else []
    out: dict[str, Any] = {
        "faceswap_quality": 2,
        "deduction_credit": 2,
        "buttons": buttons,
        "used_buttons": [],
        "upscaled_urls": [],
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "type": 3,
        "image_status": status,
        "image": result_url(job, status, base),
    }
    failure(job, status, out)
    return out


def _created(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    job = jobs[0]
    params = job.params
    return {
        "faceswap_quality": 2,
        "deduction_credit": 2,
        "buttons": [],
        "used_buttons": [],
        "upscaled_urls": [],
        "_id": job.id,
        "uid": FAKE_UID,
        "create_time": job.create_time_ms,
        "origin_prompt": params.get("prompt", ""),
        "source_image": params.get("source_image") or "",
        "prompt": params.get("prompt", ""),
        "type": 4,
        "from": 1,
        "image_status": 1,
    }


def _button_created(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    job = jobs[0]
    return {
        "faceswap_quality": 2,
        "deduction_credit": 2,
        "buttons": [],
        "used_buttons": [],
        "upscaled_urls": [],
        "_id": job.id,
        "image_content_model_id": job.params.get("_id", ""),
        "create_time": job.create_time_ms,
        "op_button": job.params.get("button", ""),
        "op_buttonMessageId": derived_hex(job.id, "button", 20),
        "image_status": 1,
        "from": 1,
    }


async def _info(fake: FakeAkool, request: web.Request) -> web.Response:
    return await single_info(fake, request, "image_model_id", _FAMILIES, _body)


AREA = FakeArea(
    creates={
        "/api/open/v3/content/image/createbyprompt": _create,
        "/api/open/v3/content/image/createbybutton": _button,
    },
    answers={"image": _created, "image_button": _button_created},
    routes=(("GET", INFO_PATH, _info),),
)
