"""The fake's Video Avatar area: its submit checks and its results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._common import AUDIO, VIDEO, choice, file_of, required, voice_speed
from .product_avatar import finished_video

if TYPE_CHECKING:
    from ._server import FakeTopView

__all__ = ["RESULTS", "VALIDATORS"]


def _video_avatar(fake: FakeTopView, body: dict[str, Any]) -> int:
    src = choice(body, "avatarSourceFrom", (0, 1, 2, 3), None)
    audio = choice(body, "audioSourceFrom", (0, 1), None)
    if src == 0:
        required(body, "videoFileId")
    file_of(fake.files, body, "videoFileId", VIDEO)
    if src in (1, 2):
        required(body, "aiAvatarId")
    if audio == 0:
        required(body, "audioFileId")
    else:
        required(body, "ttsText")
    file_of(fake.files, body, "audioFileId", AUDIO)
    voice_speed(body)
    return 1


VALIDATORS = {"topview_video_avatar": _video_avatar}
RESULTS = {"topview_video_avatar": finished_video}
