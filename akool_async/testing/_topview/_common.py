"""What the fake TopView's areas share: its envelope, its errors and the submit-body checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ...topview._errors import TOPVIEW_MESSAGES
from .._http import json_response
from .._topview_state import FakeFile

__all__ = [
    "AUDIO",
    "IMAGES",
    "VIDEO",
    "TvParam",
    "choice",
    "envelope",
    "error",
    "file_of",
    "known",
    "mask",
    "required",
    "voice_speed",
]

IMAGES: Final = frozenset({"png", "jpg", "jpeg", "bmp", "webp"})
AUDIO: Final = frozenset({"mp3", "wav", "m4a"})
VIDEO: Final = frozenset({"mp4", "avi", "mov"})


class TvParam(Exception):
    """A submit body is invalid: answer TopView's string ``code`` with ``message``."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or TOPVIEW_MESSAGES.get(code, "error"))
        self.code = code
        self.message = message or TOPVIEW_MESSAGES.get(code, "error")


def envelope(result: Any) -> web.Response:
    """TopView's success envelope around ``result``."""
    return json_response({"code": "200", "message": "Success", "result": result})


def error(code: str, message: str | None = None) -> web.Response:
    """TopView's error envelope (HTTP 200, string code)."""
    return json_response({"code": code, "message": message or TOPVIEW_MESSAGES.get(code, "error")})


def file_of(
    files: Mapping[str, FakeFile], body: dict[str, Any], name: str, kinds: frozenset[str]
) -> FakeFile | None:
    """The uploaded file ``body[name]`` names (None if not given), of one of ``kinds``."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TvParam("4001", f"{name} must be a string")
    found = files.get(value)
    if found is None or found.data is None:
        raise TvParam("4004", f"{name}: file {value} not found")
    if found.format not in kinds:
        raise TvParam("4000", f"{name}: a {found.format} file is not accepted here")
    return found


def known(body: dict[str, Any], names: frozenset[str]) -> None:
    """Refuse a field the task does not take (``4000`` naming it)."""
    for name in body:
        if name not in names:
            raise TvParam("4000", f"{name} is not a parameter of this task")


def required(body: dict[str, Any], name: str) -> Any:
    """``body[name]``, which must be given."""
    value = body.get(name)
    if value is None or value == "":
        raise TvParam("4003", f"{name} cannot be null")
    return value


def choice(body: dict[str, Any], name: str, choices: tuple[Any, ...], default: Any) -> Any:
    """``body[name]`` (``default`` if absent), which must be one of ``choices``."""
    value = body.get(name, default)
    if value not in choices or isinstance(value, bool):
        raise TvParam("4000", f"{name} must be one of {choices}")
    return value


def voice_speed(body: dict[str, Any]) -> None:
    """``voiceSpeed``, where given, is within 0.8-1.2."""
    speed = body.get("voiceSpeed")
    if speed is None:
        return
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0.8 <= speed <= 1.2:
        raise TvParam("4000", "voiceSpeed must be within [0.8, 1.2]")


def mask(files: Mapping[str, FakeFile], body: dict[str, Any], mask: str, image: str) -> None:
    """A mask, where given, comes with its image and has its size."""
    m = file_of(files, body, mask, IMAGES)
    if m is None:
        return
    i = file_of(files, body, image, IMAGES)
    if i is None:
        raise TvParam("4003", f"{image} cannot be null when {mask} is given")
    if m.dims is not None and i.dims is not None and m.dims != i.dims:
        raise TvParam("4000", f"{mask} must be consistent with the size of {image}")
