"""JSON bodies of each family, shaped like Akool's (odd fields included: ``__v``, ``uid`` ...)."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Any, Final

from ._jobs import FACESWAP_FAMILIES, FAMILIES, FakeJob

__all__ = [
    "FAKE_UID",
    "FAKE_USER_ID",
    "create_data",
    "faceswap_entry",
    "i2v_entry",
    "result_url",
    "status_data",
    "webhook_event",
]

#: The account every fake job belongs to (seed pages use 378337).
FAKE_UID: Final = 378337
FAKE_USER_ID: Final = "64c8e6c1f0b6684651e8f9a1"
FAKE_TEAM_ID: Final = "64c8e6c1f0b6684651e8f9a2"
_AUDIO_SPLIT_BASE: Final = "https://d3323c6w59hl44.cloudfront.net/algorithm/video_translate"


def _derived_hex(job_id: str, salt: str, length: int) -> str:
    return hashlib.md5(f"{salt}:{job_id}".encode(), usedforsecurity=False).hexdigest()[:length]


def _uuid(job_id: str) -> str:
    h = _derived_hex(job_id, "video_id", 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def result_url(job: FakeJob, status: int, base: str) -> str:
    """The result URL a completed job reports ("" before completion)."""
    if status != 3:
        return ""
    if job.forced_url is not None:
        return job.forced_url
    return f"{base}/files/{job.file_name}"


def _failure(job: FakeJob, status: int, out: dict[str, Any]) -> None:
    if status == 4:
        out["error_code"] = job.error_code
        out["error_reason"] = job.error_reason


def _video(job: FakeJob, status: int, now: float, base: str, *, create: bool) -> dict[str, Any]:
    params = job.params
    family = job.family
    out: dict[str, Any] = {
        "faceswap_quality": 2,
        "storage_loc": 1,
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "type": FAMILIES[family].type_number,
        "from": 2,
        "video_id": _uuid(job.id),
        "video_lock_duration": round(job.media_duration, 2),
        "deduction_lock_duration": int(math.ceil(job.media_duration / 10.0) * 10),
        "video_status": status,
        "external_video": "",
        "video": result_url(job, status, base),
    }
    if family == "talking_photo":
        out["talking_photo"] = params.get("talking_photo_url", "")
    elif family == "lip_sync":
        out["target_video"] = params.get("video_url", "")
        out["input_audio"] = params.get("audio_url", "")
        out["lipsync"] = True
        out["task_id"] = _derived_hex(job.id, "task", 24)
    elif family == "video_translation":
        out["target_video"] = params.get("url", "")
        out["language"] = job.variant
        out["source_language"] = params.get("source_language") or "auto"
        out["lipsync"] = bool(params.get("lipsync", False))
        out["task_id"] = _derived_hex(job.id, "task", 24)
        out["progress"] = job.progress(now, status)
        out["error_code"] = 0
        out["error_reason"] = ""
        if status == 3:
            stem = f"{_AUDIO_SPLIT_BASE}/{job.id}"
            out["audio_splits"] = {
                "original_srt_url": f"{stem}/original.srt",
                "translated_srt_url": f"{stem}/{job.variant}.srt",
                "no_caption_video_url": f"{stem}/no_caption.mp4",
            }
    else:
        out["avatar_id"] = params.get("avatar_id", "")
    if job.webhook_url is not None and create:
        out["webhookUrl"] = job.webhook_url
    out["__v"] = 0
    _failure(job, status, out)
    return out


def faceswap_entry(job: FakeJob, now_ms: int, base: str, status: int) -> dict[str, Any]:
    """One element of ``listbyids``' ``data.result``."""
    is_video = job.family == "faceswap_video"
    duration = round(job.media_duration, 2) if is_video else 0
    out: dict[str, Any] = {
        "faceswap_type": 2 if is_video else 1,
        "faceswap_quality": 2,
        "faceswap_status": status,
        "deduction_status": 1 if status == 3 else 0,
        "image": 0 if is_video else 1,
        "video_duration": duration,
        "deduction_duration": duration,
        "update_time": now_ms,
        "_id": job.id,
        "userId": FAKE_USER_ID,
        "uid": FAKE_UID,
        "url": result_url(job, status, base),
        "createdAt": datetime.fromtimestamp(job.create_time_ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
    }
    _failure(job, status, out)
    return out


def i2v_entry(job: FakeJob, status: int, base: str) -> dict[str, Any]:
    """An image2video / text2video job, as create and ``resultsByIds`` show it."""
    params = job.params
    out: dict[str, Any] = {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "status": status,
        "webhookurl": job.webhook_url or "",
        "resolution": params.get("resolution") or "720p",
        "video_length": params.get("video_length") or 5,
        "prompt": params.get("prompt", ""),
        "negative_prompt": params.get("negative_prompt") or "",
        "video_url": result_url(job, status, base),
        "error_msg": job.error_reason if status == 4 else "",
        "deduction_credit": 10 if (params.get("video_length") or 5) == 5 else 20,
        "__v": 0,
    }
    if job.family == "image2video":
        out["image_url"] = params.get("image_url", "")
    if status == 4:
        out["error_code"] = job.error_code
    return out


def _image(job: FakeJob, status: int, base: str) -> dict[str, Any]:
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
    _failure(job, status, out)
    return out


def _tts(job: FakeJob, status: int, base: str) -> dict[str, Any]:
    params = job.params
    out: dict[str, Any] = {
        "_id": job.id,
        "create_time": job.create_time_ms,
        "uid": FAKE_UID,
        "from": 2,
        "input_text": params.get("input_text", ""),
        "voice_code": params.get("voice_code", ""),
        "speed": params.get("speed") or 1.0,
        "duration": round(job.media_duration, 2) if status == 3 else 0,
        "status": status,
        "url": result_url(job, status, base),
        "__v": 0,
    }
    _failure(job, status, out)
    return out


def create_data(job: FakeJob, now: float, base: str) -> dict[str, Any]:
    """The ``data`` a create answers with, for one job (always status 1, as Akool answers)."""
    status = 1
    family = job.family
    if family in FACESWAP_FAMILIES:
        return {"_id": job.id, "url": "", "job_id": _derived_hex(job.id, "job", 32)}
    if family in ("image2video", "text2video"):
        return i2v_entry(job, status, base)
    if family == "image":
        return _image(job, status, base)
    if family == "tts":
        return _tts(job, status, base)
    return _video(job, status, now, base, create=True)


def status_data(job: FakeJob, now: float, base: str) -> dict[str, Any]:
    """The ``data`` of a single-id status endpoint (``infobymodelid``)."""
    status = job.status(now)
    family = job.family
    if family == "image":
        return _image(job, status, base)
    if family == "tts":
        return _tts(job, status, base)
    return _video(job, status, now, base, create=False)


def webhook_event(job: FakeJob, status: int, webhook_type: str, base: str) -> dict[str, Any]:
    """The plaintext Akool encrypts into a webhook's ``dataEncrypt``."""
    out: dict[str, Any] = {
        "_id": job.id,
        "status": status,
        "type": webhook_type,
        "url": result_url(job, status, base),
    }
    _failure(job, status, out)
    return out
