"""TopView's task families: one table says how each is submitted and queried.

Names carry a ``topview_`` prefix so a batch manifest mixing Akool and TopView rows names every
family unambiguously. Queries are single-id GETs with ``?taskId=``.

The docs disagree on the query paths: the endpoint pages say ``.../result`` for the product-avatar
and common tasks and ``.../query`` for video avatar, while the overview says ``.../query``
everywhere. The table holds the endpoint pages' path; :func:`alternate_query_path` gives the other
spelling, which the session tries once when the first answers HTTP 404, and then remembers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .._families import Family, StatusEndpoint
from ._models import (
    ImageToVideoRequest,
    ProductImageToVideoRequest,
    ProductReplaceRequest,
    TextToImageRequest,
    TextToVideoRequest,
    VideoAvatarRequest,
)

__all__ = [
    "BIZ_TYPES",
    "TOPVIEW_FAMILIES",
    "alternate_query_path",
    "family_for_biz_type",
]


def _q(path: str) -> StatusEndpoint:
    return StatusEndpoint(path, "GET", id_param="taskId", batch=False)


def _family(
    name: str,
    prefix: str,
    request_type: type[object],
    biz_type: str,
    query: str,
    *,
    duration: float,
    suffix: str,
) -> Family:
    return Family(
        name,
        f"{prefix}/submit",
        request_type,
        _q(f"{prefix}/{query}"),
        status_field="status",
        result_field="url",
        webhook_key="noticeUrl",
        webhook_type=biz_type,
        typical_duration=duration,
        result_suffix=suffix,
    )


TOPVIEW_FAMILIES: Final[Mapping[str, Family]] = {
    f.name: f
    for f in (
        _family(
            "topview_product_replace",
            "/v1/product_avatar/task/image_replace",
            ProductReplaceRequest,
            "PRODUCT_AVATAR_REPLACE_PRODUCT_IMAGE",
            "result",
            duration=60.0,
            suffix=".jpg",
        ),
        _family(
            "topview_product_image2video",
            "/v1/product_avatar/task/image2Video",
            ProductImageToVideoRequest,
            "PRODUCT_AVATAR_IMAGE2VIDEO",
            "result",
            duration=180.0,
            suffix=".mp4",
        ),
        _family(
            "topview_video_avatar",
            "/v1/video_avatar/task",
            VideoAvatarRequest,
            "ZERO_SHOT_AVATAR",
            "query",
            duration=180.0,
            suffix=".mp4",
        ),
        _family(
            "topview_image2video",
            "/v1/common_task/image2video",
            ImageToVideoRequest,
            "COMMON_TASK_IMAGE2VIDEO",
            "result",
            duration=120.0,
            suffix=".mp4",
        ),
        _family(
            "topview_text2video",
            "/v1/common_task/text2video",
            TextToVideoRequest,
            "COMMON_TASK_TEXT2VIDEO",
            "result",
            duration=120.0,
            suffix=".mp4",
        ),
        _family(
            "topview_text2image",
            "/v1/common_task/text2image",
            TextToImageRequest,
            "COMMON_TASK_TEXT2IMAGE",
            "result",
            duration=30.0,
            suffix=".png",
        ),
    )
}

#: Callback ``bizType`` -> family name (the bizTypes of the families this SDK submits).
BIZ_TYPES: Final[Mapping[str, str]] = {f.webhook_type: f.name for f in TOPVIEW_FAMILIES.values()}


def family_for_biz_type(biz_type: str) -> Family | None:
    """The family a callback's ``bizType`` belongs to, None for one this SDK does not submit."""
    name = BIZ_TYPES.get(biz_type)
    return None if name is None else TOPVIEW_FAMILIES[name]


def alternate_query_path(path: str) -> str | None:
    """The other documented spelling of a query path (``.../result`` <-> ``.../query``)."""
    head, _, last = path.rpartition("/")
    if last == "result":
        return f"{head}/query"
    if last == "query":
        return f"{head}/result"
    return None
