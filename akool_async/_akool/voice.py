"""Voice: text to speech (v3 ``audio/create``)."""

from __future__ import annotations

from attrs import field, frozen

from .._family import StatusEndpoint
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import float_range, non_empty_text, optional_http_url
from ._common import akool_family

__all__ = ["FAMILIES_PART", "Tts", "TtsRequest"]


@frozen(slots=True, kw_only=True)
class TtsRequest:
    """Body of ``audio/create`` (v3 text to speech)."""

    input_text: str = field(validator=non_empty_text)
    voice_code: str = field(validator=non_empty_text)
    speed: float | None = field(default=None, validator=float_range(0.5, 2.0))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


FAMILIES_PART = (
    akool_family(
        "tts",
        "/api/open/v3/audio/create",
        TtsRequest,
        StatusEndpoint("/api/open/v3/audio/infobymodelid", id_param="audio_model_id"),
        status_field="status",
        result_field="url",
        webhook_type="audio",
        typical_duration=15.0,
        result_suffix=".mp3",
    ),
)


class Tts(Resource):
    """Text to speech (v3 audio)."""

    _family_name = "tts"

    async def create(
        self,
        *,
        input_text: str,
        voice_code: str,
        speed: float | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create speech from text; ``speed`` 0.5-2.0."""
        req = TtsRequest(
            input_text=input_text, voice_code=voice_code, speed=speed, webhook_url=webhook_url
        )
        return await self._create_one("tts", req, max_wait)
