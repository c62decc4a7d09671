"""Create endpoints and the validation of their bodies (1003 with the field in ``msg``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from attrs import frozen

from ._jobs import LANGUAGES

__all__ = ["CREATE_ENDPOINTS", "CreateSpec", "ParamError"]


class ParamError(Exception):
    """A create body is invalid: answer ``code`` with this message."""

    def __init__(self, msg: str, code: int = 1003) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code


@frozen(slots=True)
class CreateSpec:
    """What a valid create asks for: one job per variant."""

    family: str
    variants: tuple[str, ...]
    webhook_url: str | None


Validator = Callable[[dict[str, Any]], CreateSpec]

_MISSING: Final = object()


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _req_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise ParamError(f"{name} is required")
    if not isinstance(value, str):
        raise ParamError(f"{name} must be a string")
    if not value.strip():
        raise ParamError(f"{name} can not be empty")
    return value


def _opt_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParamError(f"{name} must be a string")
    return value


def _req_url(body: dict[str, Any], name: str) -> str:
    value = _req_str(body, name)
    if not _is_url(value):
        raise ParamError(f"{name} must be an http(s) url")
    return value


def _opt_url(body: dict[str, Any], name: str) -> str | None:
    value = _opt_str(body, name)
    if value is None or value == "":
        return None
    if not _is_url(value):
        raise ParamError(f"{name} must be an http(s) url")
    return value


def _opt_choice(body: dict[str, Any], name: str, choices: tuple[Any, ...]) -> Any:
    value = body.get(name, _MISSING)
    if value is _MISSING or value is None:
        return None
    # JSON true is not the integer 1 for Akool.
    if isinstance(value, bool) or value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ParamError(f"{name} must be one of {shown}")
    return value


def _opt_bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ParamError(f"{name} must be a boolean")
    return value


def _opt_int(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(f"{name} must be an integer")
    if not low <= value <= high:
        raise ParamError(f"{name} must be between {low} and {high}")
    return value


def _opt_number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(f"{name} must be a number")
    if not low <= value <= high:
        raise ParamError(f"{name} must be between {low:g} and {high:g}")
    return float(value)


def _image_list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None or value == []:
        raise ParamError(f"{name} is required")
    if not isinstance(value, list):
        raise ParamError(f"{name} must be a list of {{path, opts}} objects")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ParamError(f"{name}[{index}] must be an object with a path")
        path = item.get("path")
        if not path:
            raise ParamError(f"{name}[{index}].path is required")
        if not isinstance(path, str) or not _is_url(path):
            raise ParamError(f"{name}[{index}].path must be an http(s) url")
        if item.get("opts") is not None and not isinstance(item["opts"], str):
            raise ParamError(f"{name}[{index}].opts must be a string")
    return value


def _webhook(body: dict[str, Any], name: str = "webhookUrl") -> str | None:
    return _opt_url(body, name)


def _talking_photo(body: dict[str, Any]) -> CreateSpec:
    _req_url(body, "talking_photo_url")
    _req_url(body, "audio_url")
    _opt_str(body, "prompt")
    _opt_choice(body, "resolution", ("720", "1080"))
    return CreateSpec("talking_photo", ("",), _webhook(body))


def _lip_sync(body: dict[str, Any]) -> CreateSpec:
    _req_url(body, "video_url")
    _req_url(body, "audio_url")
    return CreateSpec("lip_sync", ("",), _webhook(body))


def _languages(value: str, name: str) -> tuple[str, ...]:
    codes: list[str] = []
    for raw in value.split(","):
        code = raw.strip()
        if not code:
            continue
        if code not in LANGUAGES:
            raise ParamError(f"{name}: unsupported language code {code!r}")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ParamError(f"{name} is required")
    return tuple(codes)


def _video_translation(body: dict[str, Any]) -> CreateSpec:
    _req_url(body, "url")
    languages = _languages(_req_str(body, "language"), "language")
    source = _opt_str(body, "source_language")
    if source and source != "auto" and source not in LANGUAGES:
        raise ParamError(f"source_language: unsupported language code {source!r}")
    _opt_bool(body, "lipsync")
    _opt_int(body, "speaker_num", 0, 10)
    _opt_bool(body, "remove_bgm")
    _opt_int(body, "caption_type", 0, 4)
    _opt_url(body, "caption_url")
    _opt_bool(body, "studio_voice")
    _opt_bool(body, "dynamic_duration")
    return CreateSpec("video_translation", languages, _webhook(body))


def _talking_avatar(body: dict[str, Any]) -> CreateSpec:
    _req_str(body, "avatar_id")
    kind = body.get("type")
    if kind is None:
        raise ParamError("type is required")
    if isinstance(kind, bool) or kind not in (1, 2):
        raise ParamError("type must be 1 (text) or 2 (audio)")
    if kind == 1:
        _req_str(body, "input_text")
        _req_str(body, "voice_id")
    else:
        _req_url(body, "url")
    _opt_int(body, "width", 1, 7680)
    _opt_int(body, "height", 1, 7680)
    _opt_url(body, "background_url")
    return CreateSpec("talking_avatar", ("",), _webhook(body))


def _pairs(body: dict[str, Any]) -> None:
    source = _image_list(body, "sourceImage")
    target = _image_list(body, "targetImage")
    if len(source) != len(target):
        raise ParamError("targetImage must have as many entries as sourceImage")


def _face_enhance(body: dict[str, Any]) -> None:
    # Documented as 0/1 for v3 and as a boolean for v4; the API takes either spelling.
    value = body.get("face_enhance")
    if value is not None and value not in (0, 1):
        raise ParamError("face_enhance must be 0, 1, true or false")


def _faceswap_image(body: dict[str, Any]) -> CreateSpec:
    _pairs(body)
    _req_url(body, "modifyImage")
    _face_enhance(body)
    return CreateSpec("faceswap_image", ("",), _webhook(body))


def _faceswap_video(body: dict[str, Any]) -> CreateSpec:
    _pairs(body)
    _req_url(body, "modifyVideo")
    _face_enhance(body)
    return CreateSpec("faceswap_video", ("",), _webhook(body))


def _reage(body: dict[str, Any], media: str) -> CreateSpec:
    _image_list(body, "targetImage")
    _opt_int(body, "face_reage", -30, 30)
    _req_url(body, "modifyImage" if media == "image" else "modifyVideo")
    return CreateSpec(f"faceswap_{media}", ("",), _webhook(body))


def _faceswap_v4(body: dict[str, Any]) -> CreateSpec:
    source = _image_list(body, "sourceImage")
    target = _image_list(body, "targetImage")
    if len(source) != 1 or len(target) != 1:
        raise ParamError("sourceImage and targetImage take exactly one face each")
    _face_enhance(body)
    return CreateSpec("faceswap_v4", ("",), _webhook(body))


_SCALES: Final = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3")


def _image(body: dict[str, Any]) -> CreateSpec:
    _req_str(body, "prompt")
    _opt_choice(body, "scale", _SCALES)
    _opt_url(body, "source_image")
    return CreateSpec("image", ("",), _webhook(body))


def _video_options(body: dict[str, Any]) -> None:
    _opt_choice(body, "resolution", ("720p", "1080p"))
    _opt_choice(body, "video_length", (5, 10))


def _image2video(body: dict[str, Any]) -> CreateSpec:
    _req_url(body, "image_url")
    _req_str(body, "prompt")
    _opt_str(body, "negative_prompt")
    _video_options(body)
    return CreateSpec("image2video", ("",), _webhook(body, "webhookurl"))


def _text2video(body: dict[str, Any]) -> CreateSpec:
    _req_str(body, "prompt")
    _opt_str(body, "negative_prompt")
    _video_options(body)
    count = _opt_int(body, "count", 1, 4) or 1
    return CreateSpec("text2video", ("",) * count, _webhook(body, "webhookurl"))


def _tts(body: dict[str, Any]) -> CreateSpec:
    _req_str(body, "input_text")
    _req_str(body, "voice_code")
    _opt_number(body, "speed", 0.5, 2.0)
    return CreateSpec("tts", ("",), _webhook(body))


#: Path -> validator of every create endpoint.
CREATE_ENDPOINTS: Final[dict[str, Validator]] = {
    "/api/open/v3/content/video/createbytalkingphoto": _talking_photo,
    "/api/open/v3/content/video/lipsync": _lip_sync,
    "/api/open/v3/content/video/createbytranslate": _video_translation,
    "/api/open/v3/talkingavatar/create": _talking_avatar,
    "/api/open/v3/faceswap/highquality/specifyimage": _faceswap_image,
    "/api/open/v3/faceswap/highquality/specifyvideo": _faceswap_video,
    "/api/open/v3/faceswap/highquality/imgreage": lambda body: _reage(body, "image"),
    "/api/open/v3/faceswap/highquality/vidreage": lambda body: _reage(body, "video"),
    "/api/open/v4/faceswap/faceswapByImage": _faceswap_v4,
    "/api/open/v3/content/image/createbyprompt": _image,
    "/api/open/v4/image2Video/createBySourcePrompt": _image2video,
    "/api/open/v4/text2Video/createByPrompt/batch": _text2video,
    "/api/open/v3/audio/create": _tts,
}
