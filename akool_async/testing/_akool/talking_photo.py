"""The fake's talking-photo area: ``createbytalkingphoto``."""

from __future__ import annotations

from typing import Any

from .._jobs import FakeJob
from ._common import CreateSpec, opt_choice, opt_str, req_url, video_area, webhook

__all__ = ["AREA"]


def _talking_photo(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "talking_photo_url")
    req_url(body, "audio_url")
    opt_str(body, "prompt")
    opt_choice(body, "resolution", ("720", "1080"))
    return CreateSpec("talking_photo", ("",), webhook(body))


def _fields(job: FakeJob, status: int, now: float) -> dict[str, Any]:
    # ``TalkingPhotoResult`` echoes the photo, and the prompt and resolution when given.
    params = job.params
    out = {"talking_photo": params.get("talking_photo_url", "")}
    out.update({k: params[k] for k in ("prompt", "resolution") if params.get(k) is not None})
    return out


AREA = video_area(
    "/api/open/v3/content/video/createbytalkingphoto", _talking_photo, "talking_photo", _fields
)
