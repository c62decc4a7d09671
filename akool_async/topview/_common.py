"""What TopView's areas share: the family shape (submit, single-id query, ``noticeUrl``)."""

from __future__ import annotations

from .._family import Family, StatusEndpoint

__all__ = ["topview_family"]


def _q(path: str) -> StatusEndpoint:
    return StatusEndpoint(path, "GET", id_param="taskId", batch=False)


def topview_family(
    name: str,
    prefix: str,
    request_type: type[object],
    biz_type: str,
    query: str,
    *,
    duration: float,
    suffix: str,
) -> Family:
    """A TopView family: ``{prefix}/submit``, queried at ``{prefix}/{query}?taskId=``."""
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
