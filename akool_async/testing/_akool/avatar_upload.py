"""The fake's avatar-upload area: ``v3/avatar/create``, polled at ``v3/avatar/detail?id=``
(``talking-avatar.mdx``, ``avatar.mdx``; ``openapi/live-avatar.yaml`` for streaming avatars).

Both answers hold the avatar record in a one-element list under ``data``; ``status`` runs
1 queueing, 2 processing, 3 ready, 4 failed (the pages document no failure reason field). A
ready avatar's ``url`` is its preview link, served here as the job's file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._http import ParamError
from .._jobs import FakeJob
from ._common import (
    CreateSpec,
    FakeArea,
    derived_hex,
    opt_choice,
    opt_str,
    req_str,
    req_url,
    result_url,
    single_info,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "CREATE_PATH", "DETAIL_PATH"]

CREATE_PATH: Final = "/api/open/v3/avatar/create"
DETAIL_PATH: Final = "/api/open/v3/avatar/detail"
_AVATAR_ID: Final = re.compile(r"[A-Za-z0-9]+")
_UID: Final = 100010
_THUMBNAILS: Final = "https://drz0f01yeq1cx.cloudfront.net/avatar/thumbnail"


def _create(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "url")
    if not _AVATAR_ID.fullmatch(req_str(body, "avatar_id")):
        raise ParamError("avatar_id can only contain letters and digits")
    if body.get("type") is None:
        raise ParamError("type is required")
    kind = opt_choice(body, "type", (1, 2))
    name = opt_str(body, "name")
    url_from = opt_choice(body, "url_from", (1, 2))
    if kind == 2 and not name:  # the streaming avatar spec requires both
        raise ParamError("name is required")
    if kind == 2 and url_from is None:
        raise ParamError("url_from is required")
    return CreateSpec("avatar_upload", ("",), None)


def _record(job: FakeJob, status: int, base: str) -> dict[str, Any]:
    params = job.params
    return {
        "_id": job.id,
        "uid": _UID,
        "type": params.get("type"),
        "from": 3,
        "status": status,
        "name": params.get("name") or derived_hex(job.id, "name", 8),
        "avatar_id": params.get("avatar_id", ""),
        "url": result_url(job, status, base) if status == 3 else params.get("url", ""),
    }


def _created(jobs: list[FakeJob], now: float, base: str) -> list[dict[str, Any]]:
    job = jobs[0]
    out = _record(job, 1, base)
    out.update(
        {
            "disabled": False,
            "sort": 1,
            "create_time": job.create_time_ms,
            "modify_url": out["url"],
            "gender": "",
            "thumbnailUrl": f"{_THUMBNAILS}/{derived_hex(job.id, 'thumb', 16)}.png",
            "crop_arr": [],
        }
    )
    return [out]


def _detail(job: FakeJob, status: int, now: float, base: str) -> list[dict[str, Any]]:
    return [_record(job, status, base)]


async def _info(fake: FakeAkool, request: web.Request) -> web.Response:
    return await single_info(fake, request, "id", frozenset({"avatar_upload"}), _detail)


AREA = FakeArea(
    creates={CREATE_PATH: _create},
    answers={"avatar_upload": _created},
    routes=(("GET", DETAIL_PATH, _info),),
)
