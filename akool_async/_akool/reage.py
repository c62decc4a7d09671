"""Reage: make the faces of an image or a video older or younger (v3 ``imgreage``/``vidreage``).

The bodies take the faces found in the media as ``targetImage`` (``[{path, opts}]``, as face
swap), ``face_reage`` from -30 to 30 and ``modifyImage`` or ``modifyVideo``; the jobs are polled
with face swap's at ``faceswap/result/listbyids`` (``reage.mdx``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import Attribute, field, frozen

from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import fail, http_url, int_range, optional_http_url
from .face_swap import SwapImage, faceswap_family, swap_images, swap_list

__all__ = ["FAMILIES_PART", "Reage", "ReageRequest"]

_AGE_RANGE = int_range(-30, 30)


def _face_reage(inst: object, attribute: Attribute[Any], value: object) -> None:
    if value is None:
        fail(attribute, "is required (-30 to 30)")
    _AGE_RANGE(inst, attribute, value)


@frozen(slots=True, kw_only=True)
class ReageRequest:
    """Body of ``imgreage``/``vidreage``: the faces of ``modify_url`` to age by ``face_reage``."""

    target_image: tuple[SwapImage, ...] = field(validator=swap_list)
    face_reage: int = field(validator=_face_reage)
    modify_url: str = field(validator=http_url)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


FAMILIES_PART = (
    faceswap_family(
        "reage_image",
        "/api/open/v3/faceswap/highquality/imgreage",
        ReageRequest,
        "modifyImage",
        20.0,
        ".png",
        renames={"target_image": "targetImage"},
    ),
    faceswap_family(
        "reage_video",
        "/api/open/v3/faceswap/highquality/vidreage",
        ReageRequest,
        "modifyVideo",
        120.0,
        ".mp4",
        renames={"target_image": "targetImage"},
    ),
)


class Reage(Resource):
    """Age or rejuvenate the faces of an image or a video."""

    _family_name = "reage_image"

    async def image(
        self,
        *,
        target_image: Sequence[str | SwapImage],
        face_reage: int,
        modify_image: str,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Reage the faces ``target_image`` (crops with their ``opts``) of ``modify_image``;
        ``face_reage`` from -30 (younger) to 30 (older)."""
        req = ReageRequest(
            target_image=swap_images("target_image", target_image),
            face_reage=face_reage,
            modify_url=modify_image,
            webhook_url=webhook_url,
        )
        return await self._create_one("reage_image", req, max_wait)

    async def video(
        self,
        *,
        target_image: Sequence[str | SwapImage],
        face_reage: int,
        modify_video: str,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Reage the faces ``target_image`` of ``modify_video``."""
        req = ReageRequest(
            target_image=swap_images("target_image", target_image),
            face_reage=face_reage,
            modify_url=modify_video,
            webhook_url=webhook_url,
        )
        return await self._create_one("reage_video", req, max_wait)
