"""Product Avatar: put a product into an avatar's image, then animate it.

Two tasks under ``/v1/product_avatar/task/``: ``image_replace`` (its result's keys) feeds
``image2Video``. Image2Video v2 (``/v2/product_avatar/task/image2Video/``) animates a v2
replace task's image (``replaceProductTaskImageId``) in one of five modes, speaking a text
(``scriptMode`` ``"text"``: ``ttsText``, ``voiceId``) or an uploaded track (``"audio"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from attrs import field, frozen

from .._errors import ValidationError
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import non_empty_text, one_of, optional_http_url, optional_text
from ._common import topview_family
from ._models import (
    AUDIO,
    VOICE_SPEED,
    FileRef,
    ProductReplaceResult,
    ReplacedImage,
    check_mask,
    file_ref,
    image_file,
    kind_file,
    optional_file_ref,
)

__all__ = [
    "FAMILIES_PART",
    "ProductAvatar",
    "ProductImageToVideoRequest",
    "ProductImageToVideoV2Request",
    "ProductReplaceRequest",
]

_V2_MODES = ("lite", "pro", "avatar2", "avatar4", "avatar4Fast")
_RATIOS = ("9:16", "16:9", "1:1", "4:3", "3:4")


@frozen(slots=True, kw_only=True)
class ProductReplaceRequest:
    """Product Avatar - Replace Product Image: put a product into an avatar's (or template) image.

    Either ``avatar_id`` (a public product avatar), ``template_image_file_id`` or ``template_id``
    names the picture the product goes into. Masks are optional and must have their image's size.
    """

    product_image_file_id: FileRef = field(validator=file_ref)
    avatar_id: str | None = field(default=None, validator=optional_text)
    template_image_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    template_id: str | None = field(default=None, validator=optional_text)
    user_face_image_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    product_mask_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    template_mask_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    image_edit_prompt: str | None = field(default=None, validator=optional_text)
    product_size: str | None = field(default=None, validator=one_of("1", "2", "3", "4", "5", "6"))
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        if self.avatar_id is None and self.template_image_file_id is None and not self.template_id:
            raise ValidationError(
                "avatar_id", "give avatar_id, template_image_file_id or template_id"
            )
        for name in (
            "product_image_file_id",
            "template_image_file_id",
            "user_face_image_file_id",
            "product_mask_file_id",
            "template_mask_file_id",
        ):
            image_file(name, getattr(self, name))
        check_mask(
            "product_mask_file_id",
            self.product_mask_file_id,
            "product_image_file_id",
            self.product_image_file_id,
        )
        check_mask(
            "template_mask_file_id",
            self.template_mask_file_id,
            "template_image_file_id",
            self.template_image_file_id,
        )


@frozen(slots=True, kw_only=True)
class ProductImageToVideoRequest:
    """Product Avatar - Image2Video: animate a replaced-product image.

    ``product_replace_result_key`` is ``productReplaceResult[].key`` of a finished replace task
    (:attr:`ReplacedImage.key`). With ``tts_text`` the avatar speaks it (``voice_speed`` 0.8-1.2);
    with ``audio_file_id`` it speaks an uploaded track. ``image2video_prompt`` is sent as
    ``image2VideoPrompt`` (the endpoint's own capital V).
    """

    WIRE_NAMES: ClassVar[Mapping[str, str]] = {"image2video_prompt": "image2VideoPrompt"}

    product_replace_result_key: str = field(validator=non_empty_text)
    mode: str = field(default="lite", validator=one_of("lite", "pro"))
    image2video_prompt: str | None = field(default=None, validator=optional_text)
    tts_text: str | None = field(default=None, validator=optional_text)
    voiceover_id: str | None = field(default=None, validator=optional_text)
    voice_speed: float | None = field(default=None, validator=VOICE_SPEED)
    audio_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    origin_voice_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    caption_id: str | None = field(default=None, validator=optional_text)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        if self.tts_text is not None and self.audio_file_id is not None:
            raise ValidationError("audio_file_id", "give tts_text or audio_file_id, not both")
        if self.voice_speed is not None and self.tts_text is None:
            raise ValidationError("voice_speed", "only applies to speech from tts_text")
        kind_file("audio_file_id", self.audio_file_id, AUDIO, "an audio file")
        kind_file("origin_voice_file_id", self.origin_voice_file_id, AUDIO, "an audio file")


@frozen(slots=True, kw_only=True)
class ProductImageToVideoV2Request:
    """Product Avatar - Image2Video v2: animate a v2 replace task's image.

    ``script_mode`` ``"text"`` speaks ``tts_text`` (in ``voice_id``); ``"audio"`` speaks the
    uploaded ``audio_file_id``. Left out, it is ``"audio"`` when an audio file is given, else
    ``"text"``. ``video_length_type`` 1, 2 or 3 picks a short, medium or long video.
    """

    replace_product_task_image_id: str = field(validator=non_empty_text)
    mode: str = field(default="lite", validator=one_of(*_V2_MODES))
    script_mode: str | None = field(default=None, validator=one_of("text", "audio"))
    tts_text: str | None = field(default=None, validator=optional_text)
    voice_id: str | None = field(default=None, validator=optional_text)
    audio_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    caption_id: str | None = field(default=None, validator=optional_text)
    aspect_ratio: str | None = field(default=None, validator=one_of(*_RATIOS))
    video_length_type: int | None = field(default=None, validator=one_of(1, 2, 3))
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        script = self.script_mode
        if script is None:
            script = "audio" if self.audio_file_id is not None else "text"
            object.__setattr__(self, "script_mode", script)
        if script == "text":
            if self.tts_text is None:
                raise ValidationError("tts_text", 'is required when script_mode is "text"')
            if self.audio_file_id is not None:
                raise ValidationError("audio_file_id", 'only applies when script_mode is "audio"')
        else:
            if self.audio_file_id is None:
                raise ValidationError("audio_file_id", 'is required when script_mode is "audio"')
            for name in ("tts_text", "voice_id"):
                if getattr(self, name) is not None:
                    raise ValidationError(name, 'only applies when script_mode is "text"')
        kind_file("audio_file_id", self.audio_file_id, AUDIO, "an audio file")


FAMILIES_PART = (
    topview_family(
        "topview_product_replace",
        "/v1/product_avatar/task/image_replace",
        ProductReplaceRequest,
        "PRODUCT_AVATAR_REPLACE_PRODUCT_IMAGE",
        "result",
        duration=60.0,
        suffix=".jpg",
    ),
    topview_family(
        "topview_product_image2video",
        "/v1/product_avatar/task/image2Video",
        ProductImageToVideoRequest,
        "PRODUCT_AVATAR_IMAGE2VIDEO",
        "result",
        duration=180.0,
        suffix=".mp4",
    ),
    topview_family(
        "topview_product_image2video_v2",
        "/v2/product_avatar/task/image2Video",
        ProductImageToVideoV2Request,
        "PRODUCT_AVATAR_IMAGE2VIDEO",
        "query",
        duration=180.0,
        suffix=".mp4",
    ),
)


def _replace_key(value: str | ReplacedImage | ProductReplaceResult) -> str:
    if isinstance(value, ProductReplaceResult):
        return value.first.key
    if isinstance(value, ReplacedImage):
        return value.key
    return value


class ProductAvatar(Resource):
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
        return await self._create_one("topview_product_replace", req, max_wait)

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
        return await self._create_one("topview_product_image2video", req, max_wait)

    async def image2video_v2(
        self,
        replace_product_task_image_id: str,
        *,
        mode: str = "lite",
        script_mode: str | None = None,
        tts_text: str | None = None,
        voice_id: str | None = None,
        audio_file_id: FileRef | None = None,
        caption_id: str | None = None,
        aspect_ratio: str | None = None,
        video_length_type: int | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Image2Video v2 of a v2 replace task's image.

        Args:
            replace_product_task_image_id: the image id a v2 replace task gave.
            mode: ``"lite"``, ``"pro"``, ``"avatar2"``, ``"avatar4"`` or ``"avatar4Fast"``.
            script_mode: ``"text"`` (``tts_text``, ``voice_id``) or ``"audio"``
                (``audio_file_id``); inferred from which is given when left out.
            caption_id: a caption style.
            aspect_ratio: ``"9:16"``, ``"16:9"``, ``"1:1"``, ``"4:3"`` or ``"3:4"``.
            video_length_type: 1, 2 or 3 (short, medium, long).
        """
        req = ProductImageToVideoV2Request(
            replace_product_task_image_id=replace_product_task_image_id,
            mode=mode,
            script_mode=script_mode,
            tts_text=tts_text,
            voice_id=voice_id,
            audio_file_id=audio_file_id,
            caption_id=caption_id,
            aspect_ratio=aspect_ratio,
            video_length_type=video_length_type,
            webhook_url=webhook_url,
        )
        return await self._create_one("topview_product_image2video_v2", req, max_wait)
