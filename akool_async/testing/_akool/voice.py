"""The fake's voice area: text to speech (``audio/create``), polled at ``audio/infobymodelid``."""

from __future__ import annotations

from typing import Any, Final

from .._jobs import FakeJob
from ._common import (
    FAKE_UID,
    CreateSpec,
    failure,
    opt_number,
    req_str,
    result_url,
    single_id_area,
    webhook,
)

__all__ = ["AREA", "INFO_PATH"]

INFO_PATH: Final = "/api/open/v3/audio/infobymodelid"


def _create(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "input_text")
    req_str(body, "voice_code")
    opt_number(body, "speed", 0.5, 2.0)
    return CreateSpec("tts", ("",), webhook(body))


def _body(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    params = job.params
    out: dict[str, Any] = {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "from": 2,
        "input_text": params.get("input_text", ""),
        "voice_code": params.get("voice_code", ""),
        "speed": params.get("speed") or 1.0,
        "duration": round(job.media_duration, 2) if status == 3 else 0,
        "status": status,
        "url": result_url(job, status, base),
        "__v": 0,
    }
    failure(job, status, out)
    return out


AREA = single_id_area(
    "/api/open/v3/audio/create", _create, "tts", INFO_PATH, "audio_model_id", _body
)
