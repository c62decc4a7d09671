"""Image: pictures generated from a prompt (``image/createbyprompt``), and the 4K upscale or
variation of one of them (``image/createbybutton``); both polled at ``image/infobymodelid``
(``image-generate.mdx``).
"""

from __future__ import annotations

from typing import Any

from attrs import Attribute, field, frozen

from .._errors import ValidationError
from .._family import Family, StatusEndpoint
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import fail, non_empty_text, one_of, optional_http_url
from ._common import akool_family

__all__ = ["FAMILIES_PART", "Image", "ImageButtonRequest", "ImageRequest"]


_SCALES = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3")
#: U1-U4 upscale the n-th picture of a generated grid to 4K; V1-V4 make a variation of it.
IMAGE_BUTTONS = tuple(f"{kind}{n}" for kind in "UV" for n in range(1, 5))
IMAGE_STATUS = StatusEndpoint("/api/open/v3/content/image/infobymodelid", id_param="image_model_id")


@frozen(slots=True, kw_only=True)
class ImageRequest:
    """Body of ``image/createbyprompt``."""

    prompt: str = field(validator=non_empty_text)
    scale: str | None = field(default=None, validator=one_of(*_SCALES))
    source_image: str | None = field(default=None, validator=optional_http_url)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


def _button(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or value not in IMAGE_BUTTONS:
        fail(attribute, f"must be one of {', '.join(IMAGE_BUTTONS)}; got {value!r}")


@frozen(slots=True, kw_only=True)
class ImageButtonRequest:
    """Body of ``image/createbybutton``: ``image_id`` (sent as ``_id``) is a generated image's
    job id, ``button`` one of U1-U4 (4K upscale) or V1-V4 (variation)."""

    image_id: str = field(validator=non_empty_text)
    button: str = field(validator=_button)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


def _image_family(
    name: str, path: str, request_type: type[Any], duration: float, **renames: str
) -> Family:
    return akool_family(
        name,
        path,
        request_type,
        IMAGE_STATUS,
        status_field="image_status",
        result_field="image",
        webhook_type="image",
        renames=renames,
        typical_duration=duration,
        result_suffix=".png",
    )


FAMILIES_PART = (
    _image_family("image", "/api/open/v3/content/image/createbyprompt", ImageRequest, 20.0),
    _image_family(
        "image_button",
        "/api/open/v3/content/image/createbybutton",
        ImageButtonRequest,
        30.0,
        image_id="_id",
    ),
)


def _index(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        raise ValidationError("index", f"must be 1, 2, 3 or 4; got {value!r}")
    return value


class Image(Resource):
    """Image generation from a prompt, and upscales or variations of the pictures made."""

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
        return await self._create_one("image", req, max_wait)

    async def button(
        self,
        *,
        image_id: str,
        button: str,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Press ``button`` (U1-U4: 4K upscale, V1-V4: variation) on the image job
        ``image_id``; the new picture is a job of its own."""
        req = ImageButtonRequest(image_id=image_id, button=button, webhook_url=webhook_url)
        return await self._create_one("image_button", req, max_wait)

    async def upscale(
        self,
        *,
        image_id: str,
        index: int,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """A 4K image of picture ``index`` (1-4) of the image job ``image_id`` (button U<n>)."""
        return await self._press("U", image_id, index, webhook_url, max_wait)

    async def variation(
        self,
        *,
        image_id: str,
        index: int,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """A variation of picture ``index`` (1-4) of the image job ``image_id`` (button V<n>)."""
        return await self._press("V", image_id, index, webhook_url, max_wait)

    async def _press(
        self, kind: str, image_id: str, index: int, webhook_url: str | None, max_wait: MaxWait
    ) -> Job:
        button = f"{kind}{_index(index)}"
        return await self.button(
            image_id=image_id, button=button, webhook_url=webhook_url, max_wait=max_wait
        )
