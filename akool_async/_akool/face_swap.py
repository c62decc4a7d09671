"""Face swap: v3 faces into an image or a video, v4 Face Swap Pro (image to image) and Face
Swap Plus (multi-face, image or video), and deleting results.

The v3 and Pro bodies spell the lists ``sourceImage``/``targetImage`` (``[{path, opts}]``, the
``opts`` being face landmarks from face detection) and the v3 target ``modifyImage`` or
``modifyVideo``; v3 takes ``face_enhance`` as 0/1, v4 as a boolean. Every face-swap job is
polled in batches at ``faceswap/result/listbyids``.
(``openapi/faceswap.yaml``, ``faceswap/*.mdx``)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attrs import Attribute, field, frozen

from .._converter import (
    build_request,
    join_path,
    register_structure_hook,
    register_structure_hook_func,
)
from .._errors import ValidationError
from .._family import Family
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    fail,
    http_url,
    one_of,
    optional_bool,
    optional_http_url,
    optional_text,
)
from ._common import FACESWAP_STATUS, akool_family

__all__ = [
    "FAMILIES_PART",
    "FaceInfo",
    "FaceMapping",
    "FaceSwap",
    "FaceSwapPlusRequest",
    "FaceSwapRequest",
    "FaceSwapV3Request",
    "SwapImage",
    "faceswap_family",
    "swap_images",
    "swap_list",
]

#: Face Swap Pro takes at most this many faces per list.
PRO_MAX_FACES = 50
_MODEL_STYLES = ("realistic", "beautify", "lossless")


def _non_empty_list(item_type: type[Any], *, optional: bool = False) -> Any:
    """Validator factory: a non-empty list of ``item_type`` (or None when ``optional``)."""
    name = item_type.__name__

    def check(_inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, tuple | list) or not value:
            fail(attribute, f"must be a non-empty list of {name}")
        assert isinstance(value, tuple | list)
        for i, item in enumerate(value):
            if not isinstance(item, item_type):
                fail(attribute, f"item {i} must be a {name}")

    return check


def _zero_one(value: bool | int | None) -> int | None:
    # v3 takes 0/1; a caller's True/False means the same thing.
    if value is True or value is False:
        return int(value)
    return value


@frozen(slots=True, kw_only=True)
class SwapImage:
    """One face for face swap: an image URL and its landmarks (``opts``) from face detection."""

    path: str = field(validator=http_url)
    opts: str | None = field(default=None, validator=optional_text)


#: Validator: a non-empty list of :class:`SwapImage`.
swap_list = _non_empty_list(SwapImage)


def _same_length(source: Sequence[SwapImage], target: Sequence[SwapImage]) -> None:
    if len(source) != len(target):
        raise ValidationError(
            "target_image",
            f"must pair one to one with source_image ({len(source)} faces), got {len(target)}",
        )


def _opts_when_several(source: Sequence[SwapImage], target: Sequence[SwapImage]) -> None:
    """The spec's ``FaceImageWithOpts`` rule (v3 and Pro): once either list holds more than
    one face, every face of both lists needs its ``opts``."""
    if len(source) > 1 or len(target) > 1:
        for name, faces in (("source_image", source), ("target_image", target)):
            for i, face in enumerate(faces):
                if face.opts is None:
                    raise ValidationError(
                        f"{name}[{i}].opts", "is required when a list has several faces"
                    )


@frozen(slots=True, kw_only=True)
class FaceSwapV3Request:
    """Body of v3 ``specifyimage``/``specifyvideo``: faces into ``modify_url`` (the image or
    video), every face with its ``opts`` once a list holds several; ``face_enhance`` is 0
    (classic model) or 1 (HD), True/False accepted."""

    source_image: tuple[SwapImage, ...] = field(validator=swap_list)
    target_image: tuple[SwapImage, ...] = field(validator=swap_list)
    modify_url: str = field(validator=http_url)
    face_enhance: int | None = field(default=None, converter=_zero_one, validator=one_of(0, 1))
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        _same_length(self.source_image, self.target_image)
        _opts_when_several(self.source_image, self.target_image)


@frozen(slots=True, kw_only=True)
class FaceSwapRequest:
    """Body of v4 ``faceswapByImage`` (Face Swap Pro): 1-50 face pairs; every face needs its
    ``opts`` once either list holds more than one."""

    source_image: tuple[SwapImage, ...] = field(validator=swap_list)
    target_image: tuple[SwapImage, ...] = field(validator=swap_list)
    model_name: str | None = field(default=None, validator=one_of("akool_faceswap_image_hq"))
    face_enhance: bool | None = field(default=None, validator=optional_bool)
    single_face_mode: bool | None = field(default=None, validator=optional_bool)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        for name, faces in (
            ("source_image", self.source_image),
            ("target_image", self.target_image),
        ):
            if len(faces) > PRO_MAX_FACES:
                raise ValidationError(
                    name, f"takes at most {PRO_MAX_FACES} faces, got {len(faces)}"
                )
        _same_length(self.source_image, self.target_image)
        _opts_when_several(self.source_image, self.target_image)


def _bbox(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, tuple | list) or len(value) != 4:
        fail(attribute, "must be four numbers [x1, y1, x2, y2]")
    assert isinstance(value, tuple | list)
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            fail(attribute, f"must be four finite numbers, got {v!r}")


def _bbox_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@frozen(slots=True, kw_only=True)
class FaceInfo:
    """One face of a Face Swap Plus mapping: a face image URL (a crop from face detection) or
    an uploaded image with the face's ``bbox`` ``(x1, y1, x2, y2)``."""

    face_url: str | None = field(default=None, validator=optional_http_url)
    bbox: tuple[float, ...] | None = field(default=None, converter=_bbox_tuple, validator=_bbox)

    def __attrs_post_init__(self) -> None:
        if self.face_url is None and self.bbox is None:
            raise ValidationError("face_url", "give face_url, bbox or both")


def _face_info(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, FaceInfo):
        fail(attribute, "must be a FaceInfo")


@frozen(slots=True, kw_only=True)
class FaceMapping:
    """A Face Swap Plus pair: the new face (``source_face_info``, its ``face_url`` required)
    and the face it replaces in the target (``target_face_info``)."""

    source_face_info: FaceInfo = field(validator=_face_info)
    target_face_info: FaceInfo = field(validator=_face_info)

    def __attrs_post_init__(self) -> None:
        if self.source_face_info.face_url is None:
            raise ValidationError("source_face_info.face_url", "is required")


@frozen(slots=True, kw_only=True)
class FaceSwapPlusRequest:
    """Body of v4 ``faceswapPlusByImage`` (Face Swap Plus): ``target_url`` is an image or a
    video; ``face_mapping`` pairs the faces unless ``single_face_mode`` is on."""

    source_url: str = field(validator=http_url)
    target_url: str = field(validator=http_url)
    face_mapping: tuple[FaceMapping, ...] | None = field(
        default=None, validator=_non_empty_list(FaceMapping, optional=True)
    )
    single_face_mode: bool | None = field(default=None, validator=optional_bool)
    model_style: str | None = field(default=None, validator=one_of(*_MODEL_STYLES))
    face_enhance: bool | None = field(default=None, validator=optional_bool)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        if self.single_face_mode is not True and not self.face_mapping:
            raise ValidationError("face_mapping", "is required unless single_face_mode is true")


_FS_RENAMES = {"source_image": "sourceImage", "target_image": "targetImage"}


def faceswap_family(
    name: str,
    path: str,
    request_type: type[Any],
    modify: str | None,
    duration: float,
    suffix: str,
    renames: Mapping[str, str] = _FS_RENAMES,
) -> Family:
    """A family polled at ``listbyids``; ``modify`` is its spelling of ``modify_url``."""
    if modify:
        renames = {**renames, "modify_url": modify}
    return akool_family(
        name,
        path,
        request_type,
        FACESWAP_STATUS,
        status_field="faceswap_status",
        result_field="url",
        webhook_type="faceswap",
        renames=renames,
        typical_duration=duration,
        result_suffix=suffix,
    )


FAMILIES_PART = (
    faceswap_family(
        "faceswap_image",
        "/api/open/v3/faceswap/highquality/specifyimage",
        FaceSwapV3Request,
        "modifyImage",
        20.0,
        ".png",
    ),
    faceswap_family(
        "faceswap_video",
        "/api/open/v3/faceswap/highquality/specifyvideo",
        FaceSwapV3Request,
        "modifyVideo",
        120.0,
        ".mp4",
    ),
    faceswap_family(
        "faceswap_v4", "/api/open/v4/faceswap/faceswapByImage", FaceSwapRequest, None, 20.0, ".png"
    ),
    faceswap_family(
        "faceswap_plus",
        "/api/open/v4/faceswap/faceswapPlusByImage",
        FaceSwapPlusRequest,
        None,
        60.0,
        ".png",
        renames={},
    ),
)


# The converter hooks below name fields relative to the value they structure ("" is the value
# itself); build_request prefixes the attribute and index, e.g. ``source_image[0].path``.


def _structure_swap(value: Any, _type: Any) -> SwapImage:
    if isinstance(value, SwapImage):
        return value
    if isinstance(value, str):
        return SwapImage(path=value)
    if isinstance(value, Mapping):
        extra = set(value) - {"path", "opts"}
        if extra:
            raise ValidationError(str(sorted(map(str, extra))[0]), "unknown field")
        return SwapImage(path=value.get("path"), opts=value.get("opts"))  # type: ignore[arg-type]
    raise ValidationError("", f"must be a URL or {{path, opts}}, got {type(value).__name__}")


def _structure_list(value: Any, item: Any, what: str) -> tuple[Any, ...]:
    """``value`` as a tuple of ``item(v)``; errors name the index (``[2].path``)."""
    # A string is iterable too: without this check "https://..." became one image per letter.
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError("", f"must be a list of {what}, got {type(value).__name__}")
    out = []
    for i, v in enumerate(value):
        try:
            out.append(item(v, None))
        except ValidationError as exc:
            raise ValidationError(join_path(f"[{i}]", exc.field), exc.problem) from None
    return tuple(out)


def _structure_swaps(value: Any, _type: Any) -> tuple[SwapImage, ...]:
    return _structure_list(value, _structure_swap, "image URLs or {path, opts}")


def _structure_mapping(value: Any, _type: Any) -> FaceMapping:
    if isinstance(value, FaceMapping):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError("", f"must be a face mapping object, got {type(value).__name__}")
    infos: dict[str, FaceInfo] = {}
    for key in value:
        if key not in ("source_face_info", "target_face_info"):
            raise ValidationError(str(key), "unknown field")
    for key in ("source_face_info", "target_face_info"):
        info = value.get(key)
        if isinstance(info, FaceInfo):
            infos[key] = info
        elif isinstance(info, Mapping):
            try:
                infos[key] = build_request(FaceInfo, info)
            except ValidationError as exc:
                raise ValidationError(join_path(key, exc.field), exc.problem) from None
        else:
            raise ValidationError(key, "must be an object with face_url and/or bbox")
    return FaceMapping(**infos)


def _structure_mappings(value: Any, _type: Any) -> tuple[FaceMapping, ...]:
    return _structure_list(value, _structure_mapping, "face mappings")


register_structure_hook(SwapImage, _structure_swap)
register_structure_hook_func(lambda t: t == tuple[SwapImage, ...], _structure_swaps)
register_structure_hook_func(lambda t: t == tuple[FaceMapping, ...], _structure_mappings)


def swap_images(field: str, value: Sequence[str | SwapImage]) -> tuple[SwapImage, ...]:
    """A resource argument as faces: URLs become :class:`SwapImage` (errors name ``field``)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValidationError(field, "must be a list of image URLs or SwapImage")
    out = []
    for i, v in enumerate(value):
        try:
            out.append(v if isinstance(v, SwapImage) else SwapImage(path=v))
        except ValidationError as exc:
            # Name the list and the item, not SwapImage's own ``path``.
            raise ValidationError(f"{field}[{i}].{exc.field}", exc.problem) from None
    return tuple(out)


def _mappings(value: Sequence[FaceMapping | Mapping[str, Any]] | None) -> Any:
    if value is None or (isinstance(value, tuple | list) and not value):
        return value
    try:
        return _structure_mappings(value, None)
    except ValidationError as exc:
        raise ValidationError(join_path("face_mapping", exc.field), exc.problem) from None


def _ids_text(ids: Sequence[str]) -> str:
    if isinstance(ids, str) or not isinstance(ids, Sequence) or not ids:
        raise ValidationError("ids", "must be a non-empty list of job ids")
    for i, ident in enumerate(ids):
        if not isinstance(ident, str) or not ident.strip() or "," in ident:
            raise ValidationError(f"ids[{i}]", "must be a job id (text without commas)")
    return ",".join(i.strip() for i in ids)


class FaceSwap(Resource):
    """Face swap: v3 into an image or a video, v4 Pro (image) and Plus (image or video)."""

    _family_name = "faceswap_image"

    async def image(
        self,
        *,
        source_image: Sequence[str | SwapImage],
        target_image: Sequence[str | SwapImage],
        modify_image: str,
        face_enhance: bool | int | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """v3 ``specifyimage``: swap ``source_image`` faces onto the ``target_image`` faces
        found in ``modify_image`` (pairs in order; ``opts`` on every face once there are
        several); ``face_enhance`` 0/1 (or a bool)."""
        req = FaceSwapV3Request(
            source_image=swap_images("source_image", source_image),
            target_image=swap_images("target_image", target_image),
            modify_url=modify_image,
            face_enhance=face_enhance,
            webhook_url=webhook_url,
        )
        return await self._create_one("faceswap_image", req, max_wait)

    async def video(
        self,
        *,
        source_image: Sequence[str | SwapImage],
        target_image: Sequence[str | SwapImage],
        modify_video: str,
        face_enhance: bool | int | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """v3 ``specifyvideo``: swap faces in ``modify_video``."""
        req = FaceSwapV3Request(
            source_image=swap_images("source_image", source_image),
            target_image=swap_images("target_image", target_image),
            modify_url=modify_video,
            face_enhance=face_enhance,
            webhook_url=webhook_url,
        )
        return await self._create_one("faceswap_video", req, max_wait)

    async def v4(
        self,
        *,
        source_image: Sequence[str | SwapImage],
        target_image: Sequence[str | SwapImage],
        model_name: str | None = None,
        face_enhance: bool | None = None,
        single_face_mode: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Face Swap Pro (v4 ``faceswapByImage``): 1-50 pairs; ``opts`` on every face once a
        list holds more than one."""
        req = FaceSwapRequest(
            source_image=swap_images("source_image", source_image),
            target_image=swap_images("target_image", target_image),
            model_name=model_name,
            face_enhance=face_enhance,
            single_face_mode=single_face_mode,
            webhook_url=webhook_url,
        )
        return await self._create_one("faceswap_v4", req, max_wait)

    async def plus(
        self,
        *,
        source_url: str,
        target_url: str,
        face_mapping: Sequence[FaceMapping | Mapping[str, Any]] | None = None,
        single_face_mode: bool | None = None,
        model_style: str | None = None,
        face_enhance: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Face Swap Plus (v4 ``faceswapPlusByImage``, Akool's recommended face swap) into an
        image or a video; ``face_mapping`` unless ``single_face_mode``; ``model_style``
        realistic, beautify or lossless."""
        req = FaceSwapPlusRequest(
            source_url=source_url,
            target_url=target_url,
            face_mapping=_mappings(face_mapping),
            single_face_mode=single_face_mode,
            model_style=model_style,
            face_enhance=face_enhance,
            webhook_url=webhook_url,
        )
        return await self._create_one("faceswap_plus", req, max_wait)

    async def delete(self, ids: Sequence[str]) -> None:
        """Delete face-swap (and reage) results by job id (``result/delbyids``); irreversible."""
        joined = _ids_text(ids)
        self._session._check_open()
        await self._session.transport.request(
            "POST", "/api/open/v3/faceswap/result/delbyids", json_body={"_ids": joined}
        )
