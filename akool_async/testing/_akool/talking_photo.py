"""The fake's talking-photo area: ``createbytalkingphoto``."""

from __future__ import annotations

from typing import Any

from .._jobs import FakeJob
from ._common import CreateSpec, FakeArea, opt_choice, opt_str, req_url, video_body, webhook

__all__ = ["AREA"]


def _talking_photo(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "talking_photo_url")
    req_url(body, "audio_url")
    opt_str(body, "prompt")
    opt_choice(body, "resolution", ("720", "1080"))
    return CreateSpec("talking_photo", ("",), webhook(body))


def _fields(job: FakeJob, status: int, now: float) -> dict[str, Any]:
    return {"talking_photo": job.params.get("talking_photo_url", "")}


def _answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    return video_body(jobs[0], 1, now, base, _fields(jobs[0], 1, now), create=True)


AREA = FakeArea(
    creates={"/api/open/v3/content/video/createbytalkingphoto": _talking_photo},
    answers={"talking_photo": _answer},
    video_fields={"talking_photo": _fields},
)
