"""The fake's voice v3 area (``audio.mdx``): text to speech (``audio/create``) and voice clone
(``audio/clone``), both polled at ``audio/infobymodelid``."""

from __future__ import annotations

import re
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
    opt_str,
    opt_url,
    req_str,
    result_url,
    single_info,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "INFO_PATH", "req_rate"]

INFO_PATH: Final = "/api/open/v3/audio/infobymodelid"
_FAMILIES: Final = frozenset({"tts", "voice_clone_v3"})
_RATE: Final = re.compile(r"(\d{1,3})%")


def req_rate(body: dict[str, Any]) -> str:
    """``rate``: a required percentage string, "0%" to "100%"."""
    rate = req_str(body, "rate")
    match = _RATE.fullmatch(rate)
    if match is None or int(match.group(1)) > 100:
        raise ParamError("rate must be a percentage from 0% to 100%")
    return rate


def _text(body: dict[str, Any]) -> None:
    if len(req_str(body, "input_text")) > 5000:
        raise ParamError("input_text must be at most 5000 characters")


def _tts(body: dict[str, Any]) -> CreateSpec:
    _text(body)
    req_str(body, "voice_id")
    req_rate(body)
    return CreateSpec("tts", ("",), webhook(body))


def _clone(body: dict[str, Any]) -> CreateSpec:
    _text(body)
    req_rate(body)
    voice_url = opt_url(body, "voice_url")
    voice_id = opt_str(body, "voice_id")
    if voice_url is None and not voice_id:
        raise ParamError("voice_url or voice_id is required")
    return CreateSpec("voice_clone_v3", ("",), webhook(body))


def _body(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    params = job.params
    out: dict[str, Any] = {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "from": 3,
        "input_text": params.get("input_text", ""),
        "rate": params.get("rate", "100%"),
        "voice_model_id": derived_hex(job.id, "voice_model", 24),
        "url": result_url(job, status, base),
        "status": status,
        "__v": 0,
    }
    failure(job, status, out)
    return out


def _answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    return _body(jobs[0], 1, now, base)


async def _info(fake: FakeAkool, request: web.Request) -> web.Response:
    return await single_info(fake, request, "audio_model_id", _FAMILIES, _body)


AREA = FakeArea(
    creates={"/api/open/v3/audio/create": _tts, "/api/open/v3/audio/clone": _clone},
    answers={"tts": _answer, "voice_clone_v3": _answer},
    routes=(("GET", INFO_PATH, _info),),
)
