"""The fake's Common Task area: image to video (v1, v2), text to video, text to image.

Image to video v2 follows TopView's own published client (``topviewai/skill``): a first frame
(``firstFrameFileId``, optional ``endFrameFileId``) or ``referenceImageFileIds``, ``model``,
``resolution``, ``duration``, ``sound`` ``on``/``off``, ``generatingCount`` 1-4; its answer lists
each video in ``videos[]`` with its own ``status``, ``filePath`` and ``errorMsg``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._topview_state import TopViewJob
from ._common import IMAGES, TvParam, choice, file_of, required

_V2_RESOLUTIONS = (480, 540, 720, 768, 1080, 2160)

if TYPE_CHECKING:
    from ._server import FakeTopView

__all__ = ["RESULTS", "VALIDATORS"]


def _common(fake: FakeTopView, body: dict[str, Any], family: str) -> int:
    count = choice(body, "generatingCount", (1, 2, 3, 4), 1)
    if family == "topview_image2video":
        required(body, "imageFileId")
        file_of(fake.files, body, "imageFileId", IMAGES)
    else:
        prompt = required(body, "prompt")
        if not isinstance(prompt, str):
            raise TvParam("4001", "prompt must be a string")
    if family != "topview_text2image":
        choice(body, "duration", (5, 10), 5)
        choice(body, "mode", ("lite", "pro", "plus", "best"), "lite")
    return int(count)


def _image2video(fake: FakeTopView, body: dict[str, Any]) -> int:
    return _common(fake, body, "topview_image2video")


def _image2video_v2(fake: FakeTopView, body: dict[str, Any]) -> int:
    count = choice(body, "generatingCount", (1, 2, 3, 4), 1)
    refs = body.get("referenceImageFileIds")
    if refs is None:
        required(body, "firstFrameFileId")
    elif not isinstance(refs, list) or len(refs) < 2:
        raise TvParam("4000", "referenceImageFileIds must list at least 2 fileIds")
    else:
        for i, ref in enumerate(refs):
            name = f"referenceImageFileIds[{i}]"
            if ref is None or ref == "":
                raise TvParam("4003", f"{name} cannot be null")
            file_of(fake.files, {name: ref}, name, IMAGES)
    file_of(fake.files, body, "firstFrameFileId", IMAGES)
    file_of(fake.files, body, "endFrameFileId", IMAGES)
    for name in ("model", "prompt", "boardId"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise TvParam("4001", f"{name} must be a string")
    if body.get("resolution") is not None:
        choice(body, "resolution", _V2_RESOLUTIONS, None)
    if body.get("sound") is not None:
        choice(body, "sound", ("on", "off"), None)
    duration = body.get("duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 16
    ):
        raise TvParam("4000", "duration must be an integer number of seconds (1-16)")
    return int(count)


def _text2video(fake: FakeTopView, body: dict[str, Any]) -> int:
    return _common(fake, body, "topview_text2video")


def _text2image(fake: FakeTopView, body: dict[str, Any]) -> int:
    return _common(fake, body, "topview_text2image")


def _videos(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    videos = [{"videoUrl": u, "coverUrl": f"{u}.jpg", "videoDuration": 5000} for u in urls]
    return {"videos": videos if done else []}


#: Credits one generated video costs (the answer's ``costCredit``).
_CREDITS_PER_VIDEO = 10


def _origin_videos(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    # API.md (TopView, fixed): image to video nests each URL at videos[].originVideo.filePath.
    videos = [{"originVideo": {"filePath": u}} for u in urls] if done else []
    return {"videos": videos, "costCredit": _CREDITS_PER_VIDEO * len(urls) if done else None}


def _file_path_videos(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    # Image to video v2 reports each video apart; the last ``failed_items`` of them failed.
    if not done:
        return {"videos": [], "costCredit": None}
    ok = len(urls) - min(job.failed_items, len(urls))
    videos = [
        {"status": "success", "filePath": url, "errorMsg": None}
        if i < ok
        else {"status": "fail", "filePath": None, "errorMsg": job.error_msg}
        for i, url in enumerate(urls)
    ]
    return {"videos": videos, "costCredit": _CREDITS_PER_VIDEO * ok}


def _images(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    return {"images": [{"imageUrl": u} for u in urls] if done else []}


VALIDATORS = {
    "topview_image2video": _image2video,
    "topview_image2video_v2": _image2video_v2,
    "topview_text2video": _text2video,
    "topview_text2image": _text2image,
}
RESULTS = {
    "topview_image2video": _origin_videos,
    "topview_image2video_v2": _file_path_videos,
    "topview_text2video": _videos,
    "topview_text2image": _images,
}
