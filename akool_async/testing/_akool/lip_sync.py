"""The fake's lip-sync area: ``lipsync``."""

from __future__ import annotations

from typing import Any

from .._jobs import FakeJob
from ._common import CreateSpec, FakeArea, derived_hex, req_url, video_body, webhook

__all__ = ["AREA"]


def _lip_sync(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "video_url")
    req_url(body, "audio_url")
    return CreateSpec("lip_sync", ("",), webhook(body))


def _fields(job: FakeJob, status: int, now: float) -> dict[str, Any]:
    params = job.params
    return {
        "target_video": params.get("video_url", ""),
        "input_audio": params.get("audio_url", ""),
        "lipsync": True,
        "task_id": derived_hex(job.id, "task", 24),
    }


def _answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    return video_body(jobs[0], 1, now, base, _fields(jobs[0], 1, now), create=True)


AREA = FakeArea(
    creates={"/api/open/v3/content/video/lipsync": _lip_sync},
    answers={"lip_sync": _answer},
    video_fields={"lip_sync": _fields},
)
