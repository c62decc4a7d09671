"""The fake's Common Task area: image to video (v1, v2), text to video, text to image.

Image to video v2 and text to video follow TopView's own published client (``topviewai/skill``):
``model`` (required for text to video), ``prompt``, a first frame (``firstFrameFileId``, optional
``endFrameFileId``) or ``referenceImageFileIds`` for v2, ``aspectRatio``, ``resolution`` (an int),
``duration``, ``sound`` ``on``/``off``, ``generatingCount`` 1-4, ``boardId``; the answer lists
each video in ``videos[]`` with its own ``status``, ``filePath`` and ``errorMsg``. Text to image
takes ``model``, ``prompt`` and ``aspectRatio`` (all required), ``resolution`` (``"1K"`` ...),
``generateCount`` 1-4 and ``boardId``; its answer lists ``images[]`` the same way. Those three
refuse a field TopView's client does not send (``4000`` naming it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._topview_state import TopViewJob
from ._common import IMAGES, TvParam, choice, file_of, known, required

_V2_RESOLUTIONS = (480, 540, 720, 768, 1080, 2160)
_T2V_RATIOS = ("9:16", "3:4", "1:1", "4:3", "16:9", "21:9")
_T2I_RESOLUTIONS = ("512p", "1K", "2K", "4K")
_VIDEO_FIELDS = frozenset(
    {"model", "prompt", "aspectRatio", "resolution", "duration", "sound", "generatingCount"}
    | {"boardId", "noticeUrl"}
)
_V2_FIELDS = _VIDEO_FIELDS | {"firstFrameFileId", "endFrameFileId", "referenceImageFileIds"}
_T2I_FIELDS = frozenset(
    {"model", "prompt", "aspectRatio", "resolution", "generateCount", "boardId", "noticeUrl"}
)

if TYPE_CHECKING:
    from ._server import FakeTopView

__all__ = ["RESULTS", "VALIDATORS"]


def _image2video(fake: FakeTopView, body: dict[str, Any]) -> int:
    count = choice(body, "generatingCount", (1, 2, 3, 4), 1)
    required(body, "imageFileId")
    file_of(fake.files, body, "imageFileId", IMAGES)
    choice(body, "duration", (5, 10), 5)
    choice(body, "mode", ("lite", "pro", "plus", "best"), "lite")
    return int(count)


def _strings(body: dict[str, Any], *names: str) -> None:
    for name in names:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise TvParam("4001", f"{name} must be a string")


def _video_options(body: dict[str, Any]) -> int:
    """What the v2 video tasks share: model, prompt, resolution, duration, sound, count."""
    count = choice(body, "generatingCount", (1, 2, 3, 4), 1)
    _strings(body, "model", "prompt", "boardId")
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


def _image2video_v2(fake: FakeTopView, body: dict[str, Any]) -> int:
    known(body, _V2_FIELDS)
    choice(body, "generatingCount", (1, 2, 3, 4), 1)
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
    return _video_options(body)


def _text2video(fake: FakeTopView, body: dict[str, Any]) -> int:
    known(body, _VIDEO_FIELDS)
    required(body, "model")
    required(body, "prompt")
    if body.get("aspectRatio") is not None:
        choice(body, "aspectRatio", _T2V_RATIOS, None)
    return _video_options(body)


def _text2image(fake: FakeTopView, body: dict[str, Any]) -> int:
    known(body, _T2I_FIELDS)
    for name in ("model", "prompt", "aspectRatio"):
        required(body, name)
    _strings(body, "model", "prompt", "aspectRatio", "boardId")
    if body.get("resolution") is not None:
        choice(body, "resolution", _T2I_RESOLUTIONS, None)
    return int(choice(body, "generateCount", (1, 2, 3, 4), 1))


#: Credits one generated video costs (the answer's ``costCredit``).
_CREDITS_PER_VIDEO = 10


def _origin_videos(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    # API.md (TopView, fixed): image to video nests each URL at videos[].originVideo.filePath.
    videos = [{"originVideo": {"filePath": u}} for u in urls] if done else []
    return {"videos": videos, "costCredit": _CREDITS_PER_VIDEO * len(urls) if done else None}


def _listed(
    job: TopViewJob, urls: list[str], key: str, extra: dict[str, Any], credits: int
) -> dict[str, Any]:
    """``{key: [...], "costCredit"}`` with each item's own status; the last ``failed_items``
    of them failed while the task succeeded (TopView's client checks both levels)."""
    ok = len(urls) - min(job.failed_items, len(urls))
    items = [
        {"status": "success", "filePath": url, "errorMsg": None, **extra}
        if i < ok
        else {"status": "fail", "filePath": None, "errorMsg": job.error_msg}
        for i, url in enumerate(urls)
    ]
    return {key: items, "costCredit": credits * ok}


def _file_path_videos(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    # The v2 video tasks (image to video v2, text to video) report each video apart.
    if not done:
        return {"videos": [], "costCredit": None}
    return _listed(job, urls, "videos", {"width": 720, "height": 1280}, _CREDITS_PER_VIDEO)


#: Credits one generated image costs.
_CREDITS_PER_IMAGE = 1


def _images(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    if not done:
        return {"images": [], "costCredit": None}
    return _listed(job, urls, "images", {"width": 1024, "height": 1024}, _CREDITS_PER_IMAGE)


VALIDATORS = {
    "topview_image2video": _image2video,
    "topview_image2video_v2": _image2video_v2,
    "topview_text2video": _text2video,
    "topview_text2image": _text2image,
}
RESULTS = {
    "topview_image2video": _origin_videos,
    "topview_image2video_v2": _file_path_videos,
    "topview_text2video": _file_path_videos,
    "topview_text2image": _images,
}
