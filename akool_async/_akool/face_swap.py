"""Face swap: v3 faces into an image or a video, v4 image to image.

The create bodies spell the lists ``sourceImage``/``targetImage`` and the v3 target
``modifyImage``/``modifyVideo``; the status of every face-swap job is read in batches at
``faceswap/result/listbyids``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attrs import Attribute, field, frozen

from .._converter import join_path, register_structure_hook, register_structure_hook_func
from .._errors import ValidationError
from .._family import Family
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import fail, http_url, optional_bool, optional_http_url, optional_text
from ._common import FACESWAP_STATUS, akool_family

__all__ = ["FAMILIES_PART", "FaceSwap", "FaceSwapRequest", "FaceSwapV3Request", "SwapImage"]


def _swap_images(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple | list) or not value:
        fail(attribute, "must be a non-empty list of images")
    assert isinstance(value, tuple | list)
    for i, item in enumerate(value):
        if not isinstance(item, SwapImage):
            fail(attribute, f"item {i} must be a SwapImage")


@frozen(slots=True, kw_only=True)
class SwapImage:
    """One face for face swap: an image URL and, for v3, the face landmarks (``opts``)."""

    path: str = field(validator=http_url)
    opts: str | None = field(default=None, validator=optional_text)


@frozen(slots=True, kw_only=True)
class FaceSwapRequest:
    """Body of the face-swap endpoints (v3 specifyimage/specifyvideo, v4 faceswapByImage).

    ``modify_url`` is the image or video the faces are swapped into (v3); v4 takes only
    ``source_image`` and ``target_image``.
    """

    source_image: tuple[SwapImage, ...] = field(validator=_swap_images)
    target_image: tuple[SwapImage, ...] = field(validator=_swap_images)
    modify_url: str | None = field(default=None, validator=optional_http_url)
    face_enhance: bool | None = field(default=None, validator=optional_bool)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class FaceSwapV3Request(FaceSwapRequest):
    """Body of the v3 face-swap endpoints: ``modify_url`` (the image or video) is required."""

    modify_url: str = field(validator=http_url)


_FS_RENAMES = {"source_image": "sourceImage", "target_image": "targetImage"}


def _faceswap(
    name: str, path: str, request_type: type[Any], modify: str | None, duration: float, suffix: str
) -> Family:
    renames = {**_FS_RENAMES, "modify_url": modify} if modify else _FS_RENAMES
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
    _faceswap(
        "faceswap_image",
        "/api/open/v3/faceswap/highquality/specifyimage",
        FaceSwapV3Request,
        "modifyImage",
        20.0,
        ".png",
    ),
    _faceswap(
        "faceswap_video",
        "/api/open/v3/faceswap/highquality/specifyvideo",
        FaceSwapV3Request,
        "modifyVideo",
        120.0,
        ".mp4",
    ),
    _faceswap(
        "faceswap_v4", "/api/open/v4/faceswap/faceswapByImage", FaceSwapRequest, None, 20.0, ".png"
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


def _structure_swaps(value: Any, _type: Any) -> tuple[SwapImage, ...]:
    # A string is iterable too: without this check "https://..." became one image per letter.
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(
            "", f"must be a list of image URLs or {{path, opts}}, got {type(value).__name__}"
        )
    out = []
    for i, item in enumerate(value):
        try:
            out.append(_structure_swap(item, SwapImage))
        except ValidationError as exc:
            raise ValidationError(join_path(f"[{i}]", exc.field), exc.problem) from None
    return tuple(out)


register_structure_hook(SwapImage, _structure_swap)
register_structure_hook_func(lambda t: t == tuple[SwapImage, ...], _structure_swaps)


def _images(field: str, value: Sequence[str | SwapImage]) -> tuple[SwapImage, ...]:
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


class FaceSwap(Resource):
    """Face swap: v3 into an image or a video, or v4 image to image."""

    _family_name = "faceswap_image"

    async def image(
        self,
        *,
        source_image: Sequence[str | SwapImage],
        target_image: Sequence[str | SwapImage],
        modify_image: str,
        face_enhance: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """v3 ``specifyimage``: swap ``source_image`` faces onto ``target_image`` faces found in
        ``modify_image``."""
        req = FaceSwapV3Request(
            source_image=_images("source_image", source_image),
            target_image=_images("target_image", target_image),
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
        face_enhance: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """v3 ``specifyvideo``: swap faces in ``modify_video``."""
        req = FaceSwapV3Request(
            source_image=_images("source_image", source_image),
            target_image=_images("target_image", target_image),
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
        face_enhance: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """v4 ``faceswapByImage`` (single face, no landmarks needed)."""
        req = FaceSwapRequest(
            source_image=_images("source_image", source_image),
            target_image=_images("target_image", target_image),
            face_enhance=face_enhance,
            webhook_url=webhook_url,
        )
        return await self._create_one("faceswap_v4", req, max_wait)
