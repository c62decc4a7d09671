"""Video: image to video and text to video (the v4 ``image2Video``/``text2Video`` endpoints).

Both are polled in batches at ``image2Video/resultsByIds`` and spell the webhook ``webhookurl``.
"""

from __future__ import annotations

from typing import Any, Literal

from attrs import field, frozen

from .._family import Family
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    http_url,
    int_range,
    non_empty_text,
    one_of,
    optional_http_url,
    optional_text,
)
from ._common import I2V_STATUS, akool_family

__all__ = [
    "FAMILIES_PART",
    "ImageToVideo",
    "ImageToVideoRequest",
    "TextToVideo",
    "TextToVideoRequest",
]


@frozen(slots=True, kw_only=True)
class ImageToVideoRequest:
    """Body of ``image2Video/createBySourcePrompt``."""

    image_url: str = field(validator=http_url)
    prompt: str = field(validator=non_empty_text)
    negative_prompt: str | None = field(default=None, validator=optional_text)
    resolution: str | None = field(default=None, validator=one_of("720p", "1080p"))
    video_length: int | None = field(default=None, validator=one_of(5, 10))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class TextToVideoRequest:
    """Body of ``text2Video/createByPrompt/batch``; ``count`` videos, one job each."""

    prompt: str = field(validator=non_empty_text)
    resolution: str | None = field(default=None, validator=one_of("720p", "1080p"))
    video_length: int | None = field(default=None, validator=one_of(5, 10))
    count: int | None = field(default=None, validator=int_range(1, 4))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


def _v4_video(
    name: str, path: str, request_type: type[Any], created_ids: Literal["single", "list"]
) -> Family:
    return akool_family(
        name,
        path,
        request_type,
        I2V_STATUS,
        status_field="status",
        result_field="video_url",
        webhook_key="webhookurl",
        webhook_type=name,
        created_ids=created_ids,
        typical_duration=120.0,
    )


FAMILIES_PART = (
    _v4_video(
        "image2video",
        "/api/open/v4/image2Video/createBySourcePrompt",
        ImageToVideoRequest,
        "single",
    ),
    _v4_video(
        "text2video", "/api/open/v4/text2Video/createByPrompt/batch", TextToVideoRequest, "list"
    ),
)


class ImageToVideo(Resource):
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
        return await self._create_one("image2video", req, max_wait)


class TextToVideo(Resource):
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
        return await self._create_all("text2video", req, max_wait)
