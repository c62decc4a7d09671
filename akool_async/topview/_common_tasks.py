"""Common tasks: image to video (v1 and v2), text to video, text to image (``/v1/common_task/``).

Image to video v2 (``/v2/common_task/image2video/task/``) takes a model's display name, a first
(and optional end) frame or reference images, resolution, duration, native sound and 1-4 videos;
each video is reported apart in the answer's ``videos[]`` (``filePath``, ``status``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from attrs import field, frozen

from .._errors import ValidationError
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import int_range, non_empty_text, one_of, optional_http_url, optional_text
from ._common import topview_family
from ._models import (
    FileRef,
    as_tuple,
    file_ref,
    image_file,
    optional_file_ref,
    optional_file_refs,
)

__all__ = [
    "FAMILIES_PART",
    "CommonTasks",
    "ImageToVideoRequest",
    "ImageToVideoV2Request",
    "TextToImageRequest",
    "TextToVideoRequest",
]


_MODES: Final = ("lite", "pro", "plus", "best")
_RATIOS: Final = ("16:9", "9:16", "1:1", "4:3", "3:4")
#: Image to video v2's output heights (which ones a model takes depends on the model).
V2_RESOLUTIONS: Final = (480, 540, 720, 768, 1080, 2160)


@frozen(slots=True, kw_only=True)
class ImageToVideoRequest:
    """Common Task - image2Video: ``generating_count`` (1-4) videos of ``duration`` 5 or 10 s."""

    image_file_id: FileRef = field(validator=file_ref)
    prompt: str | None = field(default=None, validator=optional_text)
    negative_prompt: str | None = field(default=None, validator=optional_text)
    duration: int = field(default=5, validator=one_of(5, 10))
    mode: str = field(default="lite", validator=one_of(*_MODES))
    generating_count: int = field(default=1, validator=int_range(1, 4))
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        image_file("image_file_id", self.image_file_id)


@frozen(slots=True, kw_only=True)
class ImageToVideoV2Request:
    """Image to video v2: ``generating_count`` (1-4) videos from a first (and end) frame.

    Give ``first_frame_file_id`` (with ``end_frame_file_id`` for a transition), or
    ``reference_image_file_ids`` (two or more) for a reference-image model. ``model`` is the
    model's display name (``"Standard"``, ``"Kling V3"`` ...; TopView's default if omitted);
    which ``resolution``, ``duration``, ``aspect_ratio`` and ``sound`` a model takes is its own.
    """

    first_frame_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    end_frame_file_id: FileRef | None = field(default=None, validator=optional_file_ref)
    reference_image_file_ids: tuple[FileRef, ...] | None = field(
        default=None, converter=as_tuple, validator=optional_file_refs(2)
    )
    model: str | None = field(default=None, validator=optional_text)
    prompt: str | None = field(default=None, validator=optional_text)
    aspect_ratio: str | None = field(default=None, validator=one_of(*_RATIOS))
    resolution: int | None = field(default=None, validator=one_of(*V2_RESOLUTIONS))
    duration: int | None = field(default=None, validator=int_range(1, 16))
    sound: str | None = field(default=None, validator=one_of("on", "off"))
    generating_count: int = field(default=1, validator=int_range(1, 4))
    board_id: str | None = field(default=None, validator=optional_text)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        if self.first_frame_file_id is None and self.reference_image_file_ids is None:
            raise ValidationError(
                "first_frame_file_id", "give first_frame_file_id or reference_image_file_ids"
            )
        image_file("first_frame_file_id", self.first_frame_file_id)
        image_file("end_frame_file_id", self.end_frame_file_id)


@frozen(slots=True, kw_only=True)
class TextToVideoRequest:
    """Common Task - text2Video: ``generating_count`` (1-4) videos from a prompt."""

    prompt: str = field(validator=non_empty_text)
    negative_prompt: str | None = field(default=None, validator=optional_text)
    duration: int = field(default=5, validator=one_of(5, 10))
    mode: str = field(default="lite", validator=one_of(*_MODES))
    aspect_ratio: str | None = field(default=None, validator=one_of(*_RATIOS))
    generating_count: int = field(default=1, validator=int_range(1, 4))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class TextToImageRequest:
    """Common Task - text2Image: ``generating_count`` (1-4) images from a prompt."""

    prompt: str = field(validator=non_empty_text)
    negative_prompt: str | None = field(default=None, validator=optional_text)
    aspect_ratio: str | None = field(default=None, validator=one_of(*_RATIOS))
    generating_count: int = field(default=1, validator=int_range(1, 4))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


FAMILIES_PART = (
    topview_family(
        "topview_image2video",
        "/v1/common_task/image2video",
        ImageToVideoRequest,
        "COMMON_TASK_IMAGE2VIDEO",
        "result",
        duration=120.0,
        suffix=".mp4",
    ),
    topview_family(
        "topview_image2video_v2",
        "/v2/common_task/image2video/task",
        ImageToVideoV2Request,
        "COMMON_TASK_IMAGE2VIDEO",
        "query",
        duration=120.0,
        suffix=".mp4",
    ),
    topview_family(
        "topview_text2video",
        "/v1/common_task/text2video",
        TextToVideoRequest,
        "COMMON_TASK_TEXT2VIDEO",
        "result",
        duration=120.0,
        suffix=".mp4",
    ),
    topview_family(
        "topview_text2image",
        "/v1/common_task/text2image",
        TextToImageRequest,
        "COMMON_TASK_TEXT2IMAGE",
        "result",
        duration=30.0,
        suffix=".png",
    ),
)


class CommonTasks(Resource):
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
        return await self._create_one("topview_image2video", req, max_wait)

    async def image2video_v2(
        self,
        *,
        first_frame_file_id: FileRef | None = None,
        end_frame_file_id: FileRef | None = None,
        reference_image_file_ids: Sequence[FileRef] | None = None,
        model: str | None = None,
        prompt: str | None = None,
        aspect_ratio: str | None = None,
        resolution: int | None = None,
        duration: int | None = None,
        sound: str | None = None,
        generating_count: int = 1,
        board_id: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Image to video v2: 1-4 videos from a first/end frame or reference images.

        Args:
            first_frame_file_id: the opening frame (an image upload or its fileId).
            end_frame_file_id: the closing frame, for a transition.
            reference_image_file_ids: two or more reference images instead of frames.
            model: the model's display name; TopView's default if omitted.
            resolution: 480, 540, 720, 768, 1080 or 2160 (as the model allows).
            duration: seconds, 1-16 (as the model allows).
            sound: ``"on"`` or ``"off"`` (native audio, for models that have it).
            generating_count: 1-4 videos; the typed result lists each one.
        """
        req = ImageToVideoV2Request(
            first_frame_file_id=first_frame_file_id,
            end_frame_file_id=end_frame_file_id,
            reference_image_file_ids=(
                None if reference_image_file_ids is None else tuple(reference_image_file_ids)
            ),
            model=model,
            prompt=prompt,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            duration=duration,
            sound=sound,
            generating_count=generating_count,
            board_id=board_id,
            webhook_url=webhook_url,
        )
        return await self._create_one("topview_image2video_v2", req, max_wait)

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
        return await self._create_one("topview_text2video", req, max_wait)

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
        return await self._create_one("topview_text2image", req, max_wait)
