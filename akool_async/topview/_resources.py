"""TopView task families as session resources: ``tv.product_avatar.replace(...)`` and friends.

Each method validates its arguments (raising ValidationError naming the field before anything is
sent), submits the task with one POST, and returns the tracked :class:`~akool_async.Job`.
File arguments take a fileId or the :class:`UploadedFile` that :meth:`TopViewSession.upload`
returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._job import Job
from .._sentinel import NOT_GIVEN, NotGiven
from ._families import TOPVIEW_FAMILIES
from ._models import (
    FileRef,
    ImageToVideoRequest,
    ProductImageToVideoRequest,
    ProductReplaceRequest,
    ProductReplaceResult,
    ReplacedImage,
    TextToImageRequest,
    TextToVideoRequest,
    VideoAvatarRequest,
)

if TYPE_CHECKING:
    from ._session import TopViewSession

__all__ = ["CommonTasks", "ProductAvatar", "VideoAvatar"]

MaxWait = float | None | NotGiven


class _Resource:
    def __init__(self, session: TopViewSession) -> None:
        self._session = session

    async def _submit(self, family: str, request: Any, max_wait: MaxWait) -> Job:
        jobs = await self._session._create(TOPVIEW_FAMILIES[family], request, max_wait=max_wait)
        return jobs[0]


def _replace_key(value: str | ReplacedImage | ProductReplaceResult) -> str:
    if isinstance(value, ProductReplaceResult):
        return value.first.key
    if isinstance(value, ReplacedImage):
        return value.key
    return value


class ProductAvatar(_Resource):
    """Product Avatar: put a product into an avatar's image, then animate it."""

    async def replace(
        self,
        *,
        product_image_file_id: FileRef,
        avatar_id: str | None = None,
        template_image_file_id: FileRef | None = None,
        template_id: str | None = None,
        user_face_image_file_id: FileRef | None = None,
        product_mask_file_id: FileRef | None = None,
        template_mask_file_id: FileRef | None = None,
        image_edit_prompt: str | None = None,
        product_size: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Replace Product Image. Its result (:class:`ProductReplaceResult`) feeds image2video.

        Args:
            product_image_file_id: the product photo.
            avatar_id: a public product avatar; or give ``template_image_file_id``/``template_id``.
            template_image_file_id: your own picture to put the product into.
            template_id: a template's id.
            user_face_image_file_id: a face to swap into the result.
            product_mask_file_id: mask of the product image (same size).
            template_mask_file_id: mask of the template image (same size).
            image_edit_prompt: how to place the product.
            product_size: ``"1"``-``"6"``.
            webhook_url: ``noticeUrl`` (registered first); defaults to the session's.
            max_wait: deadline for ``await job`` in seconds; None waits forever.
        """
        req = ProductReplaceRequest(
            product_image_file_id=product_image_file_id,
            avatar_id=avatar_id,
            template_image_file_id=template_image_file_id,
            template_id=template_id,
            user_face_image_file_id=user_face_image_file_id,
            product_mask_file_id=product_mask_file_id,
            template_mask_file_id=template_mask_file_id,
            image_edit_prompt=image_edit_prompt,
            product_size=product_size,
            webhook_url=webhook_url,
        )
        return await self._submit("topview_product_replace", req, max_wait)

    async def image2video(
        self,
        replaced: str | ReplacedImage | ProductReplaceResult,
        *,
        mode: str = "lite",
        image2video_prompt: str | None = None,
        tts_text: str | None = None,
        voiceover_id: str | None = None,
        voice_speed: float | None = None,
        audio_file_id: FileRef | None = None,
        origin_voice_file_id: FileRef | None = None,
        caption_id: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Image2Video of a replaced-product image.

        Args:
            replaced: ``productReplaceResult[].key``, or the :class:`ReplacedImage` /
                :class:`ProductReplaceResult` (its first image) a replace task gave.
            mode: ``"lite"`` or ``"pro"``.
            voice_speed: 0.8-1.2, with ``tts_text``.
        """
        req = ProductImageToVideoRequest(
            product_replace_result_key=_replace_key(replaced),
            mode=mode,
            image2video_prompt=image2video_prompt,
            tts_text=tts_text,
            voiceover_id=voiceover_id,
            voice_speed=voice_speed,
            audio_file_id=audio_file_id,
            origin_voice_file_id=origin_voice_file_id,
            caption_id=caption_id,
            webhook_url=webhook_url,
        )
        return await self._submit("topview_product_image2video", req, max_wait)


class VideoAvatar(_Resource):
    """Video Avatar: an avatar speaking a script or an audio track."""

    async def create(
        self,
        *,
        avatar_source_from: int,
        audio_source_from: int,
        video_file_id: FileRef | None = None,
        ai_avatar_id: str | None = None,
        audio_file_id: FileRef | None = None,
        tts_text: str | None = None,
        voiceover_id: str | None = None,
        voice_speed: float | None = None,
        mode: int | None = None,
        caption_id: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Submit a video-avatar task (see :class:`VideoAvatarRequest` for the rules)."""
        req = VideoAvatarRequest(
            avatar_source_from=avatar_source_from,
            audio_source_from=audio_source_from,
            video_file_id=video_file_id,
            ai_avatar_id=ai_avatar_id,
            audio_file_id=audio_file_id,
            tts_text=tts_text,
            voiceover_id=voiceover_id,
            voice_speed=voice_speed,
            mode=mode,
            caption_id=caption_id,
            webhook_url=webhook_url,
        )
        return await self._submit("topview_video_avatar", req, max_wait)


class CommonTasks(_Resource):
    """Common tasks: image to video, text to video, text to image."""

    async def image2video(
        self,
        *,
        image_file_id: FileRef,
        prompt: str | None = None,
        negative_prompt: str | None = None,
        duration: int = 5,
        mode: str = "lite",
        generating_count: int = 1,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Animate an image: ``generating_count`` (1-4) videos of 5 or 10 s."""
        req = ImageToVideoRequest(
            image_file_id=image_file_id,
            prompt=prompt,
            negative_prompt=negative_prompt,
            duration=duration,
            mode=mode,
            generating_count=generating_count,
            webhook_url=webhook_url,
        )
        return await self._submit("topview_image2video", req, max_wait)

    async def text2video(
        self,
        *,
        prompt: str,
        negative_prompt: str | None = None,
        duration: int = 5,
        mode: str = "lite",
        aspect_ratio: str | None = None,
        generating_count: int = 1,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Videos from a prompt."""
        req = TextToVideoRequest(
            prompt=prompt,
            negative_prompt=negative_prompt,
            duration=duration,
            mode=mode,
            aspect_ratio=aspect_ratio,
            generating_count=generating_count,
            webhook_url=webhook_url,
        )
        return await self._submit("topview_text2video", req, max_wait)

    async def text2image(
        self,
        *,
        prompt: str,
        negative_prompt: str | None = None,
        aspect_ratio: str | None = None,
        generating_count: int = 1,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Images from a prompt."""
        req = TextToImageRequest(
            prompt=prompt,
            negative_prompt=negative_prompt,
            aspect_ratio=aspect_ratio,
            generating_count=generating_count,
            webhook_url=webhook_url,
        )
        return await self._submit("topview_text2image", req, max_wait)
