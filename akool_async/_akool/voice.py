"""Voice v3: text to speech (``audio/create``) and voice clone (``audio/clone``), both polled at
``audio/infobymodelid`` (``audio.mdx``)."""

from __future__ import annotations

import re
from typing import Any

from attrs import field, frozen

from .._errors import ValidationError
from .._family import StatusEndpoint
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN, NotGiven
from .._validators import bounded_text, fail, non_empty_text, optional_http_url, optional_text
from ._common import akool_family

__all__ = ["FAMILIES_PART", "Tts", "TtsRequest", "VoiceCloneV3Request"]

_RATE = re.compile(r"(\d{1,3})%")
#: The v3 names this API had before the docs were followed, and what replaced them.
_RENAMED = {"voice_code": "voice_id", "speed": "rate"}


def _rate(_inst: object, attribute: Any, value: Any) -> None:
    """A speaking rate as the page writes it: a percentage string, ``"0%"`` to ``"100%"``."""
    if not isinstance(value, str):
        fail(attribute, f'must be a percentage string such as "100%", got {type(value).__name__}')
    assert isinstance(value, str)
    match = _RATE.fullmatch(value)
    if match is None or int(match.group(1)) > 100:
        fail(attribute, f'must be a percentage from "0%" to "100%"; got {value!r}')


def _voice_source(inst: Any, attribute: Any, value: object) -> None:
    optional_http_url(inst, attribute, value)
    if value is None and inst.voice_id is None:
        fail(attribute, "give voice_url or voice_id")


@frozen(slots=True, kw_only=True)
class TtsRequest:
    """Body of ``audio/create`` (v3 text to speech); ``rate`` like ``"100%"``."""

    input_text: str = field(validator=bounded_text(5000))
    voice_id: str = field(validator=non_empty_text)
    rate: str = field(validator=_rate)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class VoiceCloneV3Request:
    """Body of ``audio/clone`` (v3): speak ``input_text`` in the voice at ``voice_url``."""

    input_text: str = field(validator=bounded_text(5000))
    rate: str = field(validator=_rate)
    voice_id: str | None = field(default=None, validator=optional_text)
    voice_url: str | None = field(default=None, validator=_voice_source)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


_AUDIO_STATUS = StatusEndpoint("/api/open/v3/audio/infobymodelid", id_param="audio_model_id")


def _v3_audio(name: str, path: str, request_type: type[Any]) -> Any:
    return akool_family(
        name,
        path,
        request_type,
        _AUDIO_STATUS,
        status_field="status",
        result_field="url",
        webhook_type="audio",
        typical_duration=15.0,
        result_suffix=".mp3",
    )


FAMILIES_PART = (
    _v3_audio("tts", "/api/open/v3/audio/create", TtsRequest),
    _v3_audio("voice_clone_v3", "/api/open/v3/audio/clone", VoiceCloneV3Request),
)


def _refuse_renamed(**given: object) -> None:
    for old, value in given.items():
        if not isinstance(value, NotGiven):
            raise ValidationError(old, f"is not an Akool field; use {_RENAMED[old]}")


class Tts(Resource):
    """Text to speech and voice clone (v3 audio)."""

    _family_name = "tts"

    async def create(
        self,
        *,
        input_text: str,
        voice_id: str,
        rate: str,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
        voice_code: NotGiven = NOT_GIVEN,
        speed: NotGiven = NOT_GIVEN,
    ) -> Job:
        """Create speech from text.

        Args:
            input_text: what to say (at most 5000 characters).
            voice_id: a voice from the voice list.
            rate: speaking rate, a percentage string from ``"0%"`` to ``"100%"``.
            webhook_url: where Akool posts status changes (defaults to the session's).
            max_wait: deadline for ``await job`` in seconds; None waits forever.
            voice_code: refused (ValidationError): the field is ``voice_id``.
            speed: refused (ValidationError): the field is ``rate``.
        """
        _refuse_renamed(voice_code=voice_code, speed=speed)
        req = TtsRequest(
            input_text=input_text, voice_id=voice_id, rate=rate, webhook_url=webhook_url
        )
        return await self._create_one("tts", req, max_wait)

    async def clone(
        self,
        *,
        input_text: str,
        rate: str,
        voice_url: str | None = None,
        voice_id: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Speak ``input_text`` in the voice of the recording at ``voice_url`` (or ``voice_id``)."""
        req = VoiceCloneV3Request(
            input_text=input_text,
            rate=rate,
            voice_id=voice_id,
            voice_url=voice_url,
            webhook_url=webhook_url,
        )
        return await self._create_one("voice_clone_v3", req, max_wait)
