"""The fake's Common Task area: image to video, text to video, text to image."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._topview_state import TopViewJob
from ._common import IMAGES, TvParam, choice, file_of, required

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


def _images(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    return {"images": [{"imageUrl": u} for u in urls] if done else []}


VALIDATORS = {
    "topview_image2video": _image2video,
    "topview_text2video": _text2video,
    "topview_text2image": _text2image,
}
RESULTS = {
    "topview_image2video": _origin_videos,
    "topview_text2video": _videos,
    "topview_text2image": _images,
}
