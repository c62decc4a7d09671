"""What Akool's API areas share: status endpoints, the family defaults, snapshot parsing.

Akool answers ``{"code": 1000, "msg", "data"}``; a status object carries ``_id``, a 1-4 status
in the family's status field, and the result URL in its result field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, Literal

from attrs import field, frozen

from .._family import Family, StatusEndpoint
from .._jobmodels import JobSnapshot, JobStatus, int_or_none, positive_seconds, result_missing

__all__ = [
    "FACESWAP_STATUS",
    "I2V_STATUS",
    "VIDEO_STATUS",
    "Credit",
    "Language",
    "akool_family",
    "family_snapshot",
    "parse_snapshot",
    "snapshot_of",
]

VIDEO_STATUS = StatusEndpoint("/api/open/v3/content/video/infobymodelid", id_param="video_model_id")
FACESWAP_STATUS = StatusEndpoint(
    "/api/open/v3/faceswap/result/listbyids", id_param="_ids", batch=True
)
I2V_STATUS = StatusEndpoint(
    "/api/open/v4/image2Video/resultsByIds", method="POST", id_param="_ids", batch=True
)
#: Where a failed job's reason may be, first found wins (character swap: faceswap_fail_reason).
_REASON_FIELDS = ("error_reason", "error_msg", "faceswap_fail_reason")


def akool_family(
    name: str,
    create_path: str,
    request_type: type[Any],
    status: StatusEndpoint = VIDEO_STATUS,
    *,
    status_field: str = "video_status",
    result_field: str = "video",
    webhook_key: str = "webhookUrl",
    webhook_type: str = "",
    renames: Mapping[str, str] | None = None,
    created_ids: Literal["single", "all_results", "list", "success_list"] = "single",
    typical_duration: float = 60.0,
    result_suffix: str = ".mp4",
    result_is_file: bool = True,
) -> Family:
    """A family with Akool's usual spellings (a video polled at ``infobymodelid``)."""
    return Family(
        name,
        create_path,
        request_type,
        status,
        status_field=status_field,
        result_field=result_field,
        webhook_key=webhook_key,
        webhook_type=webhook_type,
        renames=dict(renames or {}),
        created_ids=created_ids,
        typical_duration=typical_duration,
        result_suffix=result_suffix,
        result_is_file=result_is_file,
    )


@frozen(slots=True)
class Language:
    """One entry of the language list (``need_voice_id``: a translation into it needs a voice)."""

    lang_code: str
    lang_name: str
    url: str | None = None
    need_voice_id: bool | None = None


@frozen(slots=True)
class Credit:
    """The account's credit balance."""

    credit: float
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


#: The status for each of Akool's status numbers (a tuple lookup is cheaper than the enum's call).
_STATUSES: Final[tuple[JobStatus, ...]] = (JobStatus.QUEUEING, *JobStatus)

#: What a completed answer's result field holds when it holds no result.
_NO_VALUE: Final[tuple[Any, ...]] = (None, "", [], {})


def parse_snapshot(
    data: Mapping[str, Any],
    *,
    status_field: str,
    result_field: str,
    job_id: str | None = None,
    result_is_file: bool = True,
    like: JobSnapshot | None = None,
) -> JobSnapshot:
    """Build a snapshot from one status object.

    ``like``: the job's last snapshot without its raw body (as a tracked job keeps it); a
    running answer that reads the same returns it, and builds nothing.

    A completed object without a URL in ``result_field`` reads as failed
    (:func:`~akool_async._jobmodels.result_missing`): waiting would not bring the URL. Where
    the result is not a file (``result_is_file`` False), ``result_field`` holds the result
    itself (text or data), kept as the snapshot's ``result_value``.

    Raises:
        ValueError: when the object has no usable id or its status is not 1-4.
    """
    ident = job_id if job_id is not None else data.get("_id")
    if not isinstance(ident, str) or not ident:
        raise ValueError("status object has no _id")
    # Hot path (every poll): the usual answer's exact types are read without a helper call.
    raw_status = data.get(status_field)
    if type(raw_status) is not int:
        raw_status = int_or_none(raw_status)
    if raw_status is None or not 1 <= raw_status <= 4:
        raise ValueError(f"{status_field} is {data.get(status_field)!r}, expected 1-4")
    status = _STATUSES[raw_status]
    url = data.get(result_field)
    value = None
    if not result_is_file:  # the field holds the result itself, not a file's URL
        if status is JobStatus.COMPLETED and url not in _NO_VALUE:
            value = url
        url = None
    result_url = url if isinstance(url, str) and url else None
    media = data.get("video_lock_duration")
    # The usual media length is a plain positive float: read without the helper's call.
    seconds = media if type(media) is float and 0 < media < math.inf else positive_seconds(media)
    if status is JobStatus.COMPLETED and result_url is None and value is None:
        return result_missing(ident, data, result_field, media_duration=seconds)
    reason = None
    for key in _REASON_FIELDS:
        text = data.get(key)
        if isinstance(text, str) and text:
            reason = text
            break
    progress = data.get("progress")
    if progress is not None and type(progress) is not int:
        progress = int_or_none(progress)
    code = data.get("error_code")
    if code is not None and type(code) is not int:
        code = int_or_none(code)
    if (
        like is not None
        and raw_status <= 2  # running: a final answer always keeps its raw body
        and like.status is status
        and like.id == ident
        and like.result_url == result_url
        and like.progress == progress
        and like.error_code == code
        and like.error_reason == reason
        and like.media_duration == seconds
        and like.missing_result is None
        and like.result_value is None
        and not like.raw
    ):
        return like
    return JobSnapshot(
        ident, status, result_url, progress, code, reason, seconds, data, None, value
    )


def family_snapshot(
    fam: Family,
    data: Mapping[str, Any],
    job_id: str | None = None,
    like: JobSnapshot | None = None,
) -> JobSnapshot:
    """:func:`parse_snapshot` of one status object of ``fam`` (its status and result fields).

    Raises:
        ValueError: as :func:`parse_snapshot`.
    """
    return parse_snapshot(
        data,
        status_field=fam.status_field,
        result_field=fam.result_field,
        job_id=job_id,
        result_is_file=fam.result_is_file,
        like=like,
    )


def snapshot_of(fam: Family, obj: Mapping[str, Any]) -> JobSnapshot | None:
    """The first snapshot a create answer's job object gives, or None if it has no status."""
    try:
        return family_snapshot(fam, obj)
    except ValueError:
        return None
