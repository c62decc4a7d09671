"""The lists a batch author needs: avatars, voices (v3, v4), AI models, image-to-video effects.

Each list is an async iterator on the session (``async for v in session.voices(version=4)``)
that pages through the endpoint by its own documented parameters and yields typed, frozen
models keeping the item exactly as received in ``raw``. Arguments are checked when the method is
called, before any request. Pages:

- avatars: ``GET /api/open/v3/avatar/list?from=&type=&page=&size=`` (``avatar.mdx``,
  ``talking-avatar.mdx``); the pages show ``data`` as a list, Akool's demo reads
  ``data.result``: both are accepted.
- voices v3: ``GET /api/open/v3/voice/list?from=3|4`` (``audio.mdx``), one answer, no pages.
- voices v4: ``GET /api/open/v4/voice/list?type=1|2&page=&size=...`` -> ``data.result``,
  ``data.count`` (``voiceLab.mdx``).
- AI models: ``GET /api/open/v4/aigModel/list?types[]=1501`` -> ``data`` list (``aimodel.mdx``).
- effects: ``GET /api/open/v4/image2Video/effects`` -> ``data.result`` (``image2video.mdx``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeVar

from attrs import field, frozen

from .._errors import InvalidResponse, ValidationError
from .._jobmodels import int_or_none

if TYPE_CHECKING:
    from .._transport import Transport

__all__ = [
    "AVATAR_LIST",
    "EFFECT_LIST",
    "MODEL_LIST",
    "MODEL_TYPES",
    "VOICE_LIST_V3",
    "VOICE_LIST_V4",
    "AIModel",
    "AkoolLists",
    "Avatar",
    "Effect",
    "ModelResolution",
    "Owner",
    "Voice",
]

AVATAR_LIST: Final = "/api/open/v3/avatar/list"
VOICE_LIST_V3: Final = "/api/open/v3/voice/list"
VOICE_LIST_V4: Final = "/api/open/v4/voice/list"
MODEL_LIST: Final = "/api/open/v4/aigModel/list"
EFFECT_LIST: Final = "/api/open/v4/image2Video/effects"

#: AI model types ``aimodel.mdx`` lists: image to video, text to video, character face swap.
MODEL_TYPES: Final = (1501, 1502, 2101)

#: Whose entries a list yields: Akool's own, the account's own, or (None) both.
Owner = Literal["akool", "mine"]
_AVATAR_FROM: Final = {"akool": "2", "mine": "3"}
_VOICE_V3_FROM: Final = {"akool": "3", "mine": "4"}
_VOICE_V4_TYPE: Final = {"akool": ("2",), "mine": ("1",), None: ("1", "2")}
#: Pages past which a server that ignores ``page`` is taken to repeat itself.
_MAX_PAGES: Final = 10_000


# -- models ----------------------------------------------------------------------------------


@frozen(slots=True)
class Avatar:
    """One avatar: pass ``avatar_id`` to talking avatar.

    Attributes:
        avatar_id: the id creates take; name, url (preview image), gender, thumbnail_url.
        source: ``from`` (2 Akool's, 3 the account's); status: 1-4 where given.
        raw: the list item as received.
    """

    avatar_id: str
    name: str | None = None
    url: str | None = None
    id: str | None = None
    source: int | None = None
    type: int | None = None
    status: int | None = None
    gender: str | None = None
    thumbnail_url: str | None = None
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


@frozen(slots=True)
class Voice:
    """One voice: pass ``voice_id`` to TTS, talking avatar or a translation's ``voices_map``.

    Attributes:
        voice_id: the id creates take; version: the list it came from (3 or 4).
        name, gender, preview (a sample's URL); accent, description (v3); language, locale,
        styles, status, voice_model_name, support_stream (v4); source: v3 ``from`` (3 Akool's,
        4 the account's) / the v4 ``type`` it was listed under (2 Akool's, 1 a clone).
        raw: the list item as received.
    """

    voice_id: str
    version: int
    name: str | None = None
    id: str | None = None
    gender: str | None = None
    preview: str | None = None
    source: int | None = None
    accent: str | None = None
    description: str | None = None
    language: str | None = None
    locale: str | None = None
    styles: tuple[str, ...] = ()
    status: int | None = None
    voice_model_name: str | None = None
    support_stream: bool | None = None
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


@frozen(slots=True)
class ModelResolution:
    """One resolution an AI model offers, with its credit price per unit where given."""

    value: str
    label: str | None = None
    width: int | None = None
    height: int | None = None
    unit_credit: float | None = None


@frozen(slots=True)
class AIModel:
    """One AI model: pass ``value`` as a create's ``model_name``.

    Attributes:
        value: the model id; label, type (1501 ...), provider, group, description.
        resolutions, durations (seconds), max_count; is_pro, requires_pay,
        supported_last_frame, supported_extend_prompt where given.
        raw: the list item as received.
    """

    value: str
    type: int | None = None
    label: str | None = None
    provider: str | None = None
    group: str | None = None
    description: str | None = None
    resolutions: tuple[ModelResolution, ...] = ()
    durations: tuple[int, ...] = ()
    max_count: int | None = None
    is_pro: bool | None = None
    requires_pay: bool | None = None
    supported_last_frame: bool | None = None
    supported_extend_prompt: bool | None = None
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


@frozen(slots=True)
class Effect:
    """One image-to-video effect: pass ``effect_code`` to image to video."""

    effect_code: str
    name: str | None = None
    logo: str | None = None
    video_url: str | None = None
    id: str | None = None
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


# -- reading items (tolerant: a wrong-typed field reads as absent) ----------------------------


def _s(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value else None


def _b(item: Mapping[str, Any], key: str) -> bool | None:
    value = item.get(key)
    return value if isinstance(value, bool) else None


def _i(item: Mapping[str, Any], key: str) -> int | None:
    value = item.get(key)
    return None if isinstance(value, bool) else int_or_none(value)


def _avatar(item: Mapping[str, Any]) -> Avatar | None:
    ident = _s(item, "avatar_id")
    if ident is None:
        return None
    return Avatar(
        ident,
        _s(item, "name"),
        _s(item, "url"),
        _s(item, "_id"),
        _i(item, "from"),
        _i(item, "type"),
        _i(item, "status"),
        _s(item, "gender"),
        _s(item, "thumbnailUrl"),
        item,
    )


def _voice(version: int, kind: int | None = None) -> Callable[[Mapping[str, Any]], Voice | None]:
    def read(item: Mapping[str, Any]) -> Voice | None:
        ident = _s(item, "voice_id")
        if ident is None:
            return None
        styles = item.get("style")
        return Voice(
            ident,
            version,
            name=_s(item, "name"),
            id=_s(item, "_id"),
            gender=_s(item, "gender"),
            preview=_s(item, "preview"),
            source=_i(item, "from") if version == 3 else kind,
            accent=_s(item, "accent"),
            description=_s(item, "description"),
            language=_s(item, "language"),
            locale=_s(item, "locale"),
            styles=tuple(s for s in styles if isinstance(s, str))
            if isinstance(styles, list)
            else (),
            status=_i(item, "status"),
            voice_model_name=_s(item, "voice_model_name"),
            support_stream=_b(item, "support_stream"),
            raw=item,
        )

    return read


def _resolution(item: object) -> ModelResolution | None:
    if not isinstance(item, Mapping) or _s(item, "value") is None:
        return None
    credit = item.get("unit_credit")
    return ModelResolution(
        item["value"],
        _s(item, "label"),
        _i(item, "width"),
        _i(item, "height"),
        float(credit) if isinstance(credit, int | float) and not isinstance(credit, bool) else None,
    )


def _model(item: Mapping[str, Any]) -> AIModel | None:
    value = _s(item, "value")
    if value is None:
        return None
    res = item.get("resolutionList")
    durations = item.get("durationList")
    return AIModel(
        value,
        type=_i(item, "type"),
        label=_s(item, "label"),
        provider=_s(item, "provider"),
        group=_s(item, "group"),
        description=_s(item, "description"),
        resolutions=tuple(r for r in map(_resolution, res) if r is not None)
        if isinstance(res, list)
        else (),
        durations=tuple(d for d in map(int_or_none, durations) if d is not None)
        if isinstance(durations, list)
        else (),
        max_count=_i(item, "maxCount"),
        is_pro=_b(item, "isPro"),
        requires_pay=_b(item, "requiresPay"),
        supported_last_frame=_b(item, "supportedLastFrame"),
        supported_extend_prompt=_b(item, "supportedExtendPrompt"),
        raw=item,
    )


def _effect(item: Mapping[str, Any]) -> Effect | None:
    code = _s(item, "effect_code")
    if code is None:
        return None
    return Effect(
        code, _s(item, "name"), _s(item, "logo"), _s(item, "video_url"), _s(item, "_id"), item
    )


# -- fetching --------------------------------------------------------------------------------


class _Client(Protocol):
    """What a list needs of its session."""

    transport: Transport

    def _check_open(self) -> None: ...


T = TypeVar("T")


def _items(data: Any, path: str) -> tuple[list[Any], int | None]:
    """A page's items (``data`` itself or ``data.result``) and ``data.count`` where given."""
    if isinstance(data, list):
        return data, None
    if isinstance(data, Mapping) and isinstance(data.get("result"), list):
        return data["result"], _i(data, "count")
    raise InvalidResponse("list answer has no item list", endpoint=f"GET {path}")


async def _fetch(
    client: _Client,
    path: str,
    params: Mapping[str, str],
    read: Callable[[Mapping[str, Any]], T | None],
    page_size: int | None = None,
) -> AsyncIterator[T]:
    """Every item of a list, page by page when ``page_size`` is given."""
    page = 1
    previous: list[Any] | None = None
    while True:
        query = dict(params)
        if page_size is not None:
            query.update(page=str(page), size=str(page_size))
        env = await client.transport.request("GET", path, params=query)
        items, count = _items(env.get("data"), path)
        if items == previous:  # the server ignores ``page``: it would repeat forever
            return
        for item in items:
            if isinstance(item, Mapping) and (typed := read(item)) is not None:
                yield typed
        if page_size is None or len(items) < page_size or page >= _MAX_PAGES:
            return
        if count is not None and page * page_size >= count:
            return
        previous, page = items, page + 1


def _check_size(page_size: object) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 1000:
        raise ValidationError("page_size", f"must be an integer in [1, 1000], got {page_size!r}")
    return page_size


def _check_owner(owner: object) -> None:
    if owner not in (None, "akool", "mine"):
        raise ValidationError("owner", f'must be "akool", "mine" or None, got {owner!r}')


def _csv(name: str, values: Sequence[str] | None) -> str | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    if not all(isinstance(v, str) and v.strip() and "," not in v for v in values):
        raise ValidationError(name, "must be non-empty strings without commas")
    return ",".join(values) or None


class AkoolLists:
    """The list methods of the Akool session (each an async iterator)."""

    def avatars(
        self: _Client, *, owner: Owner | None = None, type: int | None = None, page_size: int = 100
    ) -> AsyncIterator[Avatar]:
        """Every avatar (``owner``: ``"akool"``'s, ``"mine"`` uploaded, None both), paged.

        ``type``: 1 talking avatars, 2 streaming avatars, None both (``talking-avatar.mdx``).
        """
        self._check_open()
        _check_owner(owner)
        size = _check_size(page_size)
        params: dict[str, str] = {}
        if owner is not None:
            params["from"] = _AVATAR_FROM[owner]
        if type is not None:
            if type not in (1, 2) or isinstance(type, bool) or not isinstance(type, int):
                raise ValidationError("type", f"must be 1 (talking) or 2 (streaming), got {type!r}")
            params["type"] = str(type)
        return _fetch(self, AVATAR_LIST, params, _avatar, size)

    def voices(
        self: _Client,
        *,
        version: Literal[3, 4] = 4,
        owner: Owner | None = None,
        page_size: int = 100,
        name: str | None = None,
        gender: Sequence[str] | None = None,
        style: Sequence[str] | None = None,
        age: Sequence[str] | None = None,
        scenario: Sequence[str] | None = None,
        support_stream: bool | None = None,
    ) -> AsyncIterator[Voice]:
        """Every voice of the v3 or v4 (VoiceLab) list; ``owner`` as for :meth:`avatars`.

        The filters (name, gender, style, age, scenario, support_stream) and paging are v4's.
        """
        self._check_open()
        _check_owner(owner)
        if version not in (3, 4) or isinstance(version, bool):
            raise ValidationError("version", f"must be 3 or 4, got {version!r}")
        if version == 3:
            given = (name, gender, style, age, scenario, support_stream)
            if any(v is not None for v in given):
                raise ValidationError("version", "filters need the v4 voice list (version=4)")
            v3 = {} if owner is None else {"from": _VOICE_V3_FROM[owner]}
            return _fetch(self, VOICE_LIST_V3, v3, _voice(3))
        size = _check_size(page_size)
        params = {
            key: value
            for key, value in (
                ("name", name),
                ("gender", _csv("gender", gender)),
                ("style", _csv("style", style)),
                ("age", _csv("age", age)),
                ("scenario", _csv("scenario", scenario)),
                ("support_stream", None if support_stream is None else ("2", "1")[support_stream]),
            )
            if value is not None
        }
        return _voices_v4(self, params, _VOICE_V4_TYPE[owner], size)

    def ai_models(self: _Client, *, types: Sequence[int] = (1501,)) -> AsyncIterator[AIModel]:
        """The AI models of each type in ``types`` (1501 image to video, 1502 text to video,
        2101 character face swap), for a create's ``model_name``."""
        self._check_open()
        wanted = list(types) if not isinstance(types, int) else [types]
        if not wanted or any(t not in MODEL_TYPES or isinstance(t, bool) for t in wanted):
            raise ValidationError("types", f"must be one or more of {MODEL_TYPES}, got {types!r}")
        return _models(self, list(dict.fromkeys(wanted)))

    def image_to_video_effects(self: _Client) -> AsyncIterator[Effect]:
        """The effects image to video accepts as ``effect_code``."""
        self._check_open()
        return _fetch(self, EFFECT_LIST, {}, _effect)


async def _voices_v4(
    client: _Client, params: Mapping[str, str], types: Sequence[str], size: int
) -> AsyncIterator[Voice]:
    for kind in types:
        read = _voice(4, int(kind))
        async for voice in _fetch(client, VOICE_LIST_V4, {"type": kind, **params}, read, size):
            yield voice


async def _models(client: _Client, types: Sequence[int]) -> AsyncIterator[AIModel]:
    # One request per type: the page shows ``types[]`` with one value.
    seen: set[str] = set()
    for kind in types:
        async for model in _fetch(client, MODEL_LIST, {"types[]": str(kind)}, _model):
            if model.value not in seen:
                seen.add(model.value)
                yield model
