"""The fake's Product Avatar area: replace-image and image2Video (v1, v2) submits and results.

Image2Video v2's body is known only from public callers (TopView's pages are not in our docs):
``replaceProductTaskImageId``, ``mode``, ``scriptMode`` with ``ttsText``/``voiceId`` or
``audioFileId``, ``captionId``, ``aspectRatio``, ``videoLengthType``. Its answer is v1's
(``finishedVideoUrl``). The image id comes from a v2 replace task, which this fake does not
serve, so any non-empty id is taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._topview_state import TopViewJob
from ._common import AUDIO, IMAGES, TvParam, choice, file_of, known, mask, required, voice_speed

if TYPE_CHECKING:
    from ._server import FakeTopView

__all__ = ["RESULTS", "STATUS_KEYS", "VALIDATORS"]


def _replace(fake: FakeTopView, body: dict[str, Any]) -> int:
    files = fake.files
    required(body, "productImageFileId")
    file_of(files, body, "productImageFileId", IMAGES)
    file_of(files, body, "templateImageFileId", IMAGES)
    file_of(files, body, "userFaceImageFileId", IMAGES)
    if not (body.get("avatarId") or body.get("templateImageFileId") or body.get("templateId")):
        raise TvParam("4000", "avatarId and templateImageFileId must have one non empty value")
    mask(files, body, "productMaskFileId", "productImageFileId")
    mask(files, body, "templateMaskFileId", "templateImageFileId")
    return 1


#: Image2Video v1's body (``image2VideoPrompt`` with its capital V, as a typed caller spells it).
_V1_FIELDS = frozenset(
    {"productReplaceResultKey", "mode", "image2VideoPrompt", "ttsText", "voiceoverId"}
    | {"voiceSpeed", "audioFileId", "originVoiceFileId", "captionId", "noticeUrl"}
)


def _image2video(fake: FakeTopView, body: dict[str, Any]) -> int:
    known(body, _V1_FIELDS)
    key = required(body, "productReplaceResultKey")
    owner = fake.replace_keys.get(key) if isinstance(key, str) else None
    job = fake.jobs.get(owner) if owner is not None else None
    if job is None or job.status(fake.clock.now()) != 3:
        raise TvParam("4004", "productReplaceResultKey not found")
    choice(body, "mode", ("lite", "pro"), "lite")
    voice_speed(body)
    file_of(fake.files, body, "audioFileId", AUDIO)
    return 1


_V2_MODES = ("lite", "pro", "avatar2", "avatar4", "avatar4Fast")


def _text_field(body: dict[str, Any], name: str) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise TvParam("4001", f"{name} must be a string")


def _image2video_v2(fake: FakeTopView, body: dict[str, Any]) -> int:
    image = required(body, "replaceProductTaskImageId")
    if not isinstance(image, str):
        raise TvParam("4001", "replaceProductTaskImageId must be a string")
    choice(body, "mode", _V2_MODES, "lite")
    script = choice(body, "scriptMode", ("text", "audio"), None)
    if script == "text":
        text = required(body, "ttsText")
        if not isinstance(text, str):
            raise TvParam("4001", "ttsText must be a string")
    else:
        required(body, "audioFileId")
    file_of(fake.files, body, "audioFileId", AUDIO)
    for name in ("voiceId", "captionId"):
        _text_field(body, name)
    if body.get("aspectRatio") is not None:
        choice(body, "aspectRatio", ("9:16", "16:9", "1:1", "4:3", "3:4"), None)
    if body.get("videoLengthType") is not None:
        choice(body, "videoLengthType", (1, 2, 3), None)
    return 1


def _replace_result(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    results = [
        {"key": key, "faceExistence": True, "url": urls[i]}
        for i, key in enumerate(job.replace_keys)
    ]
    return {"productReplaceResult": results if done else None}


def finished_video(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    """The result fields of a task that makes one finished video (also Video Avatar's)."""
    return {
        "finishedVideoUrl": urls[0] if done else None,
        "coverUrl": f"{base}{job.id}-cover.jpg" if done else None,
        "videoDuration": 12000 if done else None,
    }


#: Family -> submit validator (returns how many results the task makes).
VALIDATORS = {
    "topview_product_replace": _replace,
    "topview_product_image2video": _image2video,
    "topview_product_image2video_v2": _image2video_v2,
}
#: Family -> the result fields of its query answer.
RESULTS = {
    "topview_product_replace": _replace_result,
    "topview_product_image2video": finished_video,
    "topview_product_image2video_v2": finished_video,
}
#: The replace-image query spells its status ``taskStatus`` (as seed 002 shows).
STATUS_KEYS = {"topview_product_replace": "taskStatus"}
