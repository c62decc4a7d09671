"""The fake's talking-avatar area: ``talkingavatar/create`` (``talking-avatar.mdx``).

The body is ``{width 3840, height 2160, avatar_from 2|3, elements: [...]}``: image elements
(``url`` a link or a ``#RRGGBB`` colour), one avatar element (``avatar_id``, or a ``url`` with
``avatar_from`` 3), an audio element (``url``, or ``input_text`` with ``voice_id``). Image and
avatar elements need ``scale_x``, ``scale_y``, ``offset_x``, ``offset_y``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .._http import ParamError, is_http_url
from .._jobs import FakeJob
from ._common import CreateSpec, derived_hex, opt_choice, opt_url, req_str, video_area, webhook

__all__ = ["AREA"]

_COLOUR: Final = re.compile(r"#[0-9A-Fa-f]{6}")
_PLACED: Final = ("scale_x", "scale_y", "offset_x", "offset_y")


def _number(item: dict[str, Any], name: str, where: str, *, required: bool) -> None:
    value = item.get(name)
    if value is None:
        if required:
            raise ParamError(f"{where}.{name} is required")
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(f"{where}.{name} must be a number")


def _element(item: Any, where: str, avatar_from: int) -> str:
    if not isinstance(item, dict):
        raise ParamError(f"{where} must be an object")
    kind = item.get("type")
    if kind not in ("image", "avatar", "audio"):
        raise ParamError(f"{where}.type must be avatar, image or audio")
    if kind in ("image", "avatar"):
        for name in _PLACED:
            _number(item, name, where, required=True)
        _number(item, "width", where, required=False)
        _number(item, "height", where, required=False)
    if kind == "image":
        url = item.get("url")
        if not isinstance(url, str) or not (is_http_url(url) or _COLOUR.fullmatch(url)):
            raise ParamError(f"{where}.url must be an http(s) url or a #RRGGBB colour")
    elif kind == "avatar":
        url = opt_url(item, "url")
        if avatar_from == 2:
            req_str(item, "avatar_id")
        elif url is None and not item.get("avatar_id"):
            raise ParamError(f"{where}.url is required when avatar_from is 3")
    else:
        url = opt_url(item, "url")
        if url is None:
            req_str(item, "input_text")
            req_str(item, "voice_id")
    return str(kind)


def _talking_avatar(body: dict[str, Any]) -> CreateSpec:
    for name, size in (("width", 3840), ("height", 2160)):
        if body.get(name) is None:
            raise ParamError(f"{name} is required")
        opt_choice(body, name, (size,))
    avatar_from = body.get("avatar_from")
    if avatar_from is None:
        raise ParamError("avatar_from is required")
    opt_choice(body, "avatar_from", (2, 3))
    elements = body.get("elements")
    if not isinstance(elements, list) or not elements:
        raise ParamError("elements is required")
    kinds = [_element(e, f"elements[{i}]", avatar_from) for i, e in enumerate(elements)]
    if kinds.count("avatar") != 1:
        raise ParamError("elements must hold one avatar element")
    if "audio" not in kinds:
        raise ParamError("elements must hold an audio element")
    return CreateSpec("talking_avatar", ("",), webhook(body))


def _fields(job: FakeJob, status: int, now: float) -> dict[str, Any]:
    return {"task_id": derived_hex(job.id, "task", 24)}


AREA = video_area("/api/open/v3/talkingavatar/create", _talking_avatar, "talking_avatar", _fields)
