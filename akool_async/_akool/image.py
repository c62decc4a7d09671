"""Image: pictures generated from a prompt (``image/createbyprompt``)."""

from __future__ import annotations

from attrs import field, frozen

from .._family import StatusEndpoint
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import non_empty_text, one_of, optional_http_url
from ._common import akool_family

__all__ = ["FAMILIES_PART", "Image", "ImageRequest"]


_SCALES = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3")


@frozen(slots=True, kw_only=True)
class ImageRequest:
    """Body of ``image/createbyprompt``."""

    prompt: str = field(validator=non_empty_text)
    scale: str | None = field(default=None, validator=one_of(*_SCALES))
    source_image: str | None = field(default=None, validator=optional_http_url)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


FAMILIES_PART = (
    akool_family(
        "image",
        "/api/open/v3/content/image/createbyprompt",
        ImageRequest,
        StatusEndpoint("/api/open/v3/content/image/infobymodelid", id_param="image_model_id"),
        status_field="image_status",
        result_field="image",
        webhook_type="image",
        typical_duration=20.0,
        result_suffix=".png",
    ),
)


class Image(Resource):
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
        return await self._create_one("image", req, max_wait)
