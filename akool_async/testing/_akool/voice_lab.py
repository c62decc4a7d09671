"""The fake's VoiceLab v4 area (``voiceLab.mdx``): text to speech, voice clone and voice
changer. Results are polled at ``voice/resource/detail/{_id}`` (``data.result``), clones at
``voice/detail/{_id}`` (``data``); the URL is ``preview`` (null until completed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._faults import envelope_error
from .._http import ParamError, ok
from .._jobs import FakeJob
from ._common import (
    FAKE_TEAM_ID,
    FAKE_UID,
    CreateSpec,
    FakeArea,
    derived_hex,
    failure,
    opt_bool,
    opt_choice,
    opt_int,
    opt_number,
    opt_str,
    req_str,
    req_url,
    result_url,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "RESOURCE_PATH", "VOICE_PATH"]

RESOURCE_PATH: Final = "/api/open/v4/voice/resource/detail/{id}"
VOICE_PATH: Final = "/api/open/v4/voice/detail/{id}"
_RESULTS: Final = frozenset({"voice_tts", "voice_change"})
_EMOTIONS: Final = ("happy", "sad", "angry", "fearful", "disgusted", "surprised", "neutral")


def _options(body: dict[str, Any], name: str = "voice_options") -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParamError(f"{name} must be an object")
    return dict(value)


def _checked(options: dict[str, Any], check: Any, *args: Any) -> None:
    try:
        check(options, *args)
    except ParamError as exc:
        raise ParamError(f"voice_options.{exc.msg}") from None


def _tags(options: dict[str, Any], name: str) -> None:
    value = options.get(name)
    if value is not None and not (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        raise ParamError(f"{name} must be a list of strings")


def _sound_options(body: dict[str, Any]) -> dict[str, Any]:
    """The ``voice_options`` text to speech and the changer share (0-1 knobs, speed)."""
    options = _options(body)
    for name in ("stability", "similarity_boost", "style"):
        _checked(options, opt_number, name, 0.0, 1.0)
    _checked(options, opt_number, "speed", 0.7, 1.2)
    _checked(options, opt_bool, "speaker_boost")
    return options


#: ``extra_options`` of ``voice/tts`` as the page's table types them: a leaf is a type, a
#: tuple of allowed values, or an integer range; a dict is a nested object.
_EXTRA: Final[dict[str, Any]] = {
    "previous_text": str,
    "next_text": str,
    "apply_text_normalization": ("auto", "on", "off"),
    "apply_language_text_normalization": bool,
    "latex_read": bool,
    "text_normalization": bool,
    "audio_setting": {
        "sample_rate": (8000, 16000, 22050, 24000, 32000, 44100),
        "bitrate": (32000, 64000, 128000, 256000),
        "format": ("mp3", "wav"),
        "channel": (1, 2),
    },
    "timber_weights": [{"voice_id": str, "weight": range(1, 101)}],
    "pronunciation_dict": {"tone": [str]},
    "voice_modify": {
        "pitch": range(-100, 101),
        "intensity": range(-100, 101),
        "timbre": range(-100, 101),
        "sound_effects": ("spacious_echo", "auditorium_echo", "lofi_telephone", "robotic"),
    },
    "subtitle_enable": bool,
    "pitch": range(-12, 13),
}
_MAX_TIMBRES: Final = 4
_CLONE_MODELS: Final = ("Akool Multilingual 1", "Akool Multilingual 3", "Akool Multilingual 4")


def _conforms(value: Any, rule: Any, where: str) -> None:
    """Refuse ``value`` unless it fits ``rule`` (see :data:`_EXTRA`), naming ``where``."""
    if isinstance(rule, dict):
        if not isinstance(value, dict):
            raise ParamError(f"{where} must be an object")
        for key, item in value.items():
            if key not in rule:
                raise ParamError(f"{where}.{key} is not a documented field")
            if item is not None:
                _conforms(item, rule[key], f"{where}.{key}")
    elif isinstance(rule, list):
        if not isinstance(value, list):
            raise ParamError(f"{where} must be a list")
        for index, item in enumerate(value):
            _conforms(item, rule[0], f"{where}[{index}]")
    elif isinstance(rule, range):
        if isinstance(value, bool) or not isinstance(value, int) or value not in rule:
            raise ParamError(f"{where} must be an integer from {rule.start} to {rule.stop - 1}")
    elif isinstance(rule, tuple):
        if isinstance(value, bool) or value not in rule:
            raise ParamError(f"{where} must be one of {', '.join(map(str, rule))}")
    elif not isinstance(value, rule) or (rule is not bool and isinstance(value, bool)):
        raise ParamError(f"{where} must be a {rule.__name__}")


def _extra_options(body: dict[str, Any]) -> None:
    extra = _options(body, "extra_options")
    _conforms(extra, _EXTRA, "extra_options")
    weights = extra.get("timber_weights") or []
    if len(weights) > _MAX_TIMBRES:
        raise ParamError(f"extra_options.timber_weights takes at most {_MAX_TIMBRES} voices")
    for index, weight in enumerate(weights):
        for key in ("voice_id", "weight"):
            if weight.get(key) is None:
                raise ParamError(f"extra_options.timber_weights[{index}].{key} is required")


def _tts(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "input_text")
    req_str(body, "voice_id")
    options = _sound_options(body)
    _checked(options, opt_choice, "emotion", _EMOTIONS)
    _checked(options, opt_int, "volume", 0, 100)
    opt_str(body, "language_code")
    _extra_options(body)
    opt_int(body, "pitch", -12, 12)
    return CreateSpec("voice_tts", ("",), webhook(body))


def _clone(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "source_voice_file")
    options = _options(body)
    for name in ("style", "gender", "age", "scenario"):
        _checked(options, _tags, name)
    for name in ("remove_background_noise", "need_volume_normalization"):
        _checked(options, opt_bool, name)
    for name in ("language", "clone_prompt"):
        _checked(options, opt_str, name)
    opt_str(body, "name")
    opt_choice(body, "voice_model_name", _CLONE_MODELS)
    return CreateSpec("voice_clone", ("",), webhook(body))


def _change(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "voice_id")
    req_url(body, "source_voice_file")
    options = _sound_options(body)
    _checked(options, opt_bool, "remove_background_noise")
    _checked(options, opt_choice, "file_format", ("mp3", "wav"))
    # Only Akool Multilingual 1 changes voices.
    opt_choice(body, "voice_model_name", _CLONE_MODELS[:1])
    return CreateSpec("voice_change", ("",), webhook(body))


def _preview(job: FakeJob, status: int, base: str) -> str | None:
    return result_url(job, status, base) if status == 3 else None


def _result(job: FakeJob, status: int, base: str) -> dict[str, Any]:
    """A speech or changed voice as the create and ``resource/detail`` show it."""
    params = job.params
    out: dict[str, Any] = {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "update_time": 0,
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "status": status,
        "webhookUrl": job.webhook_url or "",
        "duration": int(job.media_duration * 1000) if status == 3 else 0,
        "file_name": f"{job.id}.mp3",
        "gender": "Male",
        "deduction_credit": 0.5148,
        "name": derived_hex(job.id, "name", 32),
        "voice_model_id": derived_hex(job.id, "voice_model", 24),
        "voice_id": params.get("voice_id", ""),
        "voice_options": dict(params.get("voice_options") or {}),
        "preview": _preview(job, status, base),
    }
    if job.family == "voice_tts":
        out["input_text"] = params.get("input_text", "")
        out["rate"] = "100%"
        out["language_code"] = params.get("language_code") or ""
    else:
        out["source_voice_file"] = params.get("source_voice_file", "")
    failure(job, status, out)
    return out


def _voice(job: FakeJob, status: int, base: str) -> dict[str, Any]:
    """A cloned voice as the create and ``voice/detail`` show it."""
    params = job.params
    options = dict(params.get("voice_options") or {})
    out: dict[str, Any] = {
        "_id": job.id,
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "voice_id": derived_hex(job.id, "voice", 20) if status == 3 else None,
        "gender": (options.get("gender") or ["Male"])[0],
        "name": params.get("name") or derived_hex(job.id, "name", 32),
        "preview": _preview(job, status, base),
        "text": "This is a preview of the cloned voice.",
        "duration": int(job.media_duration * 1000),
        "status": status,
        "create_time": job.create_time_ms,
        "style": options.get("style") or [],
        "scenario": options.get("scenario") or [],
        "age": options.get("age") or [],
        "deduction_credit": 0,
        "webhookUrl": job.webhook_url or "",
        "source_voice_file": params.get("source_voice_file", ""),
        "voice_model_name": params.get("voice_model_name") or "Akool Multilingual 1",
    }
    failure(job, status, out)
    return out


def _result_answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    return _result(jobs[0], 1, base)


def _voice_answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    return _voice(jobs[0], 1, base)


def _lookup(fake: FakeAkool, request: web.Request, families: frozenset[str]) -> FakeJob | None:
    return fake.lookup(request.match_info.get("id", "").strip(), families)


async def _resource_detail(fake: FakeAkool, request: web.Request) -> web.Response:
    job = _lookup(fake, request, _RESULTS)
    if job is None:
        return envelope_error(1008)
    return ok({"result": _result(job, job.status(fake.clock.now()), fake.base(request))})


async def _voice_detail(fake: FakeAkool, request: web.Request) -> web.Response:
    job = _lookup(fake, request, frozenset({"voice_clone"}))
    if job is None:
        return envelope_error(1008)
    return ok(_voice(job, job.status(fake.clock.now()), fake.base(request)))


AREA = FakeArea(
    creates={
        "/api/open/v4/voice/tts": _tts,
        "/api/open/v4/voice/clone": _clone,
        "/api/open/v4/voice/change": _change,
    },
    answers={
        "voice_tts": _result_answer,
        "voice_clone": _voice_answer,
        "voice_change": _result_answer,
    },
    routes=(("GET", RESOURCE_PATH, _resource_detail), ("GET", VOICE_PATH, _voice_detail)),
)
