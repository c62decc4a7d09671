"""Talking photo: a photo that speaks an audio track (``createbytalkingphoto``)."""

from __future__ import annotations

from attrs import field, frozen

from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import http_url, one_of, optional_http_url, optional_text
from ._common import akool_family

__all__ = ["FAMILIES_PART", "TalkingPhoto", "TalkingPhotoRequest"]


@frozen(slots=True, kw_only=True)
class TalkingPhotoRequest:
    """Body of ``createbytalkingphoto``."""

    talking_photo_url: str = field(validator=http_url)
    audio_url: str = field(validator=http_url)
    prompt: str | None = field(default=None, validator=optional_text)
    resolution: str | None = field(default=None, validator=one_of("720", "1080"))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


FAMILIES_PART = (
    akool_family(
        "talking_photo",
        "/api/open/v3/content/video/createbytalkingphoto",
        TalkingPhotoRequest,
        webhook_type="talking photo",
        typical_duration=90.0,
    ),
)


class TalkingPhoto(Resource):
    """A photo that speaks an audio track."""

    _family_name = "talking_photo"

    async def create(
        self,
        *,
        talking_photo_url: str,
        audio_url: str,
        prompt: str | None = None,
        resolution: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create a talking-photo video.

        Args:
            talking_photo_url: the photo (http(s) URL).
            audio_url: the speech (http(s) URL).
            prompt: optional motion prompt.
            resolution: ``"720"`` or ``"1080"``.
            webhook_url: where Akool posts status changes (defaults to the session's).
            max_wait: deadline for ``await job`` in seconds; None waits forever.
        """
        req = TalkingPhotoRequest(
            talking_photo_url=talking_photo_url,
            audio_url=audio_url,
            prompt=prompt,
            resolution=resolution,
            webhook_url=webhook_url,
        )
        return await self._create_one("talking_photo", req, max_wait)
