"""Video Avatar: an avatar speaking a script or an audio track (``/v1/video_avatar/task``).

Public callers agree on the body: ``avatarSourceFrom`` 0-3 with ``videoFileId`` (0),
``aiAvatarId`` (1, 2) or ``imageFileId`` (3, a photo), ``audioSourceFrom`` 0 (``audioFileId``)
or 1 (``ttsText``, ``voiceoverId``), ``modeType`` (0 avatar1, 1 avatar2, 2 avatar4) and
``noticeUrl``; the task is queried at ``.../query``, whose answer holds the video at
``result.outputVideoUrl``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from attrs import field, frozen

from .._errors import ValidationError
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import one_of, optional_http_url, optional_text
from ._common import topview_family
from ._models import AUDIO, VIDEO, VOICE_SPEED, FileRef, image_file, kind_file, optional_file_ref

__all__ = ["FAMILIES_PART", "VideoAvatar", "VideoAvatarRequest"]


@frozen(slots=True, kw_only=True)
class VideoAvatarRequest:
    """Video Avatar: an avatar (your video, or a public/custom AI avatar) speaking a script.

    ``avatar_source_from``: 0 your uploaded video (``video_file_id``), 1 a public AI avatar
    (``ai_avatar_id``), 2 a custom AI avatar (``ai_avatar_id``), 3 your photo
    (``image_file_id``).
    ``audio_source_from``: 0 an uploaded audio (``audio_file_id``), 1 text to speech
    (``tts_text``; ``voiceover_id`` unless a public avatar's default voice will do;
    ``voice_speed`` 0.8-1.2). ``mode`` (sent as ``modeType``): 0 avatar1, 1 avatar2, 2 avatar4.
    """

    WIRE_NAMES: ClassVar[Mapping[str, str]] = {"mode": "modeType"}

    avatar_source_from: int = field(validator=one_of(0, 1, 2, 3))
    audio_source_from: int = field(validator=one_of(0, 1))
    video_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    ai_avatar_id: str | None = field(default=None, validator=optional_text)
    image_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    audio_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    tts_text: str | None = field(default=None, validator=optional_text)
    voiceover_id: str | None = field(default=None, validator=optional_text)
    voice_speed: float | None = field(default=None, validator=VOICE_SPEED)
    mode: int | None = field(default=None, validator=one_of(0, 1, 2))
    caption_id: str | None = field(default=None, validator=optional_text)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        src = self.avatar_source_from
        if src == 0 and self.video_file_id is None:
            raise ValidationError("video_file_id", "is required when avatar_source_from is 0")
        if src in (1, 2) and self.ai_avatar_id is None:
            raise ValidationError("ai_avatar_id", f"is required when avatar_source_from is {src}")
        if src == 3 and self.image_file_id is None:
            raise ValidationError("image_file_id", "is required when avatar_source_from is 3")
        if self.audio_source_from == 0:
            if self.audio_file_id is None:
                raise ValidationError("audio_file_id", "is required when audio_source_from is 0")
            if self.voice_speed is not None:
                raise ValidationError("voice_speed", "only applies to text to speech")
        else:
            if self.tts_text is None:
                raise ValidationError("tts_text", "is required when audio_source_from is 1")
            if self.voiceover_id is None and src != 1:
                raise ValidationError(
                    "voiceover_id", "is required for text to speech unless the avatar is public"
                )
        kind_file("video_file_id", self.video_file_id, VIDEO, "a video file")
        image_file("image_file_id", self.image_file_id)
        kind_file("audio_file_id", self.audio_file_id, AUDIO, "an audio file")


FAMILIES_PART = (
    topview_family(
        "topview_video_avatar",
        "/v1/video_avatar/task",
        VideoAvatarRequest,
        "ZERO_SHOT_AVATAR",
        "query",
        duration=180.0,
        suffix=".mp4",
    ),
)


class VideoAvatar(Resource):
    """Video Avatar: an avatar speaking a script or an audio track."""

    async def create(
        self,
        *,
        avatar_source_from: int,
        audio_source_from: int,
        video_file_id: FileRef | None = None,
        ai_avatar_id: str | None = None,
        image_file_id: FileRef | None = None,
        audio_file_id: FileRef | None = None,
        tts_text: str | None = None,
        voiceover_id: str | None = None,
        voice_speed: float | None = None,
        mode: int | None = None,
        caption_id: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Submit a video-avatar task (see :class:`VideoAvatarRequest` for the rules).

        Args:
            image_file_id: the photo, with ``avatar_source_from=3``.
            mode: sent as ``modeType``: 0 avatar1, 1 avatar2, 2 avatar4.
        """
        req = VideoAvatarRequest(
            avatar_source_from=avatar_source_from,
            audio_source_from=audio_source_from,
            video_file_id=video_file_id,
            ai_avatar_id=ai_avatar_id,
            image_file_id=image_file_id,
            audio_file_id=audio_file_id,
            tts_text=tts_text,
            voiceover_id=voiceover_id,
            voice_speed=voice_speed,
            mode=mode,
            caption_id=caption_id,
            webhook_url=webhook_url,
        )
        return await self._create_one("topview_video_avatar", req, max_wait)
