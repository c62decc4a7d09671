"""The fake's talking-avatar area: ``talkingavatar/create``."""

from __future__ import annotations

from typing import Any

from .._http import ParamError
from .._jobs import FakeJob
from ._common import CreateSpec, opt_int, opt_url, req_str, req_url, video_area, webhook

__all__ = ["AREA"]


def _talking_avatar(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "avatar_id")
    kind = body.get("type")
    if kind is None:
        raise ParamError("type is required")
    if isinstance(kind, bool) or kind not in (1, 2):
        raise ParamError("type must be 1 (text) or 2 (audio)")
    if kind == 1:
        req_str(body, "input_text")
        req_str(body, "voice_id")
    else:
        req_url(body, "url")
    opt_int(body, "width", 1, 7680)
    opt_int(body, "height", 1, 7680)
    opt_url(body, "background_url")
    return CreateSpec("talking_avatar", ("",), webhook(body))


def _fields(job: FakeJob, status: int, now: float) -> dict[str, Any]:
    return {"avatar_id": job.params.get("avatar_id", "")}


AREA = video_area("/api/open/v3/talkingavatar/create", _talking_avatar, "talking_avatar", _fields)
