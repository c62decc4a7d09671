"""The fake Akool API, one module per API area (its mirror of ``akool_async._akool``).

Each area declares a :class:`FakeArea` (create validators, create answers, the status endpoints
it owns); the tables below join them. Adding a family touches its area's module here (and the
fake job table in ``_jobs.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._jobs import VIDEO_FAMILIES, FakeJob
from . import (
    avatar_upload,
    character_swap,
    face_swap,
    head_swap,
    image,
    lip_sync,
    lists,
    moderation,
    talking_avatar,
    talking_photo,
    video,
    video_translation,
    voice,
    voice_lab,
)
from ._common import (
    VIDEO_INFO_PATH,
    AreaHandler,
    CreateAnswer,
    CreateSpec,
    FakeArea,
    StatusBody,
    Validator,
    VideoFields,
    single_info,
    video_body,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREAS", "CREATE_ANSWERS", "CREATE_ENDPOINTS", "STATUS_ROUTES", "CreateSpec"]

AREAS: Final[tuple[FakeArea, ...]] = (
    talking_photo.AREA,
    lip_sync.AREA,
    video_translation.AREA,
    talking_avatar.AREA,
    avatar_upload.AREA,
    face_swap.AREA,
    character_swap.AREA,
    head_swap.AREA,
    image.AREA,
    video.AREA,
    voice.AREA,
    voice_lab.AREA,
    lists.AREA,
    moderation.AREA,
)

#: Path -> validator of every create endpoint.
CREATE_ENDPOINTS: Final[Mapping[str, Validator]] = {
    path: check for area in AREAS for path, check in area.creates.items()
}
#: Family -> the ``data`` its create answers with.
CREATE_ANSWERS: Final[Mapping[str, CreateAnswer]] = {
    name: answer for area in AREAS for name, answer in area.answers.items()
}
_VIDEO_FIELDS: Final[Mapping[str, VideoFields]] = {
    name: fields for area in AREAS for name, fields in area.video_fields.items()
}

_VIDEO_BODIES: Final[Mapping[str, StatusBody]] = {
    name: body for area in AREAS for name, body in area.video_bodies.items()
}


def _video_status(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    whole = _VIDEO_BODIES.get(job.family)
    if whole is not None:
        return whole(job, status, now, base)
    own = _VIDEO_FIELDS[job.family](job, status, now)
    return video_body(job, status, now, base, own, create=False)


async def _video_info(fake: FakeAkool, request: web.Request) -> web.Response:
    return await single_info(fake, request, "video_model_id", VIDEO_FAMILIES, _video_status)


#: Every status endpoint: (method, path, handler); the video one serves four areas.
STATUS_ROUTES: Final[tuple[tuple[str, str, AreaHandler], ...]] = (
    ("GET", VIDEO_INFO_PATH, _video_info),
    *(route for area in AREAS for route in area.routes),
)
