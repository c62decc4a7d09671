"""Product Avatar: put a product into an avatar's image, then animate it.

Two tasks under ``/v1/product_avatar/task/``: ``image_replace`` (its result's keys) feeds
``image2Video``.
"""

from __future__ import annotations

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

__all__ = ["FAMILIES_PART", "ProductAvatar", "ProductImageToVideoRequest", "ProductReplaceRequest"]


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
    with ``audio_file_id`` it speaks an uploaded track.
    """

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
