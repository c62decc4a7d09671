"""Common tasks: image to video (v1 and v2), text to video, text to image.

Paths and bodies follow TopView's own published client (``topviewai/skill``: ``video_gen.py``,
``ai_image.py``) and the public callers that agree with it:

* text to video: ``/v1/common_task/text2video/task/submit|query``; ``model`` (a display name such
  as ``"Standard"``), ``prompt``, ``aspectRatio``, ``resolution`` (an int), ``duration`` (s),
  ``sound`` ``on``/``off``, ``generatingCount`` 1-4, ``boardId``; the answer lists ``videos[]``
  (``status``, ``filePath``, ``errorMsg``) with ``costCredit``.
* text to image: ``/v1/common_task/text2image/task/submit|query``; ``model``, ``prompt``,
  ``aspectRatio`` (required), ``resolution`` (``"512p"``, ``"1K"``, ``"2K"``, ``"4K"``),
  ``generateCount`` 1-4 (spelt so, unlike the video tasks), ``boardId``; the answer lists
  ``images[]`` (``status``, ``filePath``, ``errorMsg``, ``width``, ``height``).
* image to video v2: ``/v2/common_task/image2video/task/submit|query``, the same shape as text to
  video with a first (and end) frame or reference images.
* image to video v1 (``/v1/common_task/image2video/submit|result``) is kept for jobs and manifests
  made with it but deprecated: TopView's client only submits v2, whose ``"Topview Lite"`` ...
  ``"Topview Best"`` models are v1's modes.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from attrs import Attribute, field, frozen

from .._errors import ValidationError
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    fail,
    int_range,
    non_empty_text,
    one_of,
    optional_http_url,
    optional_text,
)
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
    "T2I_RESOLUTIONS",
    "V2_RESOLUTIONS",
    "CommonTasks",
    "ImageToVideoRequest",
    "ImageToVideoV2Request",
    "TextToImageRequest",
    "TextToVideoRequest",
]


_MODES: Final = ("lite", "pro", "plus", "best")
#: Image to video v2's aspect ratios (the union over the models of TopView's client).
_RATIOS: Final = ("16:9", "9:16", "1:1", "4:3", "3:4")
#: Text to video's aspect ratios (the same union; its "Standard"/"Fast" models add 21:9).
_T2V_RATIOS: Final = (*_RATIOS, "21:9")
#: Output heights of the v2 video tasks (which ones a model takes depends on the model).
V2_RESOLUTIONS: Final = (480, 540, 720, 768, 1080, 2160)
#: Text to image's resolutions (strings; some models take none, some require one).
T2I_RESOLUTIONS: Final = ("512p", "1K", "2K", "4K")
_IMAGE_RATIO: Final = re.compile(r"\d{1,2}(\.\d)?:\d{1,2}(\.\d)?")


def _image_ratio(_inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: ``"auto"`` or ``"W:H"`` (text to image's models take many ratios, 8:1 to 1:8)."""
    if not isinstance(value, str):
        fail(attribute, f'must be a ratio such as "1:1" or "auto", got {type(value).__name__}')
    assert isinstance(value, str)
    if value != "auto" and _IMAGE_RATIO.fullmatch(value) is None:
        fail(attribute, f'must be a ratio such as "16:9" or "auto"; got {value!r}')


@frozen(slots=True, kw_only=True)
class ImageToVideoRequest:
    """Common Task - image2Video v1 (deprecated): 1-4 videos of ``duration`` 5 or 10 s.

    Prefer :class:`ImageToVideoV2Request` with ``model="Topview Lite"`` (``"Topview Pro"``,
    ``"Topview Plus"``, ``"Topview Best"``): TopView's own client submits only v2.
    """

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
    """Common Task - text2Video: ``generating_count`` (1-4) videos of ``prompt``.

    ``model`` is a display name (``"Standard"``, ``"Kling V3"``, ``"Veo 3.1"`` ...); which
    ``aspect_ratio``, ``resolution``, ``duration`` and ``sound`` it takes is the model's own.
    """

    prompt: str = field(validator=non_empty_text)
    model: str = field(validator=non_empty_text)
    aspect_ratio: str | None = field(default=None, validator=one_of(*_T2V_RATIOS))
    resolution: int | None = field(default=None, validator=one_of(*V2_RESOLUTIONS))
    duration: int | None = field(default=None, validator=int_range(1, 16))
    sound: str | None = field(default=None, validator=one_of("on", "off"))
    generating_count: int = field(default=1, validator=int_range(1, 4))
    board_id: str | None = field(default=None, validator=optional_text)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class TextToImageRequest:
    """Common Task - text2Image: ``generating_count`` (1-4) images of ``prompt``.

    ``model`` is a display name (``"Nano Banana 2"``, ``"Seedream 4.0"``, ``"GPT Image 2"`` ...);
    ``aspect_ratio`` is required (``"auto"`` where the model allows); ``resolution`` is required
    by some models and refused by others. TopView spells the count ``generateCount`` here.
    """

    WIRE_NAMES: ClassVar[Mapping[str, str]] = {"generating_count": "generateCount"}

    prompt: str = field(validator=non_empty_text)
    model: str = field(validator=non_empty_text)
    aspect_ratio: str = field(validator=_image_ratio)
    resolution: str | None = field(default=None, validator=one_of(*T2I_RESOLUTIONS))
    generating_count: int = field(default=1, validator=int_range(1, 4))
    board_id: str | None = field(default=None, validator=optional_text)
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
        "/v1/common_task/text2video/task",
        TextToVideoRequest,
        "COMMON_TASK_TEXT2VIDEO",
        "query",
        duration=120.0,
        suffix=".mp4",
    ),
    topview_family(
        "topview_text2image",
        "/v1/common_task/text2image/task",
        TextToImageRequest,
        "COMMON_TASK_TEXT2IMAGE",
        "query",
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
        """Animate an image with v1 (deprecated: use :meth:`image2video_v2`).

        v1's ``mode`` ``"lite"`` ... ``"best"`` is v2's ``model="Topview Lite"`` ...
        ``"Topview Best"``; TopView's own client no longer submits v1.
        """
        warnings.warn(
            "TopView image to video v1 is deprecated: use common.image2video_v2("
            f'first_frame_file_id=..., model="Topview {mode.title()}")',
            DeprecationWarning,
            stacklevel=2,
        )
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
            board_id: the TopView board the results are filed on.
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
        model: str,
        prompt: str,
        aspect_ratio: str | None = None,
        resolution: int | None = None,
        duration: int | None = None,
        sound: str | None = None,
        generating_count: int = 1,
        board_id: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Text to video: 1-4 videos of ``prompt``.

        Args:
            model: the model's display name (``"Standard"``, ``"Kling V3"`` ...).
            aspect_ratio: ``"9:16"``, ``"3:4"``, ``"1:1"``, ``"4:3"``, ``"16:9"`` or ``"21:9"``.
            resolution: 480, 540, 720, 768, 1080 or 2160 (as the model allows).
            duration: seconds, 1-16 (as the model allows).
            sound: ``"on"`` or ``"off"`` (native audio, for models that have it).
            generating_count: 1-4 videos; the typed result lists each one.
        """
        req = TextToVideoRequest(
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
        return await self._create_one("topview_text2video", req, max_wait)

    async def text2image(
        self,
        *,
        model: str,
        prompt: str,
        aspect_ratio: str,
        resolution: str | None = None,
        generating_count: int = 1,
        board_id: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Text to image: 1-4 images of ``prompt``.

        Args:
            model: the model's display name (``"Nano Banana 2"``, ``"Seedream 4.0"`` ...).
            aspect_ratio: ``"1:1"``, ``"16:9"`` ... or ``"auto"``, as the model allows.
            resolution: ``"512p"``, ``"1K"``, ``"2K"`` or ``"4K"``, for models that take one.
            generating_count: 1-4 images (sent as ``generateCount``).
        """
        req = TextToImageRequest(
            model=model,
            prompt=prompt,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            generating_count=generating_count,
            board_id=board_id,
            webhook_url=webhook_url,
        )
        return await self._create_one("topview_text2image", req, max_wait)
