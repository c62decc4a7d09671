"""Job families as session resources: ``session.talking_photo.create(...)`` and friends.

Each method validates its arguments (raising ValidationError naming the field before anything is
sent), creates the job with one POST, and returns tracked :class:`Job` objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._families import FAMILIES, Family
from ._job import Job
from ._models import (
    FaceSwapRequest,
    FaceSwapV3Request,
    ImageRequest,
    ImageToVideoRequest,
    LipSyncRequest,
    SwapImage,
    TalkingAvatarRequest,
    TalkingPhotoRequest,
    TextToVideoRequest,
    TtsRequest,
    VideoTranslationRequest,
)
from ._sentinel import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    from ._session import Session

__all__ = [
    "FaceSwap",
    "Image",
    "ImageToVideo",
    "LipSync",
    "TalkingAvatar",
    "TalkingPhoto",
    "TextToVideo",
    "Tts",
    "VideoTranslation",
]

MaxWait = float | None | NotGiven


class _Resource:
    _family_name: str = ""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def family(self) -> Family:
        """This resource's entry in the family table."""
        return FAMILIES[self._family_name]

    async def _one(self, fam: Family, request: Any, max_wait: MaxWait) -> Job:
        jobs = await self._session._create(fam, request, max_wait=max_wait)
        return jobs[0]


def _images(field: str, value: Sequence[str | SwapImage]) -> tuple[SwapImage, ...]:
    from ._errors import ValidationError

    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValidationError(field, "must be a list of image URLs or SwapImage")
    out = []
    for i, v in enumerate(value):
        try:
            out.append(v if isinstance(v, SwapImage) else SwapImage(path=v))
        except ValidationError as exc:
            # Name the list and the item, not SwapImage's own ``path``.
            raise ValidationError(f"{field}[{i}].{exc.field}", exc.problem) from None
    return tuple(out)


class TalkingPhoto(_Resource):
    """A photo that speaks an audio track."""

    _family_name = "talking_photo"

    async def create(
        self,
        *,
        talking_photo_url: str,
        audio_url: str,
        prompt: str | None = None,
        resolution: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create a talking-photo video.

        Args:
            talking_photo_url: the photo (http(s) URL).
            audio_url: the speech (http(s) URL).
            prompt: optional motion prompt.
            resolution: ``"720"`` or ``"1080"``.
            webhook_url: where Akool posts status changes (defaults to the session's).
            max_wait: deadline for ``await job`` in seconds; None waits forever.
        """
        req = TalkingPhotoRequest(
            talking_photo_url=talking_photo_url,
            audio_url=audio_url,
            prompt=prompt,
            resolution=resolution,
            webhook_url=webhook_url,
        )
        return await self._one(self.family, req, max_wait)


class LipSync(_Resource):
    """Lip-sync a video to an audio track."""

    _family_name = "lip_sync"

    async def create(
        self,
        *,
        video_url: str,
        audio_url: str,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create a lip-sync video."""
        req = LipSyncRequest(video_url=video_url, audio_url=audio_url, webhook_url=webhook_url)
        return await self._one(self.family, req, max_wait)


class VideoTranslation(_Resource):
    """Translate a video into one or more languages (one job per language)."""

    _family_name = "video_translation"

    async def create(
        self,
        *,
        url: str,
        language: str | Sequence[str],
        source_language: str | None = None,
        lipsync: bool | None = None,
        speaker_num: int | None = None,
        remove_bgm: bool | None = None,
        caption_type: int | None = None,
        caption_url: str | None = None,
        studio_voice: bool | None = None,
        dynamic_duration: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> list[Job]:
        """Create a translation; returns one job per target language, in request order.

        Args:
            language: ``"ja"``, ``"ja,fr"`` or ``["ja", "fr"]``.
            caption_type: 0-4.
            speaker_num: 0-10 (0 = detect).
        """
        req = VideoTranslationRequest(
            url=url,
            language=language,
            source_language=source_language,
            lipsync=lipsync,
            speaker_num=speaker_num,
            remove_bgm=remove_bgm,
            caption_type=caption_type,
            caption_url=caption_url,
            studio_voice=studio_voice,
            dynamic_duration=dynamic_duration,
            webhook_url=webhook_url,
        )
        return await self._session._create(self.family, req, max_wait=max_wait)


class TalkingAvatar(_Resource):
    """An avatar that speaks text (type 1) or an audio file (type 2)."""

    _family_name = "talking_avatar"

    async def create(
        self,
        *,
        avatar_id: str,
        input_text: str | None = None,
        voice_id: str | None = None,
        audio_url: str | None = None,
        width: int | None = None,
        height: int | None = None,
        background_url: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create a talking-avatar video: give ``input_text`` + ``voice_id``, or ``audio_url``."""
        req = TalkingAvatarRequest(
            avatar_id=avatar_id,
            type=2 if audio_url is not None and input_text is None else 1,
            input_text=input_text,
            voice_id=voice_id,
            url=audio_url,
            width=width,
            height=height,
            background_url=background_url,
            webhook_url=webhook_url,
        )
        return await self._one(self.family, req, max_wait)


class FaceSwap(_Resource):
    """Face swap: v3 into an image or a video, or v4 image to image."""

    _family_name = "faceswap_image"

    async def image(
        self,
        *,
        source_image: Sequence[str | SwapImage],
        target_image: Sequence[str | SwapImage],
        modify_image: str,
        face_enhance: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """v3 ``specifyimage``: swap ``source_image`` faces onto ``target_image`` faces found in
        ``modify_image``."""
        req = FaceSwapV3Request(
            source_image=_images("source_image", source_image),
            target_image=_images("target_image", target_image),
            modify_url=modify_image,
            face_enhance=face_enhance,
            webhook_url=webhook_url,
        )
        return await self._one(FAMILIES["faceswap_image"], req, max_wait)

    async def video(
        self,
        *,
        source_image: Sequence[str | SwapImage],
        target_image: Sequence[str | SwapImage],
        modify_video: str,
        face_enhance: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """v3 ``specifyvideo``: swap faces in ``modify_video``."""
        req = FaceSwapV3Request(
            source_image=_images("source_image", source_image),
            target_image=_images("target_image", target_image),
            modify_url=modify_video,
            face_enhance=face_enhance,
            webhook_url=webhook_url,
        )
        return await self._one(FAMILIES["faceswap_video"], req, max_wait)

    async def v4(
        self,
        *,
        source_image: Sequence[str | SwapImage],
        target_image: Sequence[str | SwapImage],
        face_enhance: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """v4 ``faceswapByImage`` (single face, no landmarks needed)."""
        req = FaceSwapRequest(
            source_image=_images("source_image", source_image),
            target_image=_images("target_image", target_image),
            face_enhance=face_enhance,
            webhook_url=webhook_url,
        )
        return await self._one(FAMILIES["faceswap_v4"], req, max_wait)


class Image(_Resource):
    """Image generation from a prompt."""

    _family_name = "image"

    async def create(
        self,
        *,
        prompt: str,
        scale: str | None = None,
        source_image: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create an image; ``scale`` is one of 1:1, 4:3, 3:4, 16:9, 9:16, 3:2, 2:3."""
        req = ImageRequest(
            prompt=prompt, scale=scale, source_image=source_image, webhook_url=webhook_url
        )
        return await self._one(self.family, req, max_wait)


class ImageToVideo(_Resource):
    """Animate an image with a prompt."""

    _family_name = "image2video"

    async def create(
        self,
        *,
        image_url: str,
        prompt: str,
        negative_prompt: str | None = None,
        resolution: str | None = None,
        video_length: int | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create an image-to-video job; ``resolution`` 720p/1080p, ``video_length`` 5 or 10."""
        req = ImageToVideoRequest(
            image_url=image_url,
            prompt=prompt,
            negative_prompt=negative_prompt,
            resolution=resolution,
            video_length=video_length,
            webhook_url=webhook_url,
        )
        return await self._one(self.family, req, max_wait)


class TextToVideo(_Resource):
    """Videos from a text prompt (``count`` videos, one job each)."""

    _family_name = "text2video"

    async def create(
        self,
        *,
        prompt: str,
        resolution: str | None = None,
        video_length: int | None = None,
        count: int | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> list[Job]:
        """Create text-to-video jobs; returns one job per video."""
        req = TextToVideoRequest(
            prompt=prompt,
            resolution=resolution,
            video_length=video_length,
            count=count,
            webhook_url=webhook_url,
        )
        return await self._session._create(self.family, req, max_wait=max_wait)


class Tts(_Resource):
    """Text to speech (v3 audio)."""

    _family_name = "tts"

    async def create(
        self,
        *,
        input_text: str,
        voice_code: str,
        speed: float | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create speech from text; ``speed`` 0.5-2.0."""
        req = TtsRequest(
            input_text=input_text, voice_code=voice_code, speed=speed, webhook_url=webhook_url
        )
        return await self._one(self.family, req, max_wait)
