"""The fake's lip-sync area: ``lipsync``."""

from __future__ import annotations

from typing import Any

from .._jobs import FakeJob
from ._common import CreateSpec, derived_hex, req_url, video_area, webhook

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


AREA = video_area("/api/open/v3/content/video/lipsync", _lip_sync, "lip_sync", _fields)
