"""The fake's image area: ``image/createbyprompt``, polled at ``image/infobymodelid``."""

from __future__ import annotations

from typing import Any, Final

from .._jobs import FakeJob
from ._common import (
    FAKE_UID,
    CreateSpec,
    failure,
    opt_choice,
    opt_url,
    req_str,
    result_url,
    single_id_area,
    webhook,
)

__all__ = ["AREA", "INFO_PATH"]

INFO_PATH: Final = "/api/open/v3/content/image/infobymodelid"
_SCALES: Final = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3")


def _create(body: dict[str, Any]) -> CreateSpec:
    req_str(body, "prompt")
    opt_choice(body, "scale", _SCALES)
    opt_url(body, "source_image")
    return CreateSpec("image", ("",), webhook(body))


def _body(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    params = job.params
    out: dict[str, Any] = {
        "faceswap_quality": 2,
        "storage_loc": 1,
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "type": 3,
        "from": 2,
        "prompt": params.get("prompt", ""),
        "scale": params.get("scale") or "1:1",
        "source_image": params.get("source_image") or "",
        "image_status": status,
        "image": result_url(job, status, base),
        "__v": 0,
    }
    failure(job, status, out)
    return out


AREA = single_id_area(
    "/api/open/v3/content/image/createbyprompt",
    _create,
    "image",
    INFO_PATH,
    "image_model_id",
    _body,
)
