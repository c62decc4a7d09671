"""VoiceLab v4 (``voiceLab.mdx``): text to speech, voice clone and voice changer.

Speech and changed voices are results polled at ``voice/resource/detail/{_id}`` (the id in the
path; the answer nests the status object in ``data.result``); a clone is a voice, polled at
``voice/detail/{_id}``. Every result's URL is its ``preview``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from attrs import field, frozen

from .._errors import ValidationError
from .._family import Family, StatusEndpoint
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    fail,
    float_range,
    http_url,
    int_range,
    non_empty_text,
    one_of,
    optional_bool,
    optional_http_url,
    optional_text,
)
from ._common import akool_family

__all__ = [
    "FAMILIES_PART",
    "VoiceChangeOptions",
    "VoiceChangeRequest",
    "VoiceCloneOptions",
    "VoiceCloneRequest",
    "VoiceLab",
    "VoiceOptions",
    "VoiceTtsRequest",
]

RESOURCE_STATUS = StatusEndpoint(
    "/api/open/v4/voice/resource/detail/{id}", id_param="_id", id_in_path=True, result_key="result"
)
VOICE_STATUS = StatusEndpoint("/api/open/v4/voice/detail/{id}", id_param="_id", id_in_path=True)

_unit = float_range(0.0, 1.0)
_speed = float_range(0.7, 1.2)
_EMOTIONS = ("happy", "sad", "angry", "fearful", "disgusted", "surprised", "neutral")


def _tags(_inst: object, attribute: Any, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        fail(attribute, "must be a list of non-empty strings")


def _optional(cls: type[Any]) -> Any:
    def check(_inst: object, attribute: Any, value: object) -> None:
        if value is not None and not isinstance(value, cls):
            fail(attribute, f"must be a {cls.__name__}, got {type(value).__name__}")

    return check


# -- extra_options of text to speech, as the page's table types them --------------------------

_Check = Callable[[str, object], None]


def _bad(path: str, problem: str) -> None:
    raise ValidationError(path, problem)


def _text(path: str, value: object) -> None:
    if not isinstance(value, str):
        _bad(path, f"must be text, got {type(value).__name__}")


def _flag(path: str, value: object) -> None:
    if not isinstance(value, bool):
        _bad(path, f"must be true or false, got {type(value).__name__}")


def _choice(*choices: object) -> _Check:
    def check(path: str, value: object) -> None:
        if not any(type(value) is type(c) and value == c for c in choices):
            _bad(path, f"must be one of {', '.join(map(repr, choices))}; got {value!r}")

    return check


def _whole(lo: int, hi: int) -> _Check:
    def check(path: str, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            _bad(path, f"must be an integer from {lo} to {hi}; got {value!r}")

    return check


def _obj(fields: Mapping[str, _Check], required: tuple[str, ...] = ()) -> _Check:
    def check(path: str, value: object) -> None:
        if not isinstance(value, Mapping):
            _bad(path, f"must be an object, got {type(value).__name__}")
        assert isinstance(value, Mapping)
        for key in required:
            if value.get(key) is None:
                _bad(f"{path}.{key}", "is required")
        for key, item in value.items():
            rule = fields.get(key) if isinstance(key, str) else None
            if rule is None:
                _bad(f"{path}.{key}", "is not a field the page documents")
            elif item is not None:
                rule(f"{path}.{key}", item)

    return check


def _list(item: _Check, most: int | None = None) -> _Check:
    def check(path: str, value: object) -> None:
        if not isinstance(value, list | tuple):
            _bad(path, f"must be a list, got {type(value).__name__}")
        assert isinstance(value, list | tuple)
        if most is not None and len(value) > most:
            _bad(path, f"takes at most {most} entries, got {len(value)}")
        for i, v in enumerate(value):
            item(f"{path}[{i}]", v)

    return check


_STRENGTH = _whole(-100, 100)
#: ``extra_options`` of ``voice/tts`` (each row names the voice models it applies to).
_EXTRA_OPTIONS: Final = _obj(
    {
        "previous_text": _text,
        "next_text": _text,
        "apply_text_normalization": _choice("auto", "on", "off"),
        "apply_language_text_normalization": _flag,
        "latex_read": _flag,
        "text_normalization": _flag,
        "audio_setting": _obj(
            {
                "sample_rate": _choice(8000, 16000, 22050, 24000, 32000, 44100),
                "bitrate": _choice(32000, 64000, 128000, 256000),
                "format": _choice("mp3", "wav"),
                "channel": _choice(1, 2),
            }
        ),
        "timber_weights": _list(
            _obj({"voice_id": _text, "weight": _whole(1, 100)}, ("voice_id", "weight")), 4
        ),
        "pronunciation_dict": _obj({"tone": _list(_text)}),
        "voice_modify": _obj(
            {
                "pitch": _STRENGTH,
                "intensity": _STRENGTH,
                "timbre": _STRENGTH,
                "sound_effects": _choice(
                    "spacious_echo", "auditorium_echo", "lofi_telephone", "robotic"
                ),
            }
        ),
        "subtitle_enable": _flag,
        "pitch": _whole(-12, 12),
    }
)


def _extra_options(_inst: object, attribute: Any, value: object) -> None:
    if value is not None:
        _EXTRA_OPTIONS(attribute.name, value)


#: ``voice_model_name`` each endpoint's table allows.
_CLONE_MODELS: Final = ("Akool Multilingual 1", "Akool Multilingual 3", "Akool Multilingual 4")
_CHANGE_MODELS: Final = ("Akool Multilingual 1",)


@frozen(slots=True, kw_only=True)
class VoiceOptions:
    """``voice_options`` of text to speech (which apply depends on the voice's model)."""

    stability: float | None = field(default=None, validator=_unit)
    similarity_boost: float | None = field(default=None, validator=_unit)
    style: float | None = field(default=None, validator=_unit)
    speed: float | None = field(default=None, validator=_speed)
    speaker_boost: bool | None = field(default=None, validator=optional_bool)
    emotion: str | None = field(default=None, validator=one_of(*_EMOTIONS))
    volume: int | None = field(default=None, validator=int_range(0, 100))


@frozen(slots=True, kw_only=True)
class VoiceCloneOptions:
    """``voice_options`` of a voice clone: tags of the voice and how to read the sample."""

    style: list[str] | None = field(default=None, validator=_tags)
    gender: list[str] | None = field(default=None, validator=_tags)
    age: list[str] | None = field(default=None, validator=_tags)
    scenario: list[str] | None = field(default=None, validator=_tags)
    remove_background_noise: bool | None = field(default=None, validator=optional_bool)
    language: str | None = field(default=None, validator=optional_text)
    clone_prompt: str | None = field(default=None, validator=optional_text)
    need_volume_normalization: bool | None = field(default=None, validator=optional_bool)


@frozen(slots=True, kw_only=True)
class VoiceChangeOptions:
    """``voice_options`` of the voice changer."""

    stability: float | None = field(default=None, validator=_unit)
    similarity_boost: float | None = field(default=None, validator=_unit)
    style: float | None = field(default=None, validator=_unit)
    speaker_boost: bool | None = field(default=None, validator=optional_bool)
    file_format: str | None = field(default=None, validator=one_of("mp3", "wav"))
    remove_background_noise: bool | None = field(default=None, validator=optional_bool)
    speed: float | None = field(default=None, validator=_speed)


@frozen(slots=True, kw_only=True)
class VoiceTtsRequest:
    """Body of ``voice/tts``. ``extra_options`` is checked against the page's table (text
    normalization, ``audio_setting``, ``timber_weights``, ``voice_modify``, ``pitch`` ...);
    the page's example also sends ``pitch`` (-12 to 12) at the top level, as ``pitch`` here does."""

    input_text: str = field(validator=non_empty_text)
    voice_id: str = field(validator=non_empty_text)
    voice_options: VoiceOptions | None = field(default=None, validator=_optional(VoiceOptions))
    language_code: str | None = field(default=None, validator=optional_text)
    extra_options: dict[str, Any] | None = field(default=None, validator=_extra_options)
    pitch: int | None = field(default=None, validator=int_range(-12, 12))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class VoiceCloneRequest:
    """Body of ``voice/clone``: a new voice from the recording at ``source_voice_file``."""

    source_voice_file: str = field(validator=http_url)
    voice_options: VoiceCloneOptions | None = field(
        default=None, validator=_optional(VoiceCloneOptions)
    )
    name: str | None = field(default=None, validator=optional_text)
    voice_model_name: str | None = field(default=None, validator=one_of(*_CLONE_MODELS))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class VoiceChangeRequest:
    """Body of ``voice/change``: the recording at ``source_voice_file`` in voice ``voice_id``."""

    voice_id: str = field(validator=non_empty_text)
    source_voice_file: str = field(validator=http_url)
    voice_options: VoiceChangeOptions | None = field(
        default=None, validator=_optional(VoiceChangeOptions)
    )
    voice_model_name: str | None = field(default=None, validator=one_of(*_CHANGE_MODELS))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


def _v4_voice(name: str, path: str, request_type: type[Any], status: StatusEndpoint) -> Family:
    return akool_family(
        name,
        path,
        request_type,
        status,
        status_field="status",
        result_field="preview",
        webhook_type="audio",
        typical_duration=20.0,
        result_suffix=".mp3",
    )


FAMILIES_PART = (
    _v4_voice("voice_tts", "/api/open/v4/voice/tts", VoiceTtsRequest, RESOURCE_STATUS),
    _v4_voice("voice_clone", "/api/open/v4/voice/clone", VoiceCloneRequest, VOICE_STATUS),
    _v4_voice("voice_change", "/api/open/v4/voice/change", VoiceChangeRequest, RESOURCE_STATUS),
)


class VoiceLab(Resource):
    """VoiceLab v4: speech, voice clones and the voice changer."""

    _family_name = "voice_tts"

    async def tts(
        self,
        *,
        input_text: str,
        voice_id: str,
        voice_options: VoiceOptions | None = None,
        language_code: str | None = None,
        extra_options: Mapping[str, Any] | None = None,
        pitch: int | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Speech from text in voice ``voice_id``; the result is the job's ``preview`` URL.

        Args:
            input_text: what to say (the length limit depends on the plan).
            voice_id: a voice from the voice list or one of your clones.
            voice_options: stability, similarity boost, style, speed (0.7-1.2), emotion...
            language_code: ISO 639-1 code to help a less common language.
            extra_options: further settings of the page's table (checked before sending).
            pitch: -12 to 12 (0 keeps the voice's own), sent at the top level as the page's
                example does; ``extra_options={"pitch": n}`` sends the table's spelling.
            webhook_url: where Akool posts status changes (defaults to the session's).
            max_wait: deadline for ``await job`` in seconds; None waits forever.
        """
        req = VoiceTtsRequest(
            input_text=input_text,
            voice_id=voice_id,
            voice_options=voice_options,
            language_code=language_code,
            # Anything but an object goes to the field's validator, which names it.
            extra_options=(
                dict(extra_options) if isinstance(extra_options, Mapping) else extra_options
            ),
            pitch=pitch,
            webhook_url=webhook_url,
        )
        return await self._create_one("voice_tts", req, max_wait)

    async def clone(
        self,
        *,
        source_voice_file: str,
        voice_options: VoiceCloneOptions | None = None,
        name: str | None = None,
        voice_model_name: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Clone the voice of the recording at ``source_voice_file`` (the job is the voice);
        ``voice_model_name`` is Akool Multilingual 1, 3 or 4 (2 cannot clone)."""
        req = VoiceCloneRequest(
            source_voice_file=source_voice_file,
            voice_options=voice_options,
            name=name,
            voice_model_name=voice_model_name,
            webhook_url=webhook_url,
        )
        return await self._create_one("voice_clone", req, max_wait)

    async def change(
        self,
        *,
        voice_id: str,
        source_voice_file: str,
        voice_options: VoiceChangeOptions | None = None,
        voice_model_name: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Say the recording at ``source_voice_file`` again in voice ``voice_id``; only the
        Akool Multilingual 1 model changes voices."""
        req = VoiceChangeRequest(
            voice_id=voice_id,
            source_voice_file=source_voice_file,
            voice_options=voice_options,
            voice_model_name=voice_model_name,
            webhook_url=webhook_url,
        )
        return await self._create_one("voice_change", req, max_wait)
