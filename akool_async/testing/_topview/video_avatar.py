"""The fake's Video Avatar area: its submit checks and its results.

The body public callers send: ``avatarSourceFrom`` 0-3 with ``videoFileId`` / ``aiAvatarId`` /
``imageFileId`` (3, a photo), ``audioSourceFrom`` with ``audioFileId`` or ``ttsText`` and
``voiceoverId``, ``modeType`` 0-2; a field none of them sends is refused. The query answers
the video at ``result.outputVideoUrl``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._topview_state import TopViewJob
from ._common import AUDIO, IMAGES, VIDEO, choice, file_of, known, required, voice_speed

if TYPE_CHECKING:
    from ._server import FakeTopView

__all__ = ["RESULTS", "VALIDATORS"]

_FIELDS = frozenset(
    {"avatarSourceFrom", "videoFileId", "aiAvatarId", "imageFileId", "audioSourceFrom"}
    | {"audioFileId", "ttsText", "voiceoverId", "voiceSpeed", "modeType", "captionId"}
    | {"isSave2CustomAiAvatar", "noticeUrl"}
)


def _video_avatar(fake: FakeTopView, body: dict[str, Any]) -> int:
    known(body, _FIELDS)
    src = choice(body, "avatarSourceFrom", (0, 1, 2, 3), None)
    audio = choice(body, "audioSourceFrom", (0, 1), None)
    if src == 0:
        required(body, "videoFileId")
    file_of(fake.files, body, "videoFileId", VIDEO)
    if src in (1, 2):
        required(body, "aiAvatarId")
    if src == 3:
        required(body, "imageFileId")
    file_of(fake.files, body, "imageFileId", IMAGES)
    if body.get("modeType") is not None:
        choice(body, "modeType", (0, 1, 2), None)
    if audio == 0:
        required(body, "audioFileId")
    else:
        required(body, "ttsText")
    file_of(fake.files, body, "audioFileId", AUDIO)
    voice_speed(body)
    return 1


def _output_video(job: TopViewJob, urls: list[str], base: str, done: bool) -> dict[str, Any]:
    """The query answer's result fields: the video at ``outputVideoUrl`` (as callers read it)."""
    return {"outputVideoUrl": urls[0] if done else None}


VALIDATORS = {"topview_video_avatar": _video_avatar}
RESULTS = {"topview_video_avatar": _output_video}
