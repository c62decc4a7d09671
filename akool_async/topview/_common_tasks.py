"""Common tasks: image to video, text to video, text to image (``/v1/common_task/``)."""

from __future__ import annotations

from typing import Final

from attrs import field, frozen

from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import int_range, non_empty_text, one_of, optional_http_url, optional_text
from ._common import topview_family
from ._models import FileRef, file_ref, image_file

__all__ = [
    "FAMILIES_PART",
    "CommonTasks",
    "ImageToVideoRequest",
    "TextToImageRequest",
    "TextToVideoRequest",
]


_MODES: Final = ("lite", "pro", "plus", "best")
_RATIOS: Final = ("16:9", "9:16", "1:1", "4:3", "3:4")


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
