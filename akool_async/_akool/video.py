"""Video: image to video (one or a batch), its update-audio, and text to video (the v4
``image2Video``/``text2Video`` endpoints, ``image2video.mdx`` and ``text2video.mdx``).

Every family here is polled in batches at ``image2Video/resultsByIds`` and spells the webhook
``webhookurl``. The batch creates answer ``data.successList`` (one job each) and
``data.errorList`` (refused videos, reported on :class:`CreatedJobs`).
"""

from __future__ import annotations

from typing import Any, Literal

from attrs import field, frozen

from .._family import Family
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    bounded_text,
    fail,
    http_url,
    int_range,
    non_empty_text,
    one_of,
    optional_bool,
    optional_http_url,
    optional_text,
)
from ._common import I2V_STATUS, akool_family
from ._created import CreatedJobs, RefusedJob, created_jobs

__all__ = [
    "FAMILIES_PART",
    "ImageToVideo",
    "ImageToVideoBatchRequest",
    "ImageToVideoRequest",
    "TextToVideo",
    "TextToVideoRequest",
    "UpdateVideoAudioRequest",
]

_RESOLUTIONS = ("720p", "1080p", "4k")
#: Resolution and length of the batch creates come from the chosen model's lists (``aimodel.mdx``).
_model_resolution = optional_text
_model_length = int_range(1, 120)


def _audio_url_for_custom(inst: Any, attribute: Any, value: object) -> None:
    optional_http_url(inst, attribute, value)
    if inst.audio_type == 2 and value is None:
        fail(attribute, "is required when audio_type is 2 (custom audio)")


#: The longest ``webhookurl`` text to video takes (``text2video.mdx``).
T2V_WEBHOOK_MAX = 2048


def _t2v_webhook(inst: Any, attribute: Any, value: object) -> None:
    optional_http_url(inst, attribute, value)
    if isinstance(value, str) and len(value) > T2V_WEBHOOK_MAX:
        fail(attribute, f"must be at most {T2V_WEBHOOK_MAX} characters, got {len(value)}")


def _required(check: Any) -> Any:
    def required(inst: object, attribute: Any, value: object) -> None:
        if value is None:
            fail(attribute, "is required")
        check(inst, attribute, value)

    return required


@frozen(slots=True, kw_only=True)
class ImageToVideoRequest:
    """Body of ``image2Video/createBySourcePrompt``; ``audio_type`` 1 AI, 2 custom, 3 none."""

    image_url: str = field(validator=http_url)
    prompt: str = field(validator=non_empty_text)
    negative_prompt: str = field(validator=bounded_text(5000, blank=True))
    resolution: str = field(validator=_required(one_of(*_RESOLUTIONS)))
    audio_type: int = field(validator=_required(one_of(1, 2, 3)))
    video_length: int = field(validator=_required(one_of(5, 10)))
    extend_prompt: bool | None = field(default=None, validator=optional_bool)
    audio_url: str | None = field(default=None, validator=_audio_url_for_custom)
    is_premium_model: bool | None = field(default=None, validator=optional_bool)
    effect_code: str | None = field(default=None, validator=optional_text)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class ImageToVideoBatchRequest:
    """Body of ``image2Video/createBySourcePrompt/batch``; ``count`` videos, one job each."""

    image_url: str = field(validator=http_url)
    prompt: str = field(validator=non_empty_text)
    resolution: str = field(validator=_required(_model_resolution))
    video_length: int = field(validator=_required(_model_length))
    model_name: str | None = field(default=None, validator=optional_text)
    negative_prompt: str | None = field(default=None, validator=optional_text)
    extend_prompt: bool | None = field(default=None, validator=optional_bool)
    last_image_url: str | None = field(default=None, validator=optional_http_url)
    count: int | None = field(default=None, validator=int_range(1, 10))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class UpdateVideoAudioRequest:
    """Body of ``image2Video/updateVideoAudio``: new audio for an image-to-video result."""

    pre_video_id: str = field(validator=non_empty_text)
    audio_url: str = field(validator=http_url)
    audio_type: int = field(validator=_required(one_of(1, 2)))


@frozen(slots=True, kw_only=True)
class TextToVideoRequest:
    """Body of ``text2Video/createByPrompt/batch``; ``count`` videos, one job each."""

    prompt: str = field(validator=bounded_text(5000))
    model_name: str | None = field(default=None, validator=optional_text)
    negative_prompt: str | None = field(default=None, validator=bounded_text(1000, optional=True))
    extend_prompt: bool | None = field(default=None, validator=optional_bool)
    resolution: str | None = field(default=None, validator=_model_resolution)
    video_length: int | None = field(default=None, validator=_model_length)
    count: int | None = field(default=None, validator=int_range(1, 10))
    webhook_url: str | None = field(default=None, validator=_t2v_webhook)


def _v4_video(
    name: str,
    path: str,
    request_type: type[Any],
    created_ids: Literal["single", "success_list"] = "single",
    webhook_type: str = "",
    webhook_key: str = "webhookurl",
) -> Family:
    return akool_family(
        name,
        path,
        request_type,
        I2V_STATUS,
        status_field="status",
        result_field="video_url",
        webhook_key=webhook_key,
        webhook_type=webhook_type or name,
        created_ids=created_ids,
        typical_duration=120.0,
    )


FAMILIES_PART = (
    _v4_video("image2video", "/api/open/v4/image2Video/createBySourcePrompt", ImageToVideoRequest),
    _v4_video(
        "image2video_audio",
        "/api/open/v4/image2Video/updateVideoAudio",
        UpdateVideoAudioRequest,
        webhook_type="image2video",
        webhook_key="",  # the page documents no webhook for this endpoint
    ),
    _v4_video(
        "image2video_batch",
        "/api/open/v4/image2Video/createBySourcePrompt/batch",
        ImageToVideoBatchRequest,
        "success_list",
        webhook_type="image2video",
    ),
    _v4_video(
        "text2video",
        "/api/open/v4/text2Video/createByPrompt/batch",
        TextToVideoRequest,
        "success_list",
    ),
)


class ImageToVideo(Resource):
    """Animate an image with a prompt (one video, a batch, or new audio for a result)."""

    _family_name = "image2video"

    async def create(
        self,
        *,
        image_url: str,
        prompt: str,
        negative_prompt: str,
        resolution: str,
        audio_type: int,
        video_length: int,
        extend_prompt: bool | None = None,
        audio_url: str | None = None,
        is_premium_model: bool | None = None,
        effect_code: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create an image-to-video job.

        Args:
            image_url: the image to animate.
            prompt: how to animate it (ignored when ``effect_code`` is given).
            negative_prompt: what to avoid (may be ``""``).
            resolution: ``"720p"``, ``"1080p"`` or ``"4k"``.
            audio_type: 1 AI-generated audio, 2 your ``audio_url``, 3 no audio.
            video_length: 5 or 10 seconds.
            extend_prompt: let Akool extend the prompt.
            audio_url: the audio, required with ``audio_type=2``.
            is_premium_model: the faster premium model (pro plans).
            effect_code: an effect from the effects list.
            webhook_url: where Akool posts status changes (defaults to the session's).
            max_wait: deadline for ``await job`` in seconds; None waits forever.
        """
        req = ImageToVideoRequest(
            image_url=image_url,
            prompt=prompt,
            negative_prompt=negative_prompt,
            resolution=resolution,
            audio_type=audio_type,
            video_length=video_length,
            extend_prompt=extend_prompt,
            audio_url=audio_url,
            is_premium_model=is_premium_model,
            effect_code=effect_code,
            webhook_url=webhook_url,
        )
        return await self._create_one("image2video", req, max_wait)

    async def create_batch(
        self,
        *,
        image_url: str,
        prompt: str,
        resolution: str,
        video_length: int,
        model_name: str | None = None,
        negative_prompt: str | None = None,
        extend_prompt: bool | None = None,
        last_image_url: str | None = None,
        count: int | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> CreatedJobs[RefusedJob]:
        """Create ``count`` (1-10) videos of one image; one job per created video.

        ``resolution`` and ``video_length`` are among the chosen model's (AI model list);
        videos Akool refused are in the result's ``failed`` (the others were created).
        """
        req = ImageToVideoBatchRequest(
            image_url=image_url,
            prompt=prompt,
            resolution=resolution,
            video_length=video_length,
            model_name=model_name,
            negative_prompt=negative_prompt,
            extend_prompt=extend_prompt,
            last_image_url=last_image_url,
            count=count,
            webhook_url=webhook_url,
        )
        return created_jobs(await self._create_all("image2video_batch", req, max_wait))

    async def update_audio(
        self, *, pre_video_id: str, audio_url: str, audio_type: int, max_wait: MaxWait = NOT_GIVEN
    ) -> Job:
        """Give an image-to-video result new audio (``audio_type`` 1 AI, 2 ``audio_url``)."""
        req = UpdateVideoAudioRequest(
            pre_video_id=pre_video_id, audio_url=audio_url, audio_type=audio_type
        )
        return await self._create_one("image2video_audio", req, max_wait)


class TextToVideo(Resource):
    """Videos from a text prompt (``count`` videos, one job each)."""

    _family_name = "text2video"

    async def create(
        self,
        *,
        prompt: str,
        model_name: str | None = None,
        negative_prompt: str | None = None,
        extend_prompt: bool | None = None,
        resolution: str | None = None,
        video_length: int | None = None,
        count: int | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> CreatedJobs[RefusedJob]:
        """Create text-to-video jobs; one job per created video.

        Args:
            prompt: the video to make (at most 5000 characters).
            model_name: a model from the AI model list (Akool's default otherwise).
            negative_prompt: what to avoid (at most 1000 characters).
            extend_prompt: let Akool extend the prompt.
            resolution: one of the model's resolutions (``"720p"``, ``"1080p"``, ``"4k"``...).
            video_length: one of the model's durations, in seconds.
            count: how many videos (1-10, default 1).
            webhook_url: where Akool posts status changes (defaults to the session's).
            max_wait: deadline for ``await job`` in seconds; None waits forever.

        Returns:
            the created jobs; videos Akool refused are in its ``failed`` (code and message).
        """
        req = TextToVideoRequest(
            prompt=prompt,
            model_name=model_name,
            negative_prompt=negative_prompt,
            extend_prompt=extend_prompt,
            resolution=resolution,
            video_length=video_length,
            count=count,
            webhook_url=webhook_url,
        )
        return created_jobs(await self._create_all("text2video", req, max_wait))
