"""Lip sync: a video re-timed to an audio track (``lipsync``)."""

from __future__ import annotations

from attrs import field, frozen

from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import http_url, optional_http_url
from ._common import akool_family

__all__ = ["FAMILIES_PART", "LipSync", "LipSyncRequest"]


@frozen(slots=True, kw_only=True)
class LipSyncRequest:
    """Body of ``lipsync``."""

    video_url: str = field(validator=http_url)
    audio_url: str = field(validator=http_url)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


FAMILIES_PART = (
    akool_family(
        "lip_sync",
        "/api/open/v3/content/video/lipsync",
        LipSyncRequest,
        webhook_type="lipsync",
        typical_duration=90.0,
    ),
)


class LipSync(Resource):
    """Lip-sync a video to an audio track."""

    _family_name = "lip_sync"

    async def create(
        self,
        *,
        video_url: str,
        audio_url: str,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create a lip-sync video."""
        req = LipSyncRequest(video_url=video_url, audio_url=audio_url, webhook_url=webhook_url)
        return await self._create_one("lip_sync", req, max_wait)
