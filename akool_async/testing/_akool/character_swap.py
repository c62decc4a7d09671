"""The fake's character-swap area: ``v4/characterSwap/create``, polled at ``infobymodelid``
(``character-swap/create.mdx``, ``character-swap/get-result.mdx``).

Both answers have the shapes the pages show, not the shared video object: the create answer
carries ``status``, the status answer ``video_status``, the result in ``video`` once completed
and a failed job's reason in ``faceswap_fail_reason``. Credits are charged per started 5 s.
"""

from __future__ import annotations

import math
from typing import Any, Final

from .._http import ParamError
from .._jobs import FakeJob
from ._common import (
    FAKE_TEAM_ID,
    CreateSpec,
    FakeArea,
    opt_choice,
    opt_number,
    opt_str,
    req_url,
    result_url,
    webhook,
)

__all__ = ["AREA", "CREATE_PATH"]

CREATE_PATH: Final = "/api/open/v4/characterSwap/create"
_UID: Final = 101400
_MODEL: Final = "wavespeed-ai/wan-2.2/animate"
#: Credits per started 5 seconds, by resolution (the overview's pricing table).
_CREDITS: Final = {"480p": 5, "720p": 10, "1080p": 15}


def _create(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "image")
    req_url(body, "video")
    opt_number(body, "duration", 1, 120)
    opt_choice(body, "resolution", tuple(_CREDITS))
    opt_choice(body, "mode", ("animate", "replace"))
    prompt = opt_str(body, "prompt")
    if prompt is not None and len(prompt) > 500:
        raise ParamError("prompt must be at most 500 characters")
    opt_str(body, "model_name")
    return CreateSpec("character_swap", ("",), webhook(body, "webhookurl"))


def _duration(job: FakeJob) -> float:
    given = job.params.get("duration")
    return float(given) if given is not None else round(job.media_duration, 2)


def _common(job: FakeJob, status: int) -> dict[str, Any]:
    params = job.params
    resolution = params.get("resolution") or "720p"
    credit = math.ceil(_duration(job) / 5.0) * _CREDITS[resolution]
    return {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": _UID,
        "team_id": FAKE_TEAM_ID,
        "video_duration": _duration(job),
        "webhookUrl": job.webhook_url or "",
        "file_name": f"CharacterSwap_{job.create_time_ms}.mp4",
        "image_url": params.get("image", ""),
        "video_url": params.get("video", ""),
        "prompt": params.get("prompt") or "",
        "resolution": resolution,
        "deduction_credit": 0 if status == 4 else credit,
    }


def _created(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    job = jobs[0]
    out = _common(job, 1)
    out["status"] = 1
    out["mode"] = job.params.get("mode") or "animate"
    out["model_name"] = job.params.get("model_name") or _MODEL
    return out


def _status(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    out = _common(job, status)
    if status >= 3:
        out["update_time"] = job.create_time_ms + int(
            max(0.0, job.proc_end - job.created_at) * 1000
        )
    if status == 3:
        out["video"] = result_url(job, status, base)
    out["video_status"] = status
    if status == 4:
        out["faceswap_fail_reason"] = job.error_reason
    return out


AREA = FakeArea(
    creates={CREATE_PATH: _create},
    answers={"character_swap": _created},
    video_bodies={"character_swap": _status},
)
