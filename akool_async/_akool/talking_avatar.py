"""Talking avatar: an avatar that speaks text or an audio file (``talkingavatar/create``).

The body is a 3840x2160 canvas of elements (``talking-avatar.mdx``): ``{width, height,
avatar_from, elements: [image | avatar | audio], webhookUrl}``. ``avatar_from`` is 2 for Akool's
avatars (the avatar list's ``from``) and 3 for your own (an avatar URL, or an uploaded avatar).
The shortcut fields (``avatar_id``, ``avatar_url``, ``input_text`` + ``voice_id`` or
``audio_url``, ``background_url``) build those elements; they are never sent themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
from attrs import Attribute, field, frozen

from .._converter import join_path, register_structure_hook_func
from .._errors import ValidationError
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    check_http_url,
    fail,
    float_range,
    int_range,
    one_of,
    optional_http_url,
    optional_text,
)
from ._common import akool_family

__all__ = [
    "CANVAS",
    "FAMILIES_PART",
    "AudioElement",
    "AvatarElement",
    "ImageElement",
    "TalkingAvatar",
    "TalkingAvatarElement",
    "TalkingAvatarRequest",
]

#: The canvas the page requires: width 3840, height 2160.
CANVAS: Final = (3840, 2160)
_CENTRE: Final = (CANVAS[0] // 2, CANVAS[1] // 2)
_HEX_COLOUR: Final = re.compile(r"#[0-9A-Fa-f]{6}")

_size = int_range(1, 7680)
_offset = int_range(-7680, 7680)
_scale = float_range(0.01, 100.0)


def _image_url(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, str) and _HEX_COLOUR.fullmatch(value):
        return
    try:
        check_http_url(attribute.name, value)
    except ValidationError:
        fail(attribute, "must be an http(s) image URL or a colour like #1A2B3C")


@frozen(slots=True, kw_only=True)
class _Placed:
    """Where an image or the avatar sits on the canvas.

    Offsets place the element as the page's example does (both example elements sit at the
    canvas centre, 1920/1080); scales default to 1.
    """

    width: int | None = field(default=None, validator=_size)
    height: int | None = field(default=None, validator=_size)
    scale_x: float = field(default=1, validator=_scale)
    scale_y: float = field(default=1, validator=_scale)
    offset_x: int = field(default=_CENTRE[0], validator=_offset)
    offset_y: int = field(default=_CENTRE[1], validator=_offset)


@frozen(slots=True, kw_only=True)
class ImageElement(_Placed):
    """An image (or a plain colour, ``#RRGGBB``) on the canvas, e.g. the background."""

    url: str = field(validator=_image_url)
    type: str = field(default="image", validator=one_of("image"))


@frozen(slots=True, kw_only=True)
class AvatarElement(_Placed):
    """The avatar: ``avatar_id`` from the avatar list, or your own avatar's ``url``."""

    avatar_id: str | None = field(default=None, validator=optional_text)
    url: str | None = field(default=None, validator=optional_http_url)
    type: str = field(default="avatar", validator=one_of("avatar"))

    def __attrs_post_init__(self) -> None:
        if self.avatar_id is None and self.url is None:
            raise ValidationError("avatar_id", "give avatar_id or the avatar's url")


@frozen(slots=True, kw_only=True)
class AudioElement:
    """What the avatar says: an audio ``url``, or ``input_text`` spoken with ``voice_id``."""

    url: str | None = field(default=None, validator=optional_http_url)
    input_text: str | None = field(default=None, validator=optional_text)
    voice_id: str | None = field(default=None, validator=optional_text)
    type: str = field(default="audio", validator=one_of("audio"))

    def __attrs_post_init__(self) -> None:
        if (self.input_text is None) != (self.voice_id is None):
            missing = "voice_id" if self.voice_id is None else "input_text"
            raise ValidationError(missing, "input_text and voice_id go together")
        if self.url is None and self.input_text is None:
            raise ValidationError("input_text", "give input_text + voice_id, or an audio url")


#: One element of a talking-avatar canvas.
TalkingAvatarElement = ImageElement | AvatarElement | AudioElement
_ELEMENT_TYPES: Final[Mapping[str, type[Any]]] = {
    "image": ImageElement,
    "avatar": AvatarElement,
    "audio": AudioElement,
}


def _elements(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not all(
        isinstance(e, ImageElement | AvatarElement | AudioElement) for e in value
    ):
        fail(attribute, "must be a list of ImageElement, AvatarElement and AudioElement")


_SHORTCUTS: Final = ("avatar_id", "avatar_url", "input_text", "voice_id", "audio_url")


@frozen(slots=True, kw_only=True)
class TalkingAvatarRequest:
    """Body of ``talkingavatar/create``: the canvas, ``avatar_from`` and its ``elements``.

    Give ``elements`` (full control), or the shortcut fields: ``avatar_id`` or ``avatar_url``,
    ``input_text`` + ``voice_id`` or ``audio_url``, and optionally ``background_url``; they are
    turned into elements (the avatar full height at the centre, the background over the whole
    canvas) and are not sent themselves.
    """

    width: int = field(default=CANVAS[0], validator=one_of(CANVAS[0]))
    height: int = field(default=CANVAS[1], validator=one_of(CANVAS[1]))
    avatar_from: int | None = field(default=None, validator=one_of(2, 3))
    elements: tuple[TalkingAvatarElement, ...] = field(default=(), validator=_elements)
    webhook_url: str | None = field(default=None, validator=optional_http_url)
    avatar_id: str | None = field(default=None, validator=optional_text, repr=False)
    avatar_url: str | None = field(default=None, validator=optional_http_url, repr=False)
    input_text: str | None = field(default=None, validator=optional_text, repr=False)
    voice_id: str | None = field(default=None, validator=optional_text, repr=False)
    audio_url: str | None = field(default=None, validator=optional_http_url, repr=False)
    background_url: str | None = field(default=None, validator=optional_text, repr=False)

    def __attrs_post_init__(self) -> None:
        given = [name for name in (*_SHORTCUTS, "background_url") if getattr(self, name)]
        elements = self.elements
        if given and elements:
            raise ValidationError("elements", f"give elements or {given[0]}, not both")
        if not elements:
            elements = _shortcut_elements(self)
        avatar_from = self.avatar_from
        avatars = [e for e in elements if isinstance(e, AvatarElement)]
        if avatar_from is None:
            avatar_from = 3 if avatars and avatars[0].avatar_id is None else 2
        _check_elements(elements, avatar_from)
        # Frozen: the shortcuts are folded into the elements once, here, and never sent.
        object.__setattr__(self, "elements", elements)
        object.__setattr__(self, "avatar_from", avatar_from)
        for name in (*_SHORTCUTS, "background_url"):
            object.__setattr__(self, name, None)


def _shortcut_elements(req: TalkingAvatarRequest) -> tuple[TalkingAvatarElement, ...]:
    if req.avatar_id is None and req.avatar_url is None:
        raise ValidationError("avatar_id", "is required (or avatar_url, or elements)")
    out: list[TalkingAvatarElement] = []
    if req.background_url is not None:
        try:
            out.append(ImageElement(url=req.background_url, width=CANVAS[0], height=CANVAS[1]))
        except ValidationError as exc:
            raise ValidationError("background_url", exc.problem) from None
    side = CANVAS[1]
    out.append(AvatarElement(avatar_id=req.avatar_id, url=req.avatar_url, width=side, height=side))
    if req.audio_url is None and req.input_text is None and req.voice_id is None:
        raise ValidationError("input_text", "give input_text + voice_id, or audio_url")
    out.append(AudioElement(url=req.audio_url, input_text=req.input_text, voice_id=req.voice_id))
    return tuple(out)


def _check_elements(elements: Sequence[TalkingAvatarElement], avatar_from: int) -> None:
    avatars = [e for e in elements if isinstance(e, AvatarElement)]
    if len(avatars) != 1:
        raise ValidationError("elements", f"need exactly one avatar element, got {len(avatars)}")
    if not any(isinstance(e, AudioElement) for e in elements):
        raise ValidationError("elements", "need an audio element")
    if avatar_from == 2 and avatars[0].avatar_id is None:
        raise ValidationError("avatar_id", "is required for avatar_from 2 (Akool's avatars)")


def _structure_element(value: Any, _type: Any) -> TalkingAvatarElement:
    if isinstance(value, ImageElement | AvatarElement | AudioElement):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError("", f"must be an element object, got {type(value).__name__}")
    cls = _ELEMENT_TYPES.get(value.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise ValidationError("type", "must be image, avatar or audio")
    known = {a.name for a in attrs.fields(cls)}
    extra = sorted(str(k) for k in value if k not in known)
    if extra:
        raise ValidationError(extra[0], "unknown field")
    return cls(**value)  # type: ignore[no-any-return]


def _structure_elements(value: Any, _type: Any) -> tuple[TalkingAvatarElement, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError("", f"must be a list of elements, got {type(value).__name__}")
    out = []
    for i, item in enumerate(value):
        try:
            out.append(_structure_element(item, None))
        except ValidationError as exc:
            raise ValidationError(join_path(f"[{i}]", exc.field), exc.problem) from None
    return tuple(out)


register_structure_hook_func(lambda t: t == tuple[TalkingAvatarElement, ...], _structure_elements)


FAMILIES_PART = (
    akool_family(
        "talking_avatar",
        "/api/open/v3/talkingavatar/create",
        TalkingAvatarRequest,
        webhook_type="avatar",
        typical_duration=120.0,
    ),
)


class TalkingAvatar(Resource):
    """An avatar that speaks text or an audio file on a 3840x2160 canvas."""

    _family_name = "talking_avatar"

    async def create(
        self,
        *,
        avatar_id: str | None = None,
        avatar_url: str | None = None,
        input_text: str | None = None,
        voice_id: str | None = None,
        audio_url: str | None = None,
        background_url: str | None = None,
        avatar_from: int | None = None,
        elements: Sequence[TalkingAvatarElement] | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create a talking-avatar video.

        Args:
            avatar_id: an avatar of the avatar list (or one you uploaded).
            avatar_url: your own avatar image or video instead (``avatar_from`` 3).
            input_text: the words to speak, with ``voice_id``; or give ``audio_url``.
            background_url: a background image URL or a colour (``#RRGGBB``).
            avatar_from: 2 (Akool's avatar) or 3 (yours); default: 3 for ``avatar_url``, else 2.
            elements: the canvas elements for full control, instead of the fields above.
        """
        if elements is not None and (
            isinstance(elements, str | bytes | Mapping) or not isinstance(elements, Iterable)
        ):
            raise ValidationError("elements", "must be a list of elements")
        req = TalkingAvatarRequest(
            avatar_from=avatar_from,
            elements=tuple(elements) if elements is not None else (),
            webhook_url=webhook_url,
            avatar_id=avatar_id,
            avatar_url=avatar_url,
            input_text=input_text,
            voice_id=voice_id,
            audio_url=audio_url,
            background_url=background_url,
        )
        return await self._create_one("talking_avatar", req, max_wait)
