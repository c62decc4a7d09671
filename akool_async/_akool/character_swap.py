"""Character swap: a character image animated with a source video's motion, or put in place of
the video's face (``v4/characterSwap/create``, ``character-swap/*.mdx``), polled at
``infobymodelid``.

The body spells the webhook ``webhookurl`` (lower case); a failed job's reason comes back in
``faceswap_fail_reason``, which the session reads as the job's error reason.
"""

from __future__ import annotations

from attrs import field, frozen

from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    bounded_text,
    float_range,
    http_url,
    one_of,
    optional_http_url,
    optional_text,
)
from ._common import akool_family

__all__ = ["FAMILIES_PART", "CharacterSwap", "CharacterSwapRequest"]

#: Output resolutions the create page lists (720p when not given).
RESOLUTIONS = ("480p", "720p", "1080p")
#: ``animate`` moves the image's character with the video's motion; ``replace`` swaps the face.
MODES = ("animate", "replace")


@frozen(slots=True, kw_only=True)
class CharacterSwapRequest:
    """Body of ``characterSwap/create``: ``image`` (PNG/JPEG URL) and ``video`` (MP4 URL);
    ``duration`` 1-120 seconds (detected from the video when not given); ``resolution`` 480p,
    720p or 1080p; ``mode`` animate or replace; ``prompt`` up to 500 characters; ``model_name``
    as the overview's examples send it."""

    image: str = field(validator=http_url)
    video: str = field(validator=http_url)
    duration: float | None = field(default=None, validator=float_range(1, 120))
    resolution: str | None = field(default=None, validator=one_of(*RESOLUTIONS))
    mode: str | None = field(default=None, validator=one_of(*MODES))
    prompt: str | None = field(default=None, validator=bounded_text(500, optional=True))
    model_name: str | None = field(default=None, validator=optional_text)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


FAMILIES_PART = (
    akool_family(
        "character_swap",
        "/api/open/v4/characterSwap/create",
        CharacterSwapRequest,
        webhook_key="webhookurl",
        webhook_type="character swap",
        typical_duration=120.0,
    ),
)


class CharacterSwap(Resource):
    """Character swap (a Pro plan feature): a character image driven by a video."""

    _family_name = "character_swap"

    async def create(
        self,
        *,
        image: str,
        video: str,
        duration: float | None = None,
        resolution: str | None = None,
        mode: str | None = None,
        prompt: str | None = None,
        model_name: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Start a character swap video.

        Args:
            image: URL of the character image (PNG or JPEG).
            video: URL of the source video (MP4) whose motion is applied.
            duration: seconds of output, 1-120; Akool reads it from the video when omitted.
            resolution: ``"480p"``, ``"720p"`` (Akool's default) or ``"1080p"``.
            mode: ``"animate"`` (Akool's default) or ``"replace"``.
            prompt: guidance for the generation, up to 500 characters.
            model_name: the model, e.g. ``"wavespeed-ai/wan-2.2/animate"``.
            webhook_url: where Akool posts status changes (sent as ``webhookurl``).
            max_wait: deadline for ``await job`` in seconds; None waits forever.
        """
        req = CharacterSwapRequest(
            image=image,
            video=video,
            duration=duration,
            resolution=resolution,
            mode=mode,
            prompt=prompt,
            model_name=model_name,
            webhook_url=webhook_url,
        )
        return await self._create_one("character_swap", req, max_wait)
